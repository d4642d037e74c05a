package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"
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
	return a, mapError(err)
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
			return AuthSession{}, User{}, mapError(err)
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
	return id, mapError(err)
}

// SignIn is a sign-in (auth session) as an open connection uses it: in the live sessions of one
// practice, or, with PracticeID 0, in any (a notice stream belongs to the person). It is an alias
// of an unnamed struct, so that realtime's identical SignIn is the same type and EndedSignIns
// serves as its check without either package importing the other.
type SignIn = struct{ AuthSession, PracticeID int64 }

// EndedSignIns returns, in one query, those of the sign-ins whose session no longer exists or has
// expired, or whose user is no longer an active member of the practice (of any practice when
// PracticeID is 0); open WebSockets and notice streams use it to notice a sign-out or a
// membership disabled there.
func (s *Store) EndedSignIns(ctx context.Context, signIns []SignIn) ([]SignIn, error) {
	sessions := make([]int64, len(signIns))
	practices := make([]int64, len(signIns))
	for i, in := range signIns {
		sessions[i], practices[i] = in.AuthSession, in.PracticeID
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT k.auth_session, k.practice_id FROM unnest($1::bigint[], $2::bigint[]) AS k(auth_session, practice_id)
		WHERE NOT EXISTS (SELECT 1 FROM auth_sessions a JOIN memberships m ON m.user_id = a.user_id
			WHERE a.id = k.auth_session AND a.idle_expires_at > now() AND a.expires_at > now()
			  AND (k.practice_id = 0 OR m.practice_id = k.practice_id) AND m.disabled_at IS NULL)`,
		pq.Array(sessions), pq.Array(practices))
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var ended []SignIn
	for rows.Next() {
		var in SignIn
		if err := rows.Scan(&in.AuthSession, &in.PracticeID); err != nil {
			return nil, mapError(err)
		}
		ended = append(ended, in)
	}
	return ended, mapError(rows.Err())
}

// DeleteExpiredSessions removes sessions past either expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE idle_expires_at <= now() OR expires_at <= now()`)
	if err != nil {
		return 0, mapError(err)
	}
	return res.RowsAffected()
}
