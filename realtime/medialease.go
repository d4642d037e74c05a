package realtime

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// mediaLeases is the SQL of media_leases: which instance carries a session's media.
type mediaLeases struct {
	db       *sqlx.DB
	instance string
	ttl      time.Duration
}

// take returns the instance holding the session's media lease, taking it when it is free or has
// lapsed (and renewing it when this instance already holds it), in one statement. A lease taken
// by another instance between the statement's snapshot and its insert is read on the next try.
func (l mediaLeases) take(ctx context.Context, sessionID int64) (string, error) {
	for range 3 {
		var holder string
		err := l.db.GetContext(ctx, &holder, `
			WITH taken AS (
				INSERT INTO media_leases (session_id, instance, expires_at)
				VALUES ($1, $2, now() + $3 * interval '1 millisecond')
				ON CONFLICT (session_id) DO UPDATE SET instance = EXCLUDED.instance, expires_at = EXCLUDED.expires_at
				WHERE media_leases.expires_at < now() OR media_leases.instance = EXCLUDED.instance
				RETURNING instance)
			SELECT instance FROM taken
			UNION ALL
			SELECT instance FROM media_leases WHERE session_id = $1 AND NOT EXISTS (SELECT 1 FROM taken)`,
			sessionID, l.instance, l.ttl.Milliseconds())
		if !errors.Is(err, sql.ErrNoRows) {
			return holder, err
		}
	}
	return "", errors.New("the media lease changed hands three times in a row")
}

// renew extends this instance's leases on the sessions and returns those it no longer holds.
func (l mediaLeases) renew(ctx context.Context, sessionIDs []int64) (lost []int64, err error) {
	var kept []int64
	err = l.db.SelectContext(ctx, &kept, `
		UPDATE media_leases SET expires_at = now() + $3 * interval '1 millisecond'
		WHERE instance = $1 AND session_id = ANY($2) RETURNING session_id`,
		l.instance, pq.Array(sessionIDs), l.ttl.Milliseconds())
	if err != nil {
		return nil, err
	}
	return missing(sessionIDs, kept), nil
}

// release gives up this instance's leases on the sessions.
func (l mediaLeases) release(ctx context.Context, sessionIDs []int64) error {
	_, err := l.db.ExecContext(ctx, `DELETE FROM media_leases WHERE instance = $1 AND session_id = ANY($2)`,
		l.instance, pq.Array(sessionIDs))
	return err
}

// mediaHolding is a session whose media another instance carries, as this instance relays to it.
type mediaHolding struct {
	session int64
	holder  string
}

// lapsed returns which of the holdings no longer stand: the lease ran out, was released or
// passed to another instance.
func (l mediaLeases) lapsed(ctx context.Context, holdings []mediaHolding) ([]mediaHolding, error) {
	sessions := make([]int64, len(holdings))
	for i, h := range holdings {
		sessions[i] = h.session
	}
	var live []struct {
		Session int64  `db:"session_id"`
		Holder  string `db:"instance"`
	}
	err := l.db.SelectContext(ctx, &live, `
		SELECT session_id, instance FROM media_leases WHERE session_id = ANY($1) AND expires_at >= now()`,
		pq.Array(sessions))
	if err != nil {
		return nil, err
	}
	standing := map[mediaHolding]bool{}
	for _, row := range live {
		standing[mediaHolding{row.Session, row.Holder}] = true
	}
	var out []mediaHolding
	for _, h := range holdings {
		if !standing[h] {
			out = append(out, h)
		}
	}
	return out, nil
}

// missing returns the ids of all that are not in some.
func missing(all, some []int64) []int64 {
	present := make(map[int64]bool, len(some))
	for _, id := range some {
		present[id] = true
	}
	var out []int64
	for _, id := range all {
		if !present[id] {
			out = append(out, id)
		}
	}
	return out
}
