package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// SecondFactor is a person's TOTP factor. Secret is for the server's own checks: the API never
// returns it after enrolment.
type SecondFactor struct {
	UserID      int64      `db:"user_id"`
	Secret      string     `db:"secret"`
	ConfirmedAt *time.Time `db:"confirmed_at"`
	LastStep    int64      `db:"last_step"`
}

// SecondFactorStatus is what a person may see of their own factor.
type SecondFactorStatus struct {
	Enabled           bool       `db:"enabled" json:"enabled"`
	ConfirmedAt       *time.Time `db:"confirmed_at" json:"confirmed_at,omitempty"`
	RecoveryCodesLeft int        `db:"recovery_codes_left" json:"recovery_codes_left"`
	// Required is true when a practice where the person is staff (an administrator, a therapist or
	// the front desk) requires a second factor.
	Required bool `db:"required" json:"required"`
}

// mustEnrol is an SQL condition, true for a user (userID, an SQL expression) without a confirmed
// factor who is active staff (administrator, therapist or front desk) of a practice that requires one.
func mustEnrol(userID string) string {
	return `(NOT EXISTS (SELECT 1 FROM second_factors f WHERE f.user_id = ` + userID + ` AND f.confirmed_at IS NOT NULL)
		AND ` + secondFactorRequired(userID) + `)`
}

// secondFactorRequired is an SQL condition, true when a practice requires a factor of the user
// (userID, an SQL expression) by their roles there.
func secondFactorRequired(userID string) string {
	return `EXISTS (SELECT 1 FROM memberships m JOIN practices p ON p.id = m.practice_id
		WHERE m.user_id = ` + userID + ` AND m.disabled_at IS NULL AND m.role IN ('admin', 'therapist', 'front_desk')
		  AND p.require_second_factor)`
}

// MustEnrolSecondFactor reports whether a user may only be signed in to set up a second factor.
func (s *Store) MustEnrolSecondFactor(ctx context.Context, userID int64) (bool, error) {
	var must bool
	err := s.db.GetContext(ctx, &must, `SELECT `+mustEnrol("$1"), userID)
	return must, pgerr.Map(err)
}

// SecondFactorStatusOf tells a person whether their factor is on and how many recovery codes remain.
func (s *Store) SecondFactorStatusOf(ctx context.Context, userID int64) (SecondFactorStatus, error) {
	var st SecondFactorStatus
	err := s.db.GetContext(ctx, &st, `
		SELECT f.confirmed_at IS NOT NULL AS enabled, f.confirmed_at,
		       (SELECT count(*) FROM recovery_codes r WHERE r.user_id = $1 AND r.used_at IS NULL) AS recovery_codes_left,
		       `+secondFactorRequired("$1")+` AS required
		FROM (SELECT $1::bigint AS user_id) u LEFT JOIN second_factors f ON f.user_id = u.user_id`, userID)
	return st, pgerr.Map(err)
}

// SecondFactorOf returns a user's factor, confirmed or pending, or fault.ErrNotFound.
func (s *Store) SecondFactorOf(ctx context.Context, userID int64) (SecondFactor, error) {
	var f SecondFactor
	err := s.db.GetContext(ctx, &f, `SELECT user_id, secret, confirmed_at, last_step FROM second_factors WHERE user_id = $1`, userID)
	return f, pgerr.Map(err)
}

// BeginSecondFactor keeps a new pending secret for a user, replacing an earlier pending one. A
// user whose factor is confirmed already gets a conflict: they must disable it first.
func (s *Store) BeginSecondFactor(ctx context.Context, userID int64, secret string) error {
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO second_factors (user_id, secret) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_step = 0, created_at = now()
		WHERE second_factors.confirmed_at IS NULL`, userID, secret)
	if err != nil {
		return pgerr.Map(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fault.ConflictBecause("A second factor is on already; turn it off before setting up another")
	}
	return nil
}

// ConfirmSecondFactor turns a pending factor on, recording the time step of its first code and
// replacing the user's recovery codes with codeHashes, in one transaction with after.
func (s *Store) ConfirmSecondFactor(ctx context.Context, userID, step int64, codeHashes [][]byte, after ...AfterChange) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE second_factors SET confirmed_at = now(), last_step = $2
			WHERE user_id = $1 AND confirmed_at IS NULL`, userID, step)
		if err := expectOne(res, err); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return pgerr.Map(err)
		}
		for _, h := range codeHashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, h); err != nil {
				return pgerr.Map(err)
			}
		}
		return runAfter(ctx, tx, userID, after)
	})
}

