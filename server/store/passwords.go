package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// CreatePasswordReset records a reset token for the account with this email, good until now+ttl,
// and runs after (which queues the mail carrying the token) in the same transaction; the account's
// earlier tokens stop working, so only the newest link does. An email with no account answers
// fault.ErrNotFound and records nothing.
func (s *Store) CreatePasswordReset(ctx context.Context, email string, tokenHash []byte, now time.Time, ttl time.Duration, after ...AfterChange) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE password_resets SET used_at = now()
			WHERE user_id = (SELECT id FROM users WHERE email = $1) AND used_at IS NULL`, email); err != nil {
			return err
		}
		var resetID int64
		if err := tx.GetContext(ctx, &resetID, `
			INSERT INTO password_resets (token_hash, user_id, expires_at)
			SELECT $1, id, $3 FROM users WHERE email = $2
			RETURNING id`, tokenHash, email, now.Add(ttl)); err != nil {
			return err
		}
		return runAfter(ctx, tx, resetID, after)
	})
}

// PasswordChanged is what a password change did: whose it was, and the sessions it ended.
type PasswordChanged struct {
	User          User
	EndedSessions []int64
}

// ResetPassword uses an open reset token once: it sets the account's password and ends every
// session of the account. A token that is unknown, used or past its expiry at now answers
// fault.ErrNotFound. after runs in the same transaction, given the user's id.
func (s *Store) ResetPassword(ctx context.Context, tokenHash []byte, passwordHash string, now time.Time, after ...AfterChange) (PasswordChanged, error) {
	var out PasswordChanged
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var userID int64
		if err := tx.GetContext(ctx, &userID, `
			SELECT user_id FROM password_resets
			WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
			FOR UPDATE`, tokenHash, now); err != nil {
			return err
		}
		var err error
		out, err = replacePassword(ctx, tx, userID, passwordHash, 0, after)
		return err
	})
	return out, err
}

// ChangePassword sets a signed-in user's password and ends every other session of the account,
// keeping keepSession (the one that asked). after runs in the same transaction, given the user's id.
func (s *Store) ChangePassword(ctx context.Context, userID int64, passwordHash string, keepSession int64, after ...AfterChange) (PasswordChanged, error) {
	var out PasswordChanged
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = replacePassword(ctx, tx, userID, passwordHash, keepSession, after)
		return err
	})
	return out, err
}

// replacePassword is the one way a password changes: the new hash, every open reset token of the
// account used up (an older link must not undo the change), and every session but keepSession
// ended.
func replacePassword(ctx context.Context, tx *sqlx.Tx, userID int64, passwordHash string, keepSession int64, after []AfterChange) (PasswordChanged, error) {
	out := PasswordChanged{EndedSessions: []int64{}}
	if err := tx.GetContext(ctx, &out.User, `
		UPDATE users SET password_hash = $2 WHERE id = $1
		RETURNING id, email, name, password_hash, created_at`, userID, passwordHash); err != nil {
		return out, err
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
		return out, err
	}
	if err := tx.SelectContext(ctx, &out.EndedSessions, `
		DELETE FROM auth_sessions WHERE user_id = $1 AND id <> $2 RETURNING id`, userID, keepSession); err != nil {
		return out, err
	}
	return out, runAfter(ctx, tx, userID, after)
}

// UserEmailTx reads a user's email address within tx.
func UserEmailTx(ctx context.Context, tx *sqlx.Tx, userID int64) (string, error) {
	var email string
	err := tx.GetContext(ctx, &email, `SELECT email FROM users WHERE id = $1`, userID)
	return email, err
}
