package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/store"
)

func twoFactorMatrix() []matrixCase {
	settings := func(method string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/practices/" + id(p.ID) + "/security-settings", body
		}
	}
	return []matrixCase{
		{name: "read the sign-in settings", object: "security_settings", action: "read", success: 200,
			request: settings(http.MethodGet, nil), relation: everyone(store.RelPractice)},
		// Turning the requirement off keeps every later caller of the walk fully signed in.
		{name: "set the second-factor requirement", object: "security_settings", action: "update", success: 200,
			request: settings(http.MethodPut, map[string]any{"require_second_factor": false}), relation: everyone(store.RelPractice)},
	}
}

// codeAt is the code an authenticator app with secret shows at time at.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totpOptions)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enrolled is an actor with a confirmed second factor: its secret and recovery codes.
type enrolled struct {
	*actor
	secret        string
	recoveryCodes []string
}

// enrol sets up and confirms a second factor for a over the API, with the code of the test's clock.
func enrol(t *testing.T, a *actor) enrolled {
	t.Helper()
	res := a.do(http.MethodPost, "/api/v1/me/second-factor", nil)
	var started enrolment
	res.JSON(t, &started)
	if res.Status != http.StatusCreated || started.Secret == "" {
		t.Fatalf("begin enrolment: %d %s", res.Status, res.Body)
	}
	res = a.do(http.MethodPost, "/api/v1/me/second-factor/confirm", map[string]string{"code": codeAt(t, started.Secret, time.Now())})
	var confirmed struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	res.JSON(t, &confirmed)
	if res.Status != http.StatusOK {
		t.Fatalf("confirm enrolment: %d %s", res.Status, res.Body)
	}
	return enrolled{actor: a, secret: started.Secret, recoveryCodes: confirmed.RecoveryCodes}
}

// passwordStep signs a in with their password and returns the second step's challenge.
func passwordStep(t *testing.T, a *actor) string {
	t.Helper()
	res := login(a.w, a.Email, testPassword, nil)
	var step secondStepBody
	res.JSON(t, &step)
	if res.Status != http.StatusOK || !step.SecondFactorRequired || step.Challenge == "" {
		t.Fatalf("password step of %s: %d %s", a.Name, res.Status, res.Body)
	}
	if strings.Contains(string(res.Body), `"token"`) || res.Header.Get("Set-Cookie") != "" {
		t.Fatalf("password step of %s opened a session: %s", a.Name, res.Body)
	}
	return step.Challenge
}

func codeStep(w *world, challenge string, body map[string]string) *response {
	w.t.Helper()
	body["challenge"] = challenge
	return w.request(http.MethodPost, "/api/v1/auth/login/second-factor", body, nil)
}

// nextStepCode is a code of the time step after now's, which the server accepts (one step of
// drift) and which no earlier sign-in in the test has used.
func nextStepCode(t *testing.T, e enrolled) string {
	t.Helper()
	return codeAt(t, e.secret, time.Now().Add(totpPeriod))
}

