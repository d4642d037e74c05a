package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/store"
)

func createInvite(t *testing.T, admin *actor, practiceID int64, email, role string) inviteCreated {
	t.Helper()
	res := admin.do(http.MethodPost, "/api/v1/practices/"+id(practiceID)+"/invites", map[string]string{"email": email, "role": role})
	if res.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", res.Status, res.Body)
	}
	var created inviteCreated
	res.JSON(t, &created)
	return created
}

func TestInviteAcceptLoginFlow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	created := createInvite(t, w.A.Admin, w.A.ID, "New.Therapist@a.test", "therapist")
	if len(created.Token) != 43 || created.AcceptURL != "/invite/"+created.Token || created.Invite.Email != "new.therapist@a.test" {
		t.Fatalf("invite answer: %+v", created)
	}
	show := w.request(http.MethodGet, "/api/v1/invites/"+created.Token, nil, nil)
	if show.Status != 200 || !strings.Contains(string(show.Body), `"practice_name":"Practice A"`) {
		t.Fatalf("show invite: %d %s", show.Status, show.Body)
	}
	accept := func(body any, headers map[string]string) *response {
		return w.request(http.MethodPost, "/api/v1/invites/"+created.Token+"/accept", body, headers)
	}
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]string{"name": "Robin", "password": "short"}, "password"},
		{map[string]string{"password": "long enough password"}, "name"},
		{map[string]string{"name": "   ", "password": "long enough password"}, "name"},
	} {
		res := accept(tc.body, map[string]string{deliberatelyInvalid: "yes"})
		var body struct{ Error errorBody }
		res.JSON(t, &body)
		if res.Status != 422 || body.Error.Field != tc.field {
			t.Errorf("accept %v: %d %s, want 422 on %s", tc.body, res.Status, res.Body, tc.field)
		}
	}
	res := accept(map[string]string{"name": "Robin Hale", "password": "a long enough password"}, nil)
	if res.Status != 200 {
		t.Fatalf("accept: %d %s", res.Status, res.Body)
	}
	var session sessionBody
	res.JSON(t, &session)
	if session.User.Name != "Robin Hale" || len(session.Memberships) != 1 || session.Memberships[0].Role != "therapist" || session.Memberships[0].PracticeID != w.A.ID {
		t.Fatalf("accepted session: %+v", session)
	}
	if res := accept(map[string]string{"name": "Robin Hale", "password": "a long enough password"}, nil); res.Status != 404 {
		t.Errorf("reused invite: %d %s", res.Status, res.Body)
	}
	if res := login(w, "new.therapist@a.test", "a long enough password", nil); res.Status != 200 {
		t.Errorf("login after accept: %d %s", res.Status, res.Body)
	}
	// The new therapist now sees colleagues but not the audit log.
	var fresh sessionBody
	login(w, "new.therapist@a.test", "a long enough password", nil).JSON(t, &fresh)
	bearer := map[string]string{"Authorization": "Bearer " + fresh.Token}
	if res := w.request(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/members", nil, bearer); res.Status != 200 {
		t.Errorf("new therapist lists members: %d", res.Status)
	}
	if res := w.request(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit", nil, bearer); res.Status != 404 {
		t.Errorf("new therapist reads audit log: %d", res.Status)
	}
}

func TestExpiredRevokedAndUnknownInvitesAnswer404(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	expired := createInvite(t, w.A.Admin, w.A.ID, "late@a.test", "therapist")
	if _, err := w.store.DB().Exec(`UPDATE invites SET expires_at = now() - interval '1 minute' WHERE id = $1`, expired.Invite.ID); err != nil {
		t.Fatal(err)
	}
	revoked := createInvite(t, w.A.Admin, w.A.ID, "withdrawn@a.test", "admin")
	if res := w.A.Admin.do(http.MethodDelete, "/api/v1/practices/"+id(w.A.ID)+"/invites/"+id(revoked.Invite.ID), nil); res.Status != 204 {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	replaced := createInvite(t, w.A.Admin, w.A.ID, "twice@a.test", "therapist")
	createInvite(t, w.A.Admin, w.A.ID, "twice@a.test", "therapist")
	unknown, _ := newToken()
	for name, token := range map[string]string{"expired": expired.Token, "revoked": revoked.Token, "replaced": replaced.Token,
		"unknown": unknown, "malformed": "not-a-token"} {
		res := w.request(http.MethodPost, "/api/v1/invites/"+token+"/accept", map[string]string{"name": "X", "password": "long enough password"}, nil)
		if res.Status != 404 || res.ErrorCode() != fault.NotFound {
			t.Errorf("%s invite: %d %s", name, res.Status, res.Body)
		}
	}
}

func TestInviteNeverSignsInToAnExistingAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Practice A's administrator invites the email of practice B's therapist.
	created := createInvite(t, w.A.Admin, w.A.ID, w.B.Therapist.Email, "therapist")
	path := "/api/v1/invites/" + created.Token + "/accept"
	for _, tc := range []struct {
		name     string
		password string
	}{
		{"a wrong password", "someone else's guess"},
		{"the account's own password", testPassword},
	} {
		res := w.request(http.MethodPost, path, map[string]string{"name": "X", "password": tc.password}, nil)
		if res.Status != http.StatusConflict || res.ErrorCode() != fault.Conflict || res.Header.Get("Set-Cookie") != "" ||
			strings.Contains(string(res.Body), `"token"`) {
			t.Errorf("accept without signing in, with %s: %d %s", tc.name, res.Status, res.Body)
		}
	}
	if ms, err := w.store.ActiveMemberships(context.Background(), w.B.Therapist.ID); err != nil || len(ms) != 1 {
		t.Fatalf("the account gained a membership without signing in: %+v %v", ms, err)
	}
}

