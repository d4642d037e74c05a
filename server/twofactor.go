package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/store"
)

const (
	// signInChallengeTTL is how long the step between a right password and the code lasts.
	signInChallengeTTL = 5 * time.Minute
	// recoveryCodeCount is how many single-use recovery codes a confirmed factor comes with.
	recoveryCodeCount = 10
	totpPeriod        = 30 * time.Second
)

// totpOptions are the settings every authenticator app understands: SHA-1, six digits, 30 s.
var totpOptions = totp.ValidateOpts{Period: uint(totpPeriod.Seconds()), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

var (
	errBadCode = fault.New(fault.InvalidCredentials, "That code is not right, or was used already.")
	// errSignInExpired answers a second step whose challenge is unknown, used or expired.
	errSignInExpired = fault.New(fault.Unauthenticated, "This sign-in has expired. Please enter your password again.")
	errMustEnrol     = fault.New(fault.SecondFactorRequired,
		"Your practice requires a second factor. Set one up in your account settings first.")
)

// refuseUntilEnrolled turns away a session whose practice requires a second factor its user has
// not set up; only the routes that set one up are outside it.
func (s *Server) refuseUntilEnrolled(c *gin.Context) {
	if mustCaller(c).MustEnrol {
		fail(c, errMustEnrol)
		return
	}
	c.Next()
}

// secondStepBody answers a right password of an account with a second factor: no session yet,
// only the one-time token that the code must come with.
type secondStepBody struct {
	SecondFactorRequired bool      `json:"second_factor_required"`
	Challenge            string    `json:"challenge"`
	ExpiresAt            time.Time `json:"expires_at"`
}

// askSecondFactor answers a sign-in whose password was right with the step that asks for a code.
func (s *Server) askSecondFactor(c *gin.Context, user store.User) {
	token, hash := newToken()
	expires, err := s.store.CreateSignInChallenge(c.Request.Context(), hash, user.ID, signInChallengeTTL)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, secondStepBody{SecondFactorRequired: true, Challenge: token, ExpiresAt: expires})
}

type secondStepInput struct {
	Challenge    string `json:"challenge" validate:"required,max=64"`
	Code         string `json:"code" validate:"required_without=RecoveryCode,max=16"`
	RecoveryCode string `json:"recovery_code" validate:"required_without=Code,max=32"`
}

// loginSecondStep finishes a sign-in: a right code (or an unused recovery code) with the token of
// a right password opens the session. Guesses are throttled like passwords.
func (s *Server) loginSecondStep(c *gin.Context) {
	var in secondStepInput
	if !s.bindJSON(c, &in) {
		return
	}
	ctx := c.Request.Context()
	challenge := hashToken(in.Challenge)
	user, err := store.User{}, error(fault.ErrNotFound)
	if wellFormedToken(in.Challenge) {
		user, err = s.store.SignInChallengeUser(ctx, challenge)
	}
	if fault.ErrorCode(err) == fault.NotFound {
		if s.spendAttempt(c, s.addressThrottle, c.ClientIP()) {
			fail(c, errSignInExpired)
		}
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	if !s.checkSecondFactor(c, user.ID, in.Code, in.RecoveryCode) {
		return
	}
	if ended, err := s.store.EndSignInChallenge(ctx, challenge); err != nil || !ended {
		fail(c, orElse(err, errSignInExpired))
		return
	}
	if memberships, ok := s.signInMemberships(c, user.ID); ok {
		s.startSession(c, user, memberships)
	}
}

// orElse is err when there is one, else fallback.
func orElse(err error, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// codeAttempts is the throttle key of an account's second-factor codes. It is apart from the
// password's key, so that a right password does not give back the attempts spent on codes.
func codeAttempts(userID int64) string { return "code:" + strconv.FormatInt(userID, 10) }

// checkSecondFactor is the one place a code of a confirmed factor is checked: it spends an
// attempt of the caller's address and of the account's codes, then accepts a TOTP code of a time
// step later than the last one accepted, or an unused recovery code, and spends it. It answers
// the request itself on failure.
func (s *Server) checkSecondFactor(c *gin.Context, userID int64, code, recoveryCode string) bool {
	if !s.takeAttempt(c, codeAttempts(userID)) {
		return false
	}
	ok, err := s.spendSecondFactor(c.Request.Context(), userID, code, recoveryCode)
	if err != nil {
		fail(c, err)
		return false
	}
	if !ok {
		s.auditAuth(c, userID, "second_factor", store.OutcomeDenied)
		fail(c, errBadCode)
		return false
	}
	s.accountThrottle.forget(codeAttempts(userID))
	return true
}

func (s *Server) spendSecondFactor(ctx context.Context, userID int64, code, recoveryCode string) (bool, error) {
	if recoveryCode != "" {
		return s.store.UseRecoveryCode(ctx, userID, hashRecoveryCode(recoveryCode))
	}
	f, err := s.store.SecondFactorOf(ctx, userID)
	if fault.ErrorCode(err) == fault.NotFound || err == nil && f.ConfirmedAt == nil {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	step, ok := matchTOTP(f.Secret, code, time.Now())
	if !ok || step <= f.LastStep {
		return false, nil
	}
	return s.store.UseTOTPStep(ctx, userID, step)
}

// matchTOTP finds the time step whose code is code, allowing one step of clock drift either way.
func matchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	for _, drift := range []time.Duration{0, -totpPeriod, totpPeriod} {
		at := now.Add(drift)
		want, err := totp.GenerateCodeCustom(secret, at, totpOptions)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return at.Unix() / int64(totpPeriod.Seconds()), true
		}
	}
	return 0, false
}

func (s *Server) getSecondFactor(c *gin.Context) {
	st, err := s.store.SecondFactorStatusOf(c.Request.Context(), mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// enrolment is a new, unconfirmed factor: shown once, to be typed or scanned into an app.
type enrolment struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	// QRCode is a PNG of the otpauth URL as a data: URL.
	QRCode string `json:"qr_code"`
}

// beginSecondFactor makes a new secret for the caller. It stays pending, and sign-in does not ask
// for it, until a first code confirms it.
func (s *Server) beginSecondFactor(c *gin.Context) {
	caller := mustCaller(c)
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Amend", AccountName: caller.User.Email,
		Period: totpOptions.Period, Digits: totpOptions.Digits, Algorithm: totpOptions.Algorithm})
	if err != nil {
		fail(c, err)
		return
	}
	img, err := key.Image(240, 240)
	if err != nil {
		fail(c, err)
		return
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		fail(c, err)
		return
	}
	if err := s.store.BeginSecondFactor(c.Request.Context(), caller.User.ID, key.Secret()); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, enrolment{Secret: key.Secret(), OTPAuthURL: key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(qr.Bytes())})
}

