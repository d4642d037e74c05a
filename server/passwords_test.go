package server

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/store"
)

const newTestPassword = "a brand new passphrase"

// requestReset asks for a reset link for email, as someone who is not signed in.
func (w *mailWorld) requestReset(email string) *response {
	w.t.Helper()
	return w.request(http.MethodPost, "/api/v1/auth/password-resets", map[string]string{"email": email}, nil)
}

// resetTokens waits until n reset mails have reached address and returns the tokens of their links.
func (w *mailWorld) resetTokens(address string, n int) []string {
	w.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var tokens []string
		for _, m := range w.messagesTo(address) {
			if m.Subject != "Reset your Amend password" {
				continue
			}
			for _, link := range links(m) {
				if u, err := url.Parse(link); err == nil && strings.HasPrefix(u.Path, "/reset/") {
					tokens = append(tokens, strings.TrimPrefix(u.Path, "/reset/"))
				}
			}
		}
		if len(tokens) >= n {
			return tokens
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d reset links reached %s, want %d", len(tokens), address, n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// useResetLink sets a new password through a reset link's token.
func (w *mailWorld) useResetLink(token, password string) *response {
	w.t.Helper()
	return w.request(http.MethodPost, "/api/v1/auth/password-resets/"+token, map[string]string{"password": password}, nil)
}

// waitForSubject waits until a message with subject has reached address, and returns how many did.
func (w *mailWorld) waitForSubject(address, subject string) int {
	w.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := 0
		for _, m := range w.messagesTo(address) {
			if m.Subject == subject {
				n++
			}
		}
		if n > 0 {
			return n
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no message %q reached %s", subject, address)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

const securityNoticeSubject = "Your Amend sign-in was changed"

// The whole reset by email: only the newest link read from the mail works, it sets a new password
// once, every session of the account ends, the owner is told, and nobody else is touched.
func TestPasswordResetByEmailEndToEnd(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	p := w.A
	otherDevice := w.signIn(p.PartnerA.Name, p.PartnerA.ID, p.PartnerA.Email)
	for range 2 {
		if res := w.requestReset(strings.ToUpper(p.PartnerA.Email)); res.Status != http.StatusAccepted {
			t.Fatalf("request: %d %s", res.Status, res.Body)
		}
	}
	tokens := w.resetTokens(p.PartnerA.Email, 2)
	var newest []byte
	if err := w.store.DB().Get(&newest, `SELECT token_hash FROM password_resets ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hashToken(tokens[0]), newest) {
		tokens[0], tokens[1] = tokens[1], tokens[0]
	}
	if res := w.useResetLink(tokens[1], newTestPassword); res.Status != http.StatusNotFound {
		t.Fatalf("the link a newer one replaced: %d %s", res.Status, res.Body)
	}
	var stored, inClear int
	if err := w.store.DB().Get(&stored, `SELECT count(*) FROM password_resets WHERE token_hash = $1`, hashToken(tokens[0])); err != nil || stored != 1 {
		t.Fatalf("the link's token hash is stored %d times (%v), want once", stored, err)
	}
	if err := w.store.DB().Get(&inClear, `SELECT (SELECT count(*) FROM password_resets t WHERE strpos(t::text, $1) > 0)
		+ (SELECT count(*) FROM river_job t WHERE strpos(t::text, $1) > 0)`, tokens[0]); err != nil || inClear != 0 {
		t.Fatalf("the link's token is stored in the clear %d times (%v)", inClear, err)
	}
	if res := w.request(http.MethodGet, "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + tokens[0]}); res.Status != http.StatusUnauthorized {
		t.Fatalf("the reset token signs in: %d", res.Status)
	}
	if res := w.useResetLink(tokens[0], "short"); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a too short password: %d %s", res.Status, res.Body)
	}
	if res := w.useResetLink(tokens[0], newTestPassword); res.Status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		name   string
		check  func() *response
		status int
	}{
		{"the link does not work twice", func() *response { return w.useResetLink(tokens[0], "another new passphrase") }, http.StatusNotFound},
		{"a made-up link does not work", func() *response { return w.useResetLink(strings.Repeat("A", 43), "another new passphrase") }, http.StatusNotFound},
		{"the session that was open is signed out", func() *response { return p.PartnerA.do(http.MethodGet, "/api/v1/me", nil) }, http.StatusUnauthorized},
		{"the other device is signed out", func() *response { return otherDevice.do(http.MethodGet, "/api/v1/me", nil) }, http.StatusUnauthorized},
		{"the old password no longer signs in", func() *response { return login(w.world, p.PartnerA.Email, testPassword, nil) }, http.StatusUnauthorized},
		{"the new password signs in", func() *response { return login(w.world, p.PartnerA.Email, newTestPassword, nil) }, http.StatusOK},
		{"the other partner is still signed in", func() *response { return p.PartnerB.do(http.MethodGet, "/api/v1/me", nil) }, http.StatusOK},
		{"the other partner's password is unchanged", func() *response { return login(w.world, p.PartnerB.Email, testPassword, nil) }, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := tc.check(); res.Status != tc.status {
				t.Errorf("got %d %s, want %d", res.Status, res.Body, tc.status)
			}
		})
	}
	if !securityLogHas(t, w.signIn(p.PartnerA.Name, p.PartnerA.ID, p.PartnerA.Email), "auth.password_reset") {
		t.Error("the reset is not in the account's security log")
	}
	if n := w.waitForSubject(p.PartnerA.Email, securityNoticeSubject); n != 1 {
		t.Errorf("%d security notices, want 1", n)
	}
	if got := w.messagesTo(p.PartnerB.Email); len(got) != 0 {
		t.Errorf("the other partner got %d messages", len(got))
	}
}

// A request for an address with no account answers exactly as one for an address with an account,
// after the same fixed time, and queues no mail.
func TestPasswordResetForUnknownEmailAnswersTheSameAndSendsNothing(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	var bodies []string
	for _, tc := range []struct {
		name, email string
		jobs        int
	}{
		{"an address with an account", w.A.Therapist.Email, 1},
		{"an address with no account", "nobody@a.test", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := w.requestReset(tc.email)
			if took := time.Since(start); res.Status != http.StatusAccepted || took < resetAnswerTime {
				t.Errorf("got %d %s after %s, want 202 after at least %s", res.Status, res.Body, took, resetAnswerTime)
			}
			bodies = append(bodies, string(res.Body))
			if n := w.countJobs(`args->>'to' = $1`, tc.email); n != tc.jobs {
				t.Errorf("%d messages queued, want %d", n, tc.jobs)
			}
		})
	}
	if bodies[0] != bodies[1] {
		t.Errorf("the answers differ: %s and %s", bodies[0], bodies[1])
	}
	w.resetTokens(w.A.Therapist.Email, 1)
	w.waitForJobs(1, `state = 'completed'`)
	if n := len(w.pit.Messages()); n != 1 {
		t.Errorf("%d messages sent, want only the one to the account", n)
	}
}

// A reset link works for an hour by the server's clock, and not after.
func TestPasswordResetLinkExpiresAfterAnHour(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	p := w.A
	for _, a := range []*actor{p.PartnerA, p.PartnerB} {
		if res := w.requestReset(a.Email); res.Status != http.StatusAccepted {
			t.Fatalf("request: %d %s", res.Status, res.Body)
		}
	}
	early, late := w.resetTokens(p.PartnerA.Email, 1)[0], w.resetTokens(p.PartnerB.Email, 1)[0]
	w.clock.advance(59 * time.Minute)
	if res := w.useResetLink(early, newTestPassword); res.Status != http.StatusNoContent {
		t.Errorf("used after 59 minutes: %d %s", res.Status, res.Body)
	}
	w.clock.advance(2 * time.Minute)
	if res := w.useResetLink(late, newTestPassword); res.Status != http.StatusNotFound {
		t.Errorf("used after 61 minutes: %d %s", res.Status, res.Body)
	}
	if res := login(w.world, p.PartnerB.Email, testPassword, nil); res.Status != http.StatusOK {
		t.Errorf("the expired link changed the password: %d", res.Status)
	}
}

// Reset requests are throttled per account (alike whether or not it exists) and per caller address.
func TestPasswordResetRequestsAreThrottled(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	account, unknown := w.A.PartnerA.Email, "nobody@a.test"
	for i, step := range []struct {
		name, email string
		status      int
	}{
		{"an account's first request", account, http.StatusAccepted},
		{"its second", account, http.StatusAccepted},
		{"its third", account, http.StatusAccepted},
		{"its fourth is refused", account, http.StatusTooManyRequests},
		{"an address with no account: first request", unknown, http.StatusAccepted},
		{"its second", unknown, http.StatusAccepted},
		{"its third", unknown, http.StatusAccepted},
		{"its fourth is refused alike", unknown, http.StatusTooManyRequests},
		{"another account, ninth request from this address", w.A.PartnerB.Email, http.StatusAccepted},
		{"another account, tenth request from this address", w.A.Therapist.Email, http.StatusAccepted},
		{"the address's eleventh is refused, for an account not asked for before", w.A.Admin.Email, http.StatusTooManyRequests},
	} {
		res := w.requestReset(step.email)
		if res.Status != step.status {
			t.Fatalf("step %d, %s: got %d %s, want %d", i+1, step.name, res.Status, res.Body, step.status)
		}
		if step.status == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
			t.Errorf("step %d, %s: no Retry-After", i+1, step.name)
		}
	}
	if n := w.countJobs(`args->>'to' = $1`, account); n != 3 {
		t.Errorf("%d reset mails queued for the throttled account, want 3", n)
	}
}

// securityLogHas reports whether a's own security log (GET /me/sign-ins) records action.
func securityLogHas(t *testing.T, a *actor, action string) bool {
	t.Helper()
	var log struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	a.do(http.MethodGet, "/api/v1/me/sign-ins", nil).JSON(t, &log)
	return slices.ContainsFunc(log.Entries, func(e store.AuditEntry) bool { return e.Action == action })
}

// changePassword asks to change a's password.
func changePassword(a *actor, current, password string) *response {
	a.w.t.Helper()
	return a.do(http.MethodPut, "/api/v1/me/password", map[string]string{"current_password": current, "password": password})
}

// Changing a password needs the current one; it keeps the session that asked and ends every other
// session of the account, tells the owner by mail, and touches nobody else.
func TestChangePasswordNeedsTheCurrentOneAndSignsOutOtherSessions(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	p := w.A
	otherDevice := w.signIn(p.PartnerA.Name, p.PartnerA.ID, p.PartnerA.Email)
	for _, tc := range []struct {
		name   string
		change func() *response
		status int
		code   string
	}{
		{"signed out", func() *response {
			return w.request(http.MethodPut, "/api/v1/me/password", map[string]string{"current_password": testPassword, "password": newTestPassword}, nil)
		}, http.StatusUnauthorized, fault.Unauthenticated},
		{"with a wrong current password", func() *response { return changePassword(p.PartnerA, "not the password", newTestPassword) },
			http.StatusUnauthorized, fault.InvalidCredentials},
		{"with another person's password", func() *response { return changePassword(p.PartnerB, testPassword+"!", newTestPassword) },
			http.StatusUnauthorized, fault.InvalidCredentials},
		{"without the current password", func() *response { return changePassword(p.PartnerA, "", newTestPassword) },
			http.StatusUnprocessableEntity, fault.Invalid},
		{"to a too short password", func() *response { return changePassword(p.PartnerA, testPassword, "short") },
			http.StatusUnprocessableEntity, fault.Invalid},
	} {
		t.Run("refused "+tc.name, func(t *testing.T) {
			res := tc.change()
			if res.Status != tc.status || !strings.Contains(string(res.Body), `"code":"`+tc.code+`"`) {
				t.Errorf("got %d %s, want %d %s", res.Status, res.Body, tc.status, tc.code)
			}
		})
	}
	if res := otherDevice.do(http.MethodGet, "/api/v1/me", nil); res.Status != http.StatusOK {
		t.Fatalf("a refused change signed the other device out: %d", res.Status)
	}
	if res := changePassword(p.PartnerA, testPassword, newTestPassword); res.Status != http.StatusNoContent {
		t.Fatalf("change: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		name   string
		check  func() *response
		status int
	}{
		{"the session that asked stays signed in", func() *response { return p.PartnerA.do(http.MethodGet, "/api/v1/me", nil) }, http.StatusOK},
		{"the other device is signed out", func() *response { return otherDevice.do(http.MethodGet, "/api/v1/me", nil) }, http.StatusUnauthorized},
		{"the old password no longer signs in", func() *response { return login(w.world, p.PartnerA.Email, testPassword, nil) }, http.StatusUnauthorized},
		{"the new password signs in", func() *response { return login(w.world, p.PartnerA.Email, newTestPassword, nil) }, http.StatusOK},
		{"the other partner is still signed in", func() *response { return p.PartnerB.do(http.MethodGet, "/api/v1/me", nil) }, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := tc.check(); res.Status != tc.status {
				t.Errorf("got %d %s, want %d", res.Status, res.Body, tc.status)
			}
		})
	}
	if !securityLogHas(t, p.PartnerA, "auth.password_change") {
		t.Error("the change is not in the account's security log")
	}
	if n := w.waitForSubject(p.PartnerA.Email, securityNoticeSubject); n != 1 {
		t.Errorf("%d security notices, want 1", n)
	}
	if got := w.messagesTo(p.PartnerB.Email); len(got) != 0 {
		t.Errorf("the other partner got %d messages", len(got))
	}
}

// Guessing the current password through a change is throttled like signing in, sharing the
// account's attempts: once they are spent even the right password waits.
func TestChangePasswordIsThrottledLikeSignIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.A.Therapist
	for i := range 5 {
		if res := changePassword(a, "guess number "+string(rune('a'+i)), newTestPassword); res.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	for _, tc := range []struct {
		name string
		try  func() *response
	}{
		{"the right password through a change", func() *response { return changePassword(a, testPassword, newTestPassword) }},
		{"the right password through sign-in", func() *response { return login(w, a.Email, testPassword, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := tc.try(); res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
				t.Errorf("got %d %s, want 429 with Retry-After", res.Status, res.Body)
			}
		})
	}
	if res := login(w, w.A.OtherTherapist.Email, testPassword, nil); res.Status != http.StatusOK {
		t.Errorf("another account was held back too: %d", res.Status)
	}
}

// Without a mail server, a reset link is kept in the development mailbox, where the demo practice's
// administrator finds it among its members' mail; another practice's member's link is not there.
func TestDevelopmentMailboxKeepsTheResetMailOfTheDemoPracticesMembers(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, policy.DefaultPolicy(), Config{MailboxPractices: []string{"Practice A"}}, mail.Config{})
	w.startMail()
	for _, a := range []*actor{w.A.PartnerA, w.B.PartnerA} {
		if res := w.request(http.MethodPost, "/api/v1/auth/password-resets", map[string]string{"email": a.Email}, nil); res.Status != http.StatusAccepted {
			t.Fatalf("request: %d %s", res.Status, res.Body)
		}
	}
	w.waitForJobs(2, `state = 'completed'`)
	var box struct {
		Messages []store.SentMail `json:"messages"`
	}
	res := w.A.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/mailbox", nil)
	res.JSON(t, &box)
	if res.Status != http.StatusOK || len(box.Messages) != 1 || box.Messages[0].Recipient != w.A.PartnerA.Email ||
		box.Messages[0].TextBody == nil || !strings.Contains(*box.Messages[0].TextBody, "/reset/") {
		t.Errorf("the demo administrator's mailbox: %d %+v", res.Status, box.Messages)
	}
	if res := w.B.Admin.do(http.MethodGet, "/api/v1/practices/"+id(w.B.ID)+"/mailbox", nil); res.Status != http.StatusNotFound {
		t.Errorf("another practice's administrator: %d", res.Status)
	}
}
