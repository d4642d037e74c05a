package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/store"
)

const (
	// resetTTL is how long a password reset link works.
	resetTTL = time.Hour
	// resetAnswerTime is how long a reset request takes to answer, whether or not an account has
	// the address, so the time taken tells nothing the answer does not.
	resetAnswerTime = 300 * time.Millisecond
)

var errResetLinkInvalid = fault.New(fault.NotFound,
	"This reset link does not work: it was used already, has expired, or was replaced by a newer one. Ask for a new link.")

// resetThrottle limits password reset requests per account (the address asked for) and per
// caller address, apart from sign-in attempts.
type resetThrottle struct{ account, address *throttle }

func newResetThrottle() resetThrottle {
	return resetThrottle{account: newThrottle(20*time.Minute, 3, 100_000), address: newThrottle(time.Minute, 10, 100_000)}
}

type resetRequestInput struct {
	Email string `json:"email" validate:"required,email,max=254"`
}

// requestPasswordReset mails a one-time link to choose a new password to the account with this
// address. The answer, and the time it takes, are the same whether or not there is such an account.
func (s *Server) requestPasswordReset(c *gin.Context) {
	var in resetRequestInput
	if !s.bindJSON(c, &in) {
		return
	}
	answerAt := time.Now().Add(resetAnswerTime)
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if !s.spendAttempt(c, s.resetThrottle.address, c.ClientIP()) || !s.spendAttempt(c, s.resetThrottle.account, email) {
		return
	}
	token, hash := newToken()
	err := s.store.CreatePasswordReset(c.Request.Context(), email, hash, s.cfg.Now(), resetTTL,
		s.afterChange(func(ctx context.Context, tx *sqlx.Tx, resetID int64) error {
			return s.mail.EnqueueSecurity(ctx, tx.Tx, mail.KindPasswordReset, fmt.Sprint(resetID), email, "/reset/"+token)
		})...)
	if err != nil && fault.ErrorCode(err) != fault.NotFound {
		fail(c, err)
		return
	}
	waitUntil(c.Request.Context(), answerAt)
	c.JSON(http.StatusAccepted, gin.H{"message": "If an account uses this address, a link to choose a new password is on its way. It works once, within an hour."})
}

// waitUntil returns at t, or when ctx ends.
func waitUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

type newPasswordInput struct {
	Password string `json:"password" validate:"required,max=256"`
}

// resetPassword uses a reset link once: the account gets the new password, every session of it
// ends, and its owner is told by mail.
func (s *Server) resetPassword(c *gin.Context) {
	var in newPasswordInput
	if !s.bindJSON(c, &in) {
		return
	}
	token := c.Param("token")
	if !wellFormedToken(token) {
		fail(c, errResetLinkInvalid)
		return
	}
	// Hashing a password is costly: spend an attempt of the address first, as signing in does.
	if !s.spendAttempt(c, s.addressThrottle, c.ClientIP()) {
		return
	}
	hash, ok := s.hashNewPassword(c, in.Password)
	if !ok {
		return
	}
	changed, err := s.store.ResetPassword(c.Request.Context(), hashToken(token), hash, s.cfg.Now(), s.mailPasswordChanged()...)
	if fault.ErrorCode(err) == fault.NotFound {
		fail(c, errResetLinkInvalid)
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	// The owner of the mailbox has proven themselves: earlier wrong guesses no longer hold them back.
	s.accountThrottle.forget(strings.ToLower(changed.User.Email))
	s.passwordChanged(c, changed, "password_reset")
}

type changePasswordInput struct {
	CurrentPassword string `json:"current_password" validate:"required,max=256"`
	Password        string `json:"password" validate:"required,max=256"`
}

// changePassword sets a new password for the signed-in person, who must give the current one;
// every other session of the account ends, and its owner is told by mail.
func (s *Server) changePassword(c *gin.Context) {
	var in changePasswordInput
	if !s.bindJSON(c, &in) {
		return
	}
	caller := mustCaller(c)
	if _, ok := s.verifyPassword(c, caller.User.Email, in.CurrentPassword); !ok {
		return
	}
	hash, ok := s.hashNewPassword(c, in.Password)
	if !ok {
		return
	}
	changed, err := s.store.ChangePassword(c.Request.Context(), caller.User.ID, hash, caller.SessionID, s.mailPasswordChanged()...)
	if err != nil {
		fail(c, err)
		return
	}
	s.passwordChanged(c, changed, "password_change")
}

// hashNewPassword checks a new password against the rules and hashes it, answering the request
// itself when it cannot.
func (s *Server) hashNewPassword(c *gin.Context, password string) (string, bool) {
	if err := CheckPasswordRules(password, s.cfg.MinPasswordLength); err != nil {
		fail(c, err)
		return "", false
	}
	hash, err := HashPassword(password)
	if err != nil {
		fail(c, err)
		return "", false
	}
	return hash, true
}

// mailPasswordChanged queues the "your password changed" notice to the account's address in the
// transaction of the change.
func (s *Server) mailPasswordChanged() []store.AfterChange {
	return s.afterChange(func(ctx context.Context, tx *sqlx.Tx, userID int64) error {
		email, err := store.UserEmailTx(ctx, tx, userID)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("password:%d:%d", userID, time.Now().UnixNano())
		return s.mail.EnqueueSecurity(ctx, tx.Tx, mail.KindSecurityChanged, key, email, "/")
	})
}

// passwordChanged finishes a committed password change: the sessions it ended lose their open
// notice streams, the change is audited, and the request is answered.
func (s *Server) passwordChanged(c *gin.Context, changed store.PasswordChanged, action string) {
	for _, sessionID := range changed.EndedSessions {
		s.endSignIn(c.Request.Context(), sessionID)
	}
	s.auditAuth(c, changed.User.ID, action, store.OutcomeAllowed)
	c.Status(http.StatusNoContent)
}