func TestSecondFactorEnrolConfirmAndSignIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	therapist := w.A.Therapist

	res := therapist.do(http.MethodPost, "/api/v1/me/second-factor", nil)
	var started enrolment
	res.JSON(t, &started)
	if res.Status != http.StatusCreated || !strings.HasPrefix(started.QRCode, "data:image/png;base64,") ||
		!strings.HasPrefix(started.OTPAuthURL, "otpauth://totp/Amend:") || !strings.Contains(started.OTPAuthURL, started.Secret) {
		t.Fatalf("begin: %d %s", res.Status, res.Body)
	}
	// A pending factor is not asked for at sign-in.
	if res := login(w, therapist.Email, testPassword, nil); res.Status != http.StatusOK || strings.Contains(string(res.Body), "challenge") {
		t.Fatalf("sign-in with a pending factor: %d %s", res.Status, res.Body)
	}
	if res := therapist.do(http.MethodPost, "/api/v1/me/second-factor/confirm", map[string]string{"code": "000000"}); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("confirm with a wrong code: %d %s", res.Status, res.Body)
	}
	res = therapist.do(http.MethodPost, "/api/v1/me/second-factor/confirm", map[string]string{"code": codeAt(t, started.Secret, time.Now())})
	var confirmed struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	res.JSON(t, &confirmed)
	if res.Status != http.StatusOK || len(confirmed.RecoveryCodes) != recoveryCodeCount {
		t.Fatalf("confirm: %d %s", res.Status, res.Body)
	}
	// The secret is never shown again.
	res = therapist.do(http.MethodGet, "/api/v1/me/second-factor", nil)
	var status store.SecondFactorStatus
	res.JSON(t, &status)
	if res.Status != http.StatusOK || !status.Enabled || status.RecoveryCodesLeft != recoveryCodeCount || strings.Contains(string(res.Body), started.Secret) {
		t.Fatalf("status: %d %s", res.Status, res.Body)
	}
	if res := therapist.do(http.MethodPost, "/api/v1/me/second-factor", nil); res.Status != http.StatusConflict {
		t.Fatalf("begin again while on: %d %s", res.Status, res.Body)
	}

	challenge := passwordStep(t, therapist)
	if res := w.request(http.MethodGet, "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + challenge}); res.Status != http.StatusUnauthorized {
		t.Fatalf("the challenge used as a session: %d %s", res.Status, res.Body)
	}
	code := codeAt(t, started.Secret, time.Now().Add(totpPeriod))
	res = codeStep(w, challenge, map[string]string{"code": code})
	var signedIn sessionBody
	res.JSON(t, &signedIn)
	if res.Status != http.StatusOK || signedIn.Token == "" || signedIn.User.ID != therapist.ID {
		t.Fatalf("code step: %d %s", res.Status, res.Body)
	}
	if res := w.request(http.MethodGet, "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + signedIn.Token}); res.Status != http.StatusOK {
		t.Fatalf("the new session: %d %s", res.Status, res.Body)
	}

	cases := []struct {
		name      string
		challenge func() string
		code      string
	}{
		{"the challenge is single-use", func() string { return challenge }, codeAt(t, started.Secret, time.Now())},
		{"a used code is refused (replay)", func() string { return passwordStep(t, therapist) }, code},
		{"an unknown challenge", func() string { tok, _ := newToken(); return tok }, code},
	}
	for _, tc := range cases {
		if res := codeStep(w, tc.challenge(), map[string]string{"code": tc.code}); res.Status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", tc.name, res.Status, res.Body)
		}
	}
}

func TestWrongSecondFactorCodesAreThrottled(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := enrol(t, w.A.Admin)
	for i := range 5 {
		if res := codeStep(w, passwordStep(t, admin.actor), map[string]string{"code": "123456"}); res.Status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	// A right password does not give the code attempts back, and a right code waits too.
	res := codeStep(w, passwordStep(t, admin.actor), map[string]string{"code": nextStepCode(t, admin)})
	if res.Status != http.StatusTooManyRequests || res.ErrorCode() != fault.RateLimited || res.Header.Get("Retry-After") == "" {
		t.Fatalf("6th code: %d %s Retry-After=%q", res.Status, res.Body, res.Header.Get("Retry-After"))
	}
	if res := admin.do(http.MethodPost, "/api/v1/me/second-factor/disable", map[string]string{"code": "123456"}); res.Status != http.StatusTooManyRequests {
		t.Fatalf("disable with a code while throttled: %d %s", res.Status, res.Body)
	}
	// Another account from the same address is still served.
	other := enrol(t, w.A.Therapist)
	if res := codeStep(w, passwordStep(t, other.actor), map[string]string{"code": nextStepCode(t, other)}); res.Status != http.StatusOK {
		t.Fatalf("other account: %d %s", res.Status, res.Body)
	}
}

func TestRecoveryCodesAreSingleUse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := enrol(t, w.A.Admin)
	spent := admin.recoveryCodes[3]
	// Typed in capitals with spaces, as a person reading it from paper might.
	if res := codeStep(w, passwordStep(t, admin.actor), map[string]string{"recovery_code": " " + strings.ToUpper(spent) + " "}); res.Status != http.StatusOK {
		t.Fatalf("first use: %d %s", res.Status, res.Body)
	}
	if res := codeStep(w, passwordStep(t, admin.actor), map[string]string{"recovery_code": spent}); res.Status != http.StatusUnauthorized {
		t.Fatalf("second use: %d %s", res.Status, res.Body)
	}
	var status store.SecondFactorStatus
	admin.do(http.MethodGet, "/api/v1/me/second-factor", nil).JSON(t, &status)
	if status.RecoveryCodesLeft != recoveryCodeCount-1 {
		t.Fatalf("codes left: %d", status.RecoveryCodesLeft)
	}
}

