package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/mail"
)

func login(w *world, email, password string, headers map[string]string) *response {
	w.t.Helper()
	return w.request(http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password}, headers)
}

func TestLoginGivesCookieAndBearerToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := login(w, "THERAPIST@a.test", testPassword, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	var body sessionBody
	res.JSON(t, &body)
	if body.Token == "" || body.User.ID != w.A.Therapist.ID || len(body.Memberships) != 1 || body.Memberships[0].Role != "therapist" {
		t.Fatalf("login body: %+v", body)
	}
	cookie := res.Header.Get("Set-Cookie")
	for _, want := range []string{"amend_session=" + body.Token, "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %q", cookie, want)
		}
	}
	for name, headers := range map[string]map[string]string{
		"bearer": {"Authorization": "Bearer " + body.Token},
		"cookie": {"Cookie": "amend_session=" + body.Token},
	} {
		me := w.request(http.MethodGet, "/api/v1/me", nil, headers)
		if me.Status != http.StatusOK || !strings.Contains(string(me.Body), `"email":"therapist@a.test"`) ||
			strings.Contains(string(me.Body), `"created_at":"0001-01-01`) {
			t.Errorf("me with %s: %d %s", name, me.Status, me.Body)
		}
	}
	// The token itself is never stored: the table holds only its hash.
	var stored int
	if err := w.store.DB().Get(&stored, `SELECT count(*) FROM auth_sessions WHERE token_hash = $1`, []byte(body.Token)); err != nil || stored != 0 {
		t.Errorf("raw token found in the database (%d, %v)", stored, err)
	}
	if err := w.store.DB().Get(&stored, `SELECT count(*) FROM auth_sessions WHERE token_hash = $1`, hashToken(body.Token)); err != nil || stored != 1 {
		t.Errorf("hashed token not found (%d, %v)", stored, err)
	}
}

func TestLoginErrorsAreClearJSON(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"wrong password", map[string]string{"email": "admin@a.test", "password": "not the password"}, 401, fault.InvalidCredentials, ""},
		{"unknown email", map[string]string{"email": "nobody@a.test", "password": testPassword}, 401, fault.InvalidCredentials, ""},
		{"not JSON", "{email", 400, fault.BadRequest, ""},
		{"empty body", "", 400, fault.BadRequest, ""},
		{"array instead of object", "[]", 400, fault.BadRequest, ""},
		{"two objects", `{"email":"admin@a.test","password":"x"}{}`, 400, fault.BadRequest, ""},
		{"missing password", map[string]string{"email": "admin@a.test"}, 422, fault.Invalid, "password"},
		{"missing email", map[string]string{"password": testPassword}, 422, fault.Invalid, "email"},
		{"not an email", map[string]string{"email": "admin", "password": testPassword}, 422, fault.Invalid, "email"},
		{"wrong type", map[string]any{"email": 7, "password": testPassword}, 422, fault.Invalid, "email"},
		{"unknown field", map[string]any{"email": "admin@a.test", "password": testPassword, "admin": true}, 400, fault.BadRequest, "admin"},
		{"too large", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, 413, fault.TooLarge, ""},
	}
	for _, tc := range cases {
		var headers map[string]string // a refused sign-in is a well-formed request; the rest are not
		if tc.status != http.StatusUnauthorized {
			headers = map[string]string{deliberatelyInvalid: "yes"}
		}
		res := w.request(http.MethodPost, "/api/v1/auth/login", tc.body, headers)
		var body struct {
			Error errorBody `json:"error"`
		}
		res.JSON(t, &body)
		if res.Status != tc.status || body.Error.Code != tc.code || body.Error.Field != tc.field || body.Error.Message == "" {
			t.Errorf("%s: got %d %s, want %d %s field %q", tc.name, res.Status, res.Body, tc.status, tc.code, tc.field)
		}
	}
}

func TestLoginIsThrottledPerAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for i := range 5 {
		if res := login(w, "admin@b.test", "wrong password!", nil); res.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, res.Status)
		}
	}
	res := login(w, "admin@b.test", testPassword, nil)
	if res.Status != http.StatusTooManyRequests || res.ErrorCode() != fault.RateLimited || res.Header.Get("Retry-After") == "" {
		t.Fatalf("6th attempt: %d %s Retry-After=%q", res.Status, res.Body, res.Header.Get("Retry-After"))
	}
	// Another account from the same address is still served.
	if res := login(w, "admin@a.test", testPassword, nil); res.Status != http.StatusOK {
		t.Fatalf("other account: %d %s", res.Status, res.Body)
	}
}

func TestLoginIsThrottledPerAddress(t *testing.T) {
	t.Parallel()
	// The clock stands still, so no attempt is refilled however long 40 sign-ins take.
	frozen := time.Now()
	w := newWorldWith(t, policy.DefaultPolicy(), Config{Now: func() time.Time { return frozen }}, mail.Config{})
	limited := false
	for i := range 40 {
		res := login(w, "someone"+id(int64(i))+"@x.test", "wrong password!", nil)
		if res.Status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("40 failed sign-ins for different accounts from one address were never throttled")
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.A.PartnerA
	if res := a.do(http.MethodPost, "/api/v1/auth/logout", nil); res.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", res.Status, res.Body)
	}
	if res := a.do(http.MethodGet, "/api/v1/me", nil); res.Status != http.StatusUnauthorized || res.ErrorCode() != fault.Unauthenticated {
		t.Fatalf("me after logout: %d %s", res.Status, res.Body)
	}
}