type codeInput struct {
	Code string `json:"code" validate:"required,max=16"`
}

// confirmSecondFactor turns the caller's pending factor on with its first code and answers the
// recovery codes, which are shown this once and kept only as hashes.
func (s *Server) confirmSecondFactor(c *gin.Context) {
	var in codeInput
	if !s.bindJSON(c, &in) {
		return
	}
	caller := mustCaller(c)
	ctx := c.Request.Context()
	if !s.takeAttempt(c, codeAttempts(caller.User.ID)) {
		return
	}
	f, err := s.store.SecondFactorOf(ctx, caller.User.ID)
	if err == nil && f.ConfirmedAt != nil {
		err = fault.ConflictBecause("the second factor is on already")
	}
	if err != nil {
		fail(c, err)
		return
	}
	step, ok := matchTOTP(f.Secret, in.Code, time.Now())
	if !ok {
		fail(c, fault.InvalidField("code", "is not the code your app shows now"))
		return
	}
	codes, hashes := newRecoveryCodes()
	if err := s.store.ConfirmSecondFactor(ctx, caller.User.ID, step, hashes, s.mailSecurityChanged(caller.User.Email)...); err != nil {
		fail(c, err)
		return
	}
	s.accountThrottle.forget(codeAttempts(caller.User.ID))
	s.auditAuth(c, caller.User.ID, "second_factor.enable", store.OutcomeAllowed)
	c.JSON(http.StatusOK, gin.H{"recovery_codes": codes})
}

type disableInput struct {
	Code     string `json:"code" validate:"required_without=Password,max=16"`
	Password string `json:"password" validate:"required_without=Code,max=256"`
}

// disableSecondFactor turns the caller's factor off, given a current code or their password.
func (s *Server) disableSecondFactor(c *gin.Context) {
	var in disableInput
	if !s.bindJSON(c, &in) {
		return
	}
	caller := mustCaller(c)
	if in.Code != "" {
		if !s.checkSecondFactor(c, caller.User.ID, in.Code, "") {
			return
		}
	} else if _, ok := s.verifyPassword(c, caller.User.Email, in.Password); !ok {
		return
	}
	if err := s.store.DisableSecondFactor(c.Request.Context(), caller.User.ID, s.mailSecurityChanged(caller.User.Email)...); err != nil {
		fail(c, err)
		return
	}
	s.auditAuth(c, caller.User.ID, "second_factor.disable", store.OutcomeAllowed)
	c.Status(http.StatusNoContent)
}

// mailSecurityChanged tells the person at email, in the transaction of the change, that their
// second factor changed.
func (s *Server) mailSecurityChanged(email string) []store.AfterChange {
	return s.afterChange(func(ctx context.Context, tx *sqlx.Tx, userID int64) error {
		return s.mail.EnqueueSecurity(ctx, tx.Tx, mail.KindSecurityChanged,
			fmt.Sprintf("second-factor:%d:%d", userID, time.Now().UnixNano()), email, "/")
	})
}

// newRecoveryCodes makes the single-use codes that stand in for the app once each (50 random
// bits, base32, as "xxxxx-xxxxx"), and their hashes.
func newRecoveryCodes() (codes []string, hashes [][]byte) {
	for range recoveryCodeCount {
		text := strings.ToLower(rand.Text()[:10])
		code := text[:5] + "-" + text[5:]
		codes = append(codes, code)
		hashes = append(hashes, hashRecoveryCode(code))
	}
	return codes, hashes
}

// hashRecoveryCode hashes a recovery code as typed, ignoring case, spaces and dashes.
func hashRecoveryCode(code string) []byte {
	code = strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	return hashToken(code)
}

// securitySettings is a practice's sign-in settings.
type securitySettings struct {
	RequireSecondFactor *bool `json:"require_second_factor" validate:"required"`
}

func (s *Server) getSecuritySettings(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.SecuritySettings, policy.Read)
	if !ok {
		return
	}
	required, err := s.store.SecondFactorRequiredBy(c.Request.Context(), pid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, securitySettings{RequireSecondFactor: &required})
}

func (s *Server) setSecuritySettings(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.SecuritySettings, policy.Update)
	if !ok {
		return
	}
	var in securitySettings
	if !s.bindJSON(c, &in) {
		return
	}
	if err := s.store.RequireSecondFactor(c.Request.Context(), pid, *in.RequireSecondFactor); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, in)
}