func TestWrongUserCannotUseAnotherPersonsFactor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := enrol(t, w.A.Admin)
	therapist := enrol(t, w.A.Therapist)
	cases := []struct {
		name string
		res  func() *response
	}{
		{"another person's code at my sign-in", func() *response {
			return codeStep(w, passwordStep(t, admin.actor), map[string]string{"code": nextStepCode(t, therapist)})
		}},
		{"another person's recovery code at my sign-in", func() *response {
			return codeStep(w, passwordStep(t, admin.actor), map[string]string{"recovery_code": therapist.recoveryCodes[0]})
		}},
		{"disabling my factor with another person's code", func() *response {
			return admin.do(http.MethodPost, "/api/v1/me/second-factor/disable", map[string]string{"code": nextStepCode(t, therapist)})
		}},
		{"disabling my factor with another person's password", func() *response {
			return w.B.PartnerA.do(http.MethodPost, "/api/v1/me/second-factor/disable", map[string]string{"password": "not their password"})
		}},
	}
	for _, tc := range cases {
		if res := tc.res(); res.Status != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", tc.name, res.Status, res.Body)
		}
	}
	// Both factors are still on, and the partner (who has none) has nothing to disable.
	for _, e := range []enrolled{admin, therapist} {
		var status store.SecondFactorStatus
		e.do(http.MethodGet, "/api/v1/me/second-factor", nil).JSON(t, &status)
		if !status.Enabled || status.RecoveryCodesLeft != recoveryCodeCount {
			t.Errorf("%s's factor after the attempts: %+v", e.Name, status)
		}
	}
	if res := w.A.PartnerA.do(http.MethodPost, "/api/v1/me/second-factor/disable", map[string]string{"password": testPassword}); res.Status != http.StatusNotFound {
		t.Errorf("disable without a factor: %d %s", res.Status, res.Body)
	}
}

func TestDisablingTheSecondFactorNeedsACodeOrThePassword(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cases := []struct {
		name string
		body func(e enrolled) map[string]string
	}{
		{"with a current code", func(e enrolled) map[string]string { return map[string]string{"code": nextStepCode(t, e)} }},
		{"with the password", func(enrolled) map[string]string { return map[string]string{"password": testPassword} }},
	}
	for _, tc := range cases {
		e := enrol(t, w.A.Therapist)
		if res := e.do(http.MethodPost, "/api/v1/me/second-factor/disable", map[string]string{}); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: without proof: %d %s", tc.name, res.Status, res.Body)
		}
		if res := e.do(http.MethodPost, "/api/v1/me/second-factor/disable", tc.body(e)); res.Status != http.StatusNoContent {
			t.Fatalf("%s: %d %s", tc.name, res.Status, res.Body)
		}
		// Signing in needs the password alone again.
		if res := login(w, e.Email, testPassword, nil); res.Status != http.StatusOK || strings.Contains(string(res.Body), "challenge") {
			t.Fatalf("%s: sign-in after disabling: %d %s", tc.name, res.Status, res.Body)
		}
	}
	// Each change queued a "your second factor changed" message to the person.
	w.waitForJobs(2*len(cases), `args->>'type' = 'security_changed' AND args->>'to' = $1`, w.A.Therapist.Email)
}

func TestPracticeRequirementSignsStaffInOnlyToEnrol(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if res := w.A.Admin.do(http.MethodPut, "/api/v1/practices/"+id(w.A.ID)+"/security-settings", map[string]any{"require_second_factor": true}); res.Status != http.StatusOK {
		t.Fatalf("turn the requirement on: %d %s", res.Status, res.Body)
	}
	couples := "/api/v1/practices/" + id(w.A.ID) + "/couples"
	cases := []struct {
		name      string
		who       *actor
		practice  *practice
		mustEnrol bool
	}{
		{"administrator without a factor", w.A.Admin, w.A, true},
		{"therapist without a factor", w.A.Therapist, w.A, true},
		{"front desk without a factor", w.A.FrontDesk, w.A, true},
		{"partner", w.A.PartnerA, w.A, false},
		{"therapist of another practice", w.B.Therapist, w.B, false},
	}
	for _, tc := range cases {
		res := login(w, tc.who.Email, testPassword, nil)
		var signedIn sessionBody
		res.JSON(t, &signedIn)
		if res.Status != http.StatusOK || signedIn.MustEnrolSecondFactor != tc.mustEnrol {
			t.Errorf("%s: sign-in: %d %s", tc.name, res.Status, res.Body)
		}
		want := http.StatusOK
		if tc.mustEnrol {
			want = http.StatusForbidden
		}
		// Reading the practice is open to every member, so only the requirement can refuse it.
		if res := tc.who.do(http.MethodGet, "/api/v1/practices/"+id(tc.practice.ID), nil); res.Status != want ||
			tc.mustEnrol && res.ErrorCode() != fault.SecondFactorRequired {
			t.Errorf("%s: read the practice: %d %s, want %d", tc.name, res.Status, res.Body, want)
		}
		var me struct {
			MustEnrol bool `json:"must_enrol_second_factor"`
		}
		res = tc.who.do(http.MethodGet, "/api/v1/me", nil)
		res.JSON(t, &me)
		if res.Status != http.StatusOK || me.MustEnrol != tc.mustEnrol {
			t.Errorf("%s: me: %d %s", tc.name, res.Status, res.Body)
		}
	}
	// Setting a factor up lifts the restriction at once, for the session that did it.
	enrol(t, w.A.Therapist)
	if res := w.A.Therapist.do(http.MethodGet, couples, nil); res.Status != http.StatusOK {
		t.Fatalf("after enrolling: %d %s", res.Status, res.Body)
	}
	// Turning the factor off again while it is required signs the session back to enrolment only.
	if res := w.A.Therapist.do(http.MethodPost, "/api/v1/me/second-factor/disable", map[string]string{"password": testPassword}); res.Status != http.StatusNoContent {
		t.Fatalf("disable: %d %s", res.Status, res.Body)
	}
	if res := w.A.Therapist.do(http.MethodGet, couples, nil); res.Status != http.StatusForbidden {
		t.Fatalf("after disabling: %d %s", res.Status, res.Body)
	}
}