func TestIdleAndAbsoluteExpiryEndSessions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for column, a := range map[string]*actor{"idle_expires_at": w.A.PartnerA, "expires_at": w.A.PartnerB} {
		if _, err := w.store.DB().Exec(`UPDATE auth_sessions SET `+column+` = now() - interval '1 second' WHERE user_id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
		if res := a.do(http.MethodGet, "/api/v1/me", nil); res.Status != http.StatusUnauthorized {
			t.Errorf("%s passed: %d %s", column, res.Status, res.Body)
		}
	}
	if res := w.A.Admin.do(http.MethodGet, "/api/v1/me", nil); res.Status != http.StatusOK {
		t.Errorf("unexpired session refused: %d", res.Status)
	}
}

func TestCookieRequestsFromForeignOriginsAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cookie := "amend_session=" + w.A.Admin.Token
	path := "/api/v1/practices/" + id(w.A.ID) + "/invites"
	body := func() map[string]string {
		return map[string]string{"email": "x" + id(w.counter()) + "@x.test", "role": "therapist"}
	}
	cases := []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"foreign origin", map[string]string{"Cookie": cookie, "Origin": "https://evil.example"}, 403},
		{"no origin or referer", map[string]string{"Cookie": cookie}, 403},
		{"foreign referer", map[string]string{"Cookie": cookie, "Referer": "https://evil.example/page"}, 403},
		{"same origin", map[string]string{"Cookie": cookie, "Origin": w.srv.URL}, 201},
		{"same-origin referer", map[string]string{"Cookie": cookie, "Referer": w.srv.URL + "/admin"}, 201},
		{"bearer without origin", map[string]string{"Authorization": "Bearer " + w.A.Admin.Token}, 201},
	}
	for _, tc := range cases {
		res := w.request(http.MethodPost, path, body(), tc.headers)
		if res.Status != tc.status {
			t.Errorf("%s: got %d %s, want %d", tc.name, res.Status, res.Body, tc.status)
		}
		if tc.status == 403 && res.ErrorCode() != fault.BadOrigin {
			t.Errorf("%s: code %q", tc.name, res.ErrorCode())
		}
	}
}

func TestUnauthenticatedRequestsAnswer401(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, headers := range []map[string]string{nil, {"Authorization": "Bearer nonsense"}, {"Authorization": "Bearer " + strings.Repeat("A", 43)}} {
		res := w.request(http.MethodGet, "/api/v1/practices/"+id(w.A.ID), nil, headers)
		if res.Status != http.StatusUnauthorized || res.ErrorCode() != fault.Unauthenticated {
			t.Errorf("%v: %d %s", headers, res.Status, res.Body)
		}
	}
}

func TestOperationsEndpoints(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if res := w.request(http.MethodGet, "/healthz", nil, nil); res.Status != 200 {
		t.Errorf("healthz: %d", res.Status)
	}
	if res := w.request(http.MethodGet, "/readyz", nil, nil); res.Status != 200 {
		t.Errorf("readyz: %d %s", res.Status, res.Body)
	}
	w.A.Admin.do(http.MethodGet, "/api/v1/me", nil)
	res := w.request(http.MethodGet, "/metrics", nil, nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), `amend_http_requests_total{method="GET",route="/api/v1/me",status="200"}`) {
		t.Errorf("metrics lack the request count by route: %d", res.Status)
	}
	res = w.request(http.MethodGet, "/api/v1/me", nil, map[string]string{"X-Request-ID": "trace-123"})
	if res.Header.Get("X-Request-ID") != "trace-123" {
		t.Errorf("request id not echoed: %q", res.Header.Get("X-Request-ID"))
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if res.Header.Get(h) == "" {
			t.Errorf("missing security header %s", h)
		}
	}
	if res := w.request(http.MethodGet, "/api/v1/nothing-here", nil, map[string]string{deliberatelyInvalid: "yes"}); res.Status != 404 || res.ErrorCode() != fault.NotFound {
		t.Errorf("unknown API path: %d %s", res.Status, res.Body)
	}
}

func TestReadyzReportsAnUnreachableDatabase(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.api.ready = func(context.Context) error { return context.DeadlineExceeded }
	if res := w.request(http.MethodGet, "/readyz", nil, nil); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a failing check: %d", res.Status)
	}
}

func TestAnActiveSessionOutlivesAnIdleTimeoutUnderAMinute(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.api.cfg.IdleTimeout = 30 * time.Second
	a := w.A.Therapist
	// Last seen 20 seconds ago, with 10 seconds of idle time left: this request must extend it.
	if _, err := w.store.DB().Exec(`UPDATE auth_sessions SET last_seen_at = now() - interval '20 seconds',
		idle_expires_at = now() + interval '10 seconds' WHERE user_id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	if res := a.do(http.MethodGet, "/api/v1/me", nil); res.Status != http.StatusOK {
		t.Fatalf("me: %d %s", res.Status, res.Body)
	}
	var left time.Duration
	if err := w.store.DB().Get(&left, `SELECT (extract(epoch FROM idle_expires_at - now()) * 1e9)::bigint
		FROM auth_sessions WHERE user_id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	if left < 25*time.Second {
		t.Errorf("after a request the session has %v of its 30 s idle time left", left)
	}
}

func TestQueryParametersOutsideTheirSetAnswer422(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	for _, tc := range []struct {
		name  string
		as    *actor
		path  string
		field string
	}{
		{"audit outcome", p.Admin, "/api/v1/practices/" + id(p.ID) + "/audit?outcome=maybe", "outcome"},
		{"open invites", p.Admin, "/api/v1/practices/" + id(p.ID) + "/invites?open=maybe", "open"},
		{"cancelled appointments", p.Therapist, "/api/v1/couples/" + id(p.CoupleID) + "/appointments?include_cancelled=maybe", "include_cancelled"},
		{"therapist's cancelled appointments", p.Therapist, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.Therapist.ID) + "/appointments?include_cancelled=yes", "include_cancelled"},
		{"couple status", p.Therapist, "/api/v1/practices/" + id(p.ID) + "/couples?status=maybe", "status"},
		{"member role", p.Admin, "/api/v1/practices/" + id(p.ID) + "/members?role=maybe", "role"},
	} {
		res := tc.as.doInvalid(http.MethodGet, tc.path, nil)
		var body struct{ Error errorBody }
		res.JSON(t, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Error.Code != fault.Invalid || body.Error.Field != tc.field {
			t.Errorf("%s: %d %s, want 422 on %s", tc.name, res.Status, res.Body, tc.field)
		}
	}
	// The values in the set still work, and another practice's caller learns nothing.
	if res := p.Admin.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/invites?open=false", nil); res.Status != http.StatusOK {
		t.Errorf("open=false: %d %s", res.Status, res.Body)
	}
	if res := w.B.Admin.doInvalid(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/audit?outcome=maybe", nil); res.Status != http.StatusNotFound {
		t.Errorf("another practice's administrator: %d %s", res.Status, res.Body)
	}
}