func TestAnExistingAccountAcceptsAnInviteOnlyAsItself(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	created := createInvite(t, w.A.Admin, w.A.ID, w.B.Therapist.Email, "therapist")
	path := "/api/v1/invites/" + created.Token + "/accept"
	for _, tc := range []struct {
		name   string
		as     *actor
		status int
	}{
		{"another account of the inviting practice", w.A.Therapist, http.StatusForbidden},
		{"another account of the invitee's practice", w.B.Admin, http.StatusForbidden},
	} {
		if res := tc.as.do(http.MethodPost, path, nil); res.Status != tc.status || res.ErrorCode() != fault.Forbidden {
			t.Errorf("%s accepts: %d %s, want %d", tc.name, res.Status, res.Body, tc.status)
		}
	}
	res := w.B.Therapist.do(http.MethodPost, path, nil)
	if res.Status != http.StatusOK || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("the invitee accepts, signed in: %d %s", res.Status, res.Body)
	}
	var body struct {
		User        store.User         `json:"user"`
		Memberships []store.Membership `json:"memberships"`
	}
	res.JSON(t, &body)
	if body.User.ID != w.B.Therapist.ID || len(body.Memberships) != 2 {
		t.Fatalf("accepted: %+v", body)
	}
	if res := w.B.Therapist.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/members", nil); res.Status != http.StatusOK {
		t.Errorf("the invitee lists practice A's members: %d %s", res.Status, res.Body)
	}
	if res := w.B.Therapist.do(http.MethodPost, path, nil); res.Status != http.StatusNotFound {
		t.Errorf("the used invite accepted again: %d %s", res.Status, res.Body)
	}
}

func TestInvitePageDoesNotTellWhetherTheEmailHasAnAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	keys := map[string][]string{}
	for name, email := range map[string]string{"existing account": w.B.Therapist.Email, "new email": "nobody.yet@x.test"} {
		created := createInvite(t, w.A.Admin, w.A.ID, email, "therapist")
		res := w.request(http.MethodGet, "/api/v1/invites/"+created.Token, nil, nil)
		var body map[string]any
		res.JSON(t, &body)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, res.Status, res.Body)
		}
		for k := range body {
			keys[name] = append(keys[name], k)
		}
		slices.Sort(keys[name])
		if _, found := body["has_account"]; found {
			t.Errorf("%s: the invite page tells whether the email has an account: %s", name, res.Body)
		}
	}
	if !slices.Equal(keys["existing account"], keys["new email"]) {
		t.Errorf("the invite pages differ in shape: %v", keys)
	}
}

func TestInviteAcceptanceIsThrottledLikeSignIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	created := createInvite(t, w.A.Admin, w.A.ID, w.B.Therapist.Email, "therapist")
	path := "/api/v1/invites/" + created.Token + "/accept"
	for i := range 20 {
		res := w.request(http.MethodPost, path, map[string]string{"name": "X", "password": "guess number " + id(int64(i))}, nil)
		if res.Status == http.StatusTooManyRequests {
			if res.ErrorCode() != fault.RateLimited || res.Header.Get("Retry-After") == "" {
				t.Fatalf("throttled answer: %d %s", res.Status, res.Body)
			}
			return
		}
	}
	t.Fatal("20 attempts at one invite for an existing account were never throttled")
}

func TestInviteInputIsValidated(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	path := "/api/v1/practices/" + id(w.A.ID) + "/invites"
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]string{"email": "x@a.test", "role": "client"}, "role"},
		{map[string]string{"email": "x@a.test", "role": "owner"}, "role"},
		{map[string]string{"email": "nope", "role": "therapist"}, "email"},
		{map[string]string{"role": "therapist"}, "email"},
	} {
		res := w.A.Admin.doInvalid(http.MethodPost, path, tc.body)
		var body struct{ Error errorBody }
		res.JSON(t, &body)
		if res.Status != 422 || body.Error.Field != tc.field {
			t.Errorf("%v: %d %s", tc.body, res.Status, res.Body)
		}
	}
}