// A therapist signed in elsewhere who joins a practice that requires a second factor is told, in
// the answer to joining, that the session may now only set one up; the app sends them there.
func TestJoiningAPracticeThatRequiresASecondFactorSaysSo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	intoA := createInvite(t, w.A.Admin, w.A.ID, w.B.Therapist.Email, "therapist")
	intoB := createInvite(t, w.B.Admin, w.B.ID, w.A.PartnerA.Email, "therapist")
	if res := w.A.Admin.do(http.MethodPut, "/api/v1/practices/"+id(w.A.ID)+"/security-settings", map[string]any{"require_second_factor": true}); res.Status != http.StatusOK {
		t.Fatalf("turn the requirement on: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		name      string
		joiner    *actor
		token     string
		mustEnrol bool
	}{
		{"joining a practice that requires a second factor", w.B.Therapist, intoA.Token, true},
		{"joining a practice that does not", w.A.PartnerA, intoB.Token, false},
	} {
		res := tc.joiner.do(http.MethodPost, "/api/v1/invites/"+tc.token+"/accept", nil)
		var joined struct {
			MustEnrol *bool `json:"must_enrol_second_factor"`
		}
		res.JSON(t, &joined)
		if res.Status != http.StatusOK || joined.MustEnrol == nil || *joined.MustEnrol != tc.mustEnrol {
			t.Errorf("%s: %d %s, want must_enrol_second_factor %v", tc.name, res.Status, res.Body, tc.mustEnrol)
		}
	}
}

func TestMatchTOTPAllowsOneStepOfDrift(t *testing.T) {
	t.Parallel()
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	now := time.Date(2030, 1, 1, 12, 0, 15, 0, time.UTC)
	step := now.Unix() / 30
	cases := []struct {
		name   string
		codeAt time.Time
		step   int64
		ok     bool
	}{
		{"now", now, step, true},
		{"one step behind", now.Add(-totpPeriod), step - 1, true},
		{"one step ahead", now.Add(totpPeriod), step + 1, true},
		{"two steps behind", now.Add(-2 * totpPeriod), 0, false},
		{"two steps ahead", now.Add(2 * totpPeriod), 0, false},
	}
	for _, tc := range cases {
		got, ok := matchTOTP(secret, codeAt(t, secret, tc.codeAt), now)
		if ok != tc.ok || got != tc.step {
			t.Errorf("%s: step %d ok %v, want %d %v", tc.name, got, ok, tc.step, tc.ok)
		}
	}
	if _, ok := matchTOTP(secret, "", now); ok {
		t.Error("an empty code matched")
	}
}

func TestCodeStepRefusesAMemberDisabledSinceThePassword(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	therapist := enrol(t, w.A.OtherTherapist)
	challenge := passwordStep(t, therapist.actor)
	if err := w.store.SetMemberDisabled(context.Background(), w.A.ID, therapist.ID, true); err != nil {
		t.Fatal(err)
	}
	res := codeStep(w, challenge, map[string]string{"code": nextStepCode(t, therapist)})
	if res.Status != http.StatusUnauthorized || strings.Contains(string(res.Body), `"token"`) {
		t.Fatalf("code step of a disabled member: %d %s", res.Status, res.Body)
	}
}
