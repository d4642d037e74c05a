package server

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/store"
)

const sessionCookie = "amend_session"

// passwordParams are argon2id settings in line with current guidance (19 MiB, 2 passes).
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword hashes a password with argon2id.
func HashPassword(password string) (string, error) {
	return argon2id.CreateHash(password, passwordParams)
}

// dummyHash is compared against when an account does not exist, so that a wrong email takes as
// long as a wrong password and timing reveals nothing.
var dummyHash, _ = argon2id.CreateHash("no account has this password", passwordParams)

func checkPassword(password, hash string) bool {
	if hash == "" {
		hash = dummyHash
	}
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}

// CheckPasswordRules tells why a new password is not acceptable, or returns nil.
func CheckPasswordRules(password string, minLength int) error {
	if n := len([]rune(password)); n < minLength {
		return fault.InvalidField("password", "must be at least "+strconv.Itoa(minLength)+" characters long")
	}
	if len(password) > 256 {
		return fault.InvalidField("password", "must be at most 256 characters long")
	}
	return nil
}

type loginInput struct {
	Email    string `json:"email" validate:"required,email,max=254"`
	Password string `json:"password" validate:"required,max=256"`
}

// meBody is who the caller is, as GET /me and joining a practice by invite answer it.
type meBody struct {
	User        store.User         `json:"user"`
	Memberships []store.Membership `json:"memberships"`
	// MustEnrolSecondFactor is true when the session may only be used to set up a second factor.
	MustEnrolSecondFactor bool `json:"must_enrol_second_factor"`
}

// sessionBody is what signing in and creating an account by invite answer: the caller and the
// new session's token.
type sessionBody struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	meBody
}

func (s *Server) login(c *gin.Context) {
	var in loginInput
	if !s.bindJSON(c, &in) {
		return
	}
	user, ok := s.verifyPassword(c, in.Email, in.Password)
	if !ok {
		return
	}
	memberships, ok := s.signInMemberships(c, user.ID)
	if !ok {
		return
	}
	if on, err := s.store.HasSecondFactor(c.Request.Context(), user.ID); err != nil || on {
		if err != nil {
			fail(c, err)
			return
		}
		s.askSecondFactor(c, user)
		return
	}
	s.startSession(c, user, memberships)
}

// signInMemberships returns the memberships a signing-in user may use, refusing the sign-in like a
// wrong password when none is left. It answers the request itself on failure.
func (s *Server) signInMemberships(c *gin.Context, userID int64) ([]store.Membership, bool) {
	memberships, err := s.store.ActiveMemberships(c.Request.Context(), userID)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	if len(memberships) == 0 {
		s.auditAuth(c, userID, "login", store.OutcomeDenied)
		fail(c, errBadCredentials)
		return nil, false
	}
	return memberships, true
}

var errBadCredentials = fault.New(fault.InvalidCredentials, "That email and password do not match.")

// verifyPassword is the one place a password is checked against an account. Every check spends
// an attempt of the caller's address and of the account first (takeAttempt), so guesses are
// throttled alike wherever a password is asked for. It answers the request itself on failure.
func (s *Server) verifyPassword(c *gin.Context, email, password string) (store.User, bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !s.takeAttempt(c, email) {
		return store.User{}, false
	}
	user, err := s.store.UserByEmail(c.Request.Context(), email)
	if err != nil && fault.ErrorCode(err) != fault.NotFound {
		fail(c, err)
		return store.User{}, false
	}
	if !checkPassword(password, user.PasswordHash) {
		s.auditAuth(c, user.ID, "login", store.OutcomeDenied)
		fail(c, errBadCredentials)
		return store.User{}, false
	}
	s.accountThrottle.forget(email)
	return user, true
}

// takeAttempt spends one attempt of the caller's address and one of the account named by email.
// When either has none left it answers 429 and returns false.
func (s *Server) takeAttempt(c *gin.Context, email string) bool {
	return s.spendAttempt(c, s.addressThrottle, c.ClientIP()) && s.spendAttempt(c, s.accountThrottle, email)
}