// DisableSecondFactor removes a user's factor and recovery codes; fault.ErrNotFound when none is on.
func (s *Store) DisableSecondFactor(ctx context.Context, userID int64, after ...AfterChange) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM second_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL`, userID)
		if err := expectOne(res, err); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return pgerr.Map(err)
		}
		return runAfter(ctx, tx, userID, after)
	})
}

// UseTOTPStep records that a code of time step was accepted; false when that step or a later one
// was accepted already, so a code is never accepted twice.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE second_factors SET last_step = $2 WHERE user_id = $1 AND last_step < $2`, userID, step)
	return affectedOne(res, err)
}

// UseRecoveryCode spends one of a user's unused recovery codes; false when none matches.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, codeHash []byte) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE recovery_codes SET used_at = now()
		WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
		  AND EXISTS (SELECT 1 FROM second_factors f WHERE f.user_id = $1 AND f.confirmed_at IS NOT NULL)`, userID, codeHash)
	return affectedOne(res, err)
}

// HasSecondFactor reports whether a user's sign-in needs a code after the password.
func (s *Store) HasSecondFactor(ctx context.Context, userID int64) (bool, error) {
	var on bool
	err := s.db.GetContext(ctx, &on, `SELECT EXISTS (SELECT 1 FROM second_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL)`, userID)
	return on, pgerr.Map(err)
}

// CreateSignInChallenge keeps the hash of the token that carries a sign-in from the password to
// the code.
func (s *Store) CreateSignInChallenge(ctx context.Context, tokenHash []byte, userID int64, ttl time.Duration) (time.Time, error) {
	var expires time.Time
	err := s.db.GetContext(ctx, &expires, `
		INSERT INTO sign_in_challenges (token_hash, user_id, expires_at)
		VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING expires_at`, tokenHash, userID, ttl.Seconds())
	return expires, pgerr.Map(err)
}

// SignInChallengeUser finds the user of a live challenge, or fault.ErrNotFound.
func (s *Store) SignInChallengeUser(ctx context.Context, tokenHash []byte) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `
		SELECT u.id, u.email, u.name, u.password_hash, u.created_at
		FROM sign_in_challenges c JOIN users u ON u.id = c.user_id
		WHERE c.token_hash = $1 AND c.expires_at > now()`, tokenHash)
	return u, pgerr.Map(err)
}

// EndSignInChallenge deletes a live challenge, and clears out long-expired ones; false when it was
// gone already, so that one challenge opens at most one session.
func (s *Store) EndSignInChallenge(ctx context.Context, tokenHash []byte) (bool, error) {
	var ended int
	err := s.db.GetContext(ctx, &ended, `
		WITH ended AS (DELETE FROM sign_in_challenges WHERE token_hash = $1 AND expires_at > now() RETURNING 1),
		     stale AS (DELETE FROM sign_in_challenges WHERE expires_at <= now() - interval '1 hour')
		SELECT count(*) FROM ended`, tokenHash)
	return ended == 1, pgerr.Map(err)
}

// SecondFactorRequiredBy reports whether a practice requires a second factor of its staff.
func (s *Store) SecondFactorRequiredBy(ctx context.Context, practiceID int64) (bool, error) {
	var required bool
	err := s.db.GetContext(ctx, &required, `SELECT require_second_factor FROM practices WHERE id = $1`, practiceID)
	return required, pgerr.Map(err)
}

// RequireSecondFactor sets whether a practice requires a second factor of its staff (administrators,
// therapists and the front desk).
func (s *Store) RequireSecondFactor(ctx context.Context, practiceID int64, required bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE practices SET require_second_factor = $2 WHERE id = $1`, practiceID, required)
	return expectOne(res, err)
}

func affectedOne(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, pgerr.Map(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
