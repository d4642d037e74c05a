package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/amendcare/amend/fault/pgerr"
)

// AuthSession is a signed-in browser or API client, known by the hash of its token.
type AuthSession struct {
	ID            int64     `db:"id"`
	UserID        int64     `db:"user_id"`
	LastSeenAt    time.Time `db:"last_seen_at"`
	IdleExpiresAt time.Time `db:"idle_expires_at"`
	ExpiresAt     time.Time `db:"expires_at"`
	// MustEnrol is true while the user's practice requires a second factor they have not set up:
	// the session may then be used only to set one up.
	MustEnrol bool `db:"must_enrol"`
}

// CreateSession records a new session for a user.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, userID int64, address string, idle, absolute time.Duration) (AuthSession, error) {
	var a AuthSession
	err := s.db.GetContext(ctx, &a, `
		INSERT INTO auth_sessions (token_hash, user_id, address, idle_expires_at, expires_at)
		VALUES ($1, $2, $3, now() + make_interval(secs => $4), now() + make_interval(secs => $5))
		RETURNING id, user_id, last_seen_at, idle_expires_at, expires_at`,
		tokenHash, userID, address, idle.Seconds(), absolute.Seconds())
	return a, pgerr.Map(err)
}

// TouchSession finds a live session by token hash and extends its idle expiry. The write happens
// at most once per touchEvery, so a busy client does not write on every request.
func (s *Store) TouchSession(ctx context.Context, tokenHash []byte, idle, touchEvery time.Duration) (AuthSession, User, error) {
	var row struct {
		AuthSession
		Email       string    `db:"email"`
		Name        string    `db:"name"`
		UserCreated time.Time `db:"user_created_at"`
	}
	err := s.getPrepared(ctx, &row, `
		SELECT s.id, s.user_id, s.last_seen_at, s.idle_expires_at, s.expires_at, u.email, u.name,
		       u.created_at AS user_created_at, `+mustEnrol("s.user_id")+` AS must_enrol
		FROM auth_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.idle_expires_at > now() AND s.expires_at > now()`, tokenHash)
	if err != nil {
		return AuthSession{}, User{}, err
	}
	if time.Since(row.LastSeenAt) > touchEvery {
		_, err = s.db.ExecContext(ctx, `
			UPDATE auth_sessions SET last_seen_at = now(),
			       idle_expires_at = LEAST(expires_at, now() + make_interval(secs => $2))
			WHERE id = $1`, row.ID, idle.Seconds())
		if err != nil {
			return AuthSession{}, User{}, pgerr.Map(err)
		}
	}
	return row.AuthSession, User{ID: row.UserID, Email: row.Email, Name: row.Name, CreatedAt: row.UserCreated}, nil
}

// DeleteSession ends one session and returns its id, or 0 when no session had the token, so
// that what was opened with the session (notice streams) can be closed too.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) (int64, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `DELETE FROM auth_sessions WHERE token_hash = $1 RETURNING id`, tokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, pgerr.Map(err)
}

// SessionAlive reports whether a session id still exists and has not expired, and its user is
// still an active member of the practice (of any practice when practiceID is 0); open WebSockets
// and notice streams use it to notice a sign-out or a membership disabled there.
func (s *Store) SessionAlive(ctx context.Context, sessionID, practiceID int64) (bool, error) {
	var alive bool
	err := s.db.GetContext(ctx, &alive, `
		SELECT EXISTS (SELECT 1 FROM auth_sessions a JOIN memberships m ON m.user_id = a.user_id
			WHERE a.id = $1 AND a.idle_expires_at > now() AND a.expires_at > now()
			  AND ($2 = 0 OR m.practice_id = $2) AND m.disabled_at IS NULL)`, sessionID, practiceID)
	return alive, pgerr.Map(err)
}

// DeleteExpiredSessions removes sessions past either expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE idle_expires_at <= now() OR expires_at <= now()`)
	if err != nil {
		return 0, pgerr.Map(err)
	}
	return res.RowsAffected()
}