// spendAttempt takes one attempt of key from t at the server's clock, answering 429 when none is
// left.
func (s *Server) spendAttempt(c *gin.Context, t *throttle, key string) bool {
	ok, wait := t.take(key, s.cfg.Now())
	if !ok {
		tooManyAttempts(c, wait)
	}
	return ok
}

// startSession signs the user in: a new token, kept only as a hash, set as a cookie and returned.
func (s *Server) startSession(c *gin.Context, user store.User, memberships []store.Membership) {
	token, hash := newToken()
	sess, err := s.store.CreateSession(c.Request.Context(), hash, user.ID, c.ClientIP(), s.cfg.IdleTimeout, s.cfg.AbsoluteTimeout)
	if err != nil {
		fail(c, err)
		return
	}
	mustEnrol, err := s.store.MustEnrolSecondFactor(c.Request.Context(), user.ID)
	if err != nil {
		fail(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.CookieSecure,
		SameSite: http.SameSiteLaxMode, Expires: sess.ExpiresAt,
	})
	c.Set(ctxCaller, &Caller{User: user, SessionID: sess.ID, MustEnrol: mustEnrol})
	s.auditAuth(c, user.ID, "login", store.OutcomeAllowed)
	c.JSON(http.StatusOK, sessionBody{Token: token, ExpiresAt: sess.ExpiresAt,
		meBody: meBody{User: user, Memberships: memberships, MustEnrolSecondFactor: mustEnrol}})
}

func tooManyAttempts(c *gin.Context, wait time.Duration) {
	c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	fail(c, fault.New(fault.RateLimited, "Too many attempts. Please wait a little and try again."))
}

func (s *Server) logout(c *gin.Context) {
	if token := requestToken(c.Request); token != "" && wellFormedToken(token) {
		sessionID, err := s.store.DeleteSession(c.Request.Context(), hashToken(token))
		if err != nil {
			fail(c, err)
			return
		}
		s.endSignIn(c.Request.Context(), sessionID)
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.cfg.CookieSecure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) {
	caller := mustCaller(c)
	memberships, err := s.store.ActiveMemberships(c.Request.Context(), caller.User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, meBody{User: caller.User, Memberships: memberships, MustEnrolSecondFactor: caller.MustEnrol})
}

// signIns lists the caller's own recent sign-in attempts, allowed and denied, with the address
// each came from, so that a person can notice a sign-in that was not theirs.
func (s *Server) signIns(c *gin.Context) {
	entries, err := s.store.SignIns(c.Request.Context(), mustCaller(c).User.ID, 50)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries})
}

func requestToken(r *http.Request) string {
	if t := bearerToken(r); t != "" {
		return t
	}
	if ck, err := r.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

// Authenticate finds the caller of a request from its bearer token or cookie.
func (s *Server) Authenticate(r *http.Request) (*Caller, error) {
	token := bearerToken(r)
	viaCookie := false
	if token == "" {
		if ck, err := r.Cookie(sessionCookie); err == nil {
			token, viaCookie = ck.Value, true
		}
	}
	if token == "" || !wellFormedToken(token) {
		return nil, errUnauthenticated
	}
	sess, user, err := s.store.TouchSession(r.Context(), hashToken(token), s.cfg.IdleTimeout, touchEvery(s.cfg.IdleTimeout))
	if fault.ErrorCode(err) == fault.NotFound {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	return &Caller{User: user, SessionID: sess.ID, ViaCookie: viaCookie, MustEnrol: sess.MustEnrol}, nil
}

// touchEvery is how long a session's last activity may go unrecorded: a quarter of the idle
// timeout, at most a minute, so that an active session always has most of its idle time left
// however short the timeout is, and a busy client still does not write on every request.
func touchEvery(idle time.Duration) time.Duration {
	return min(time.Minute, idle/4)
}

// requireAuth lets only signed-in callers through.
func (s *Server) requireAuth(c *gin.Context) {
	caller, err := s.Authenticate(c.Request)
	if err != nil {
		fail(c, err)
		return
	}
	c.Set(ctxCaller, caller)
	c.Next()
}
