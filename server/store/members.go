package store

import (
	"context"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Member is a person in a practice with all the roles they hold there.
type Member struct {
	UserID    int64     `db:"user_id" json:"user_id"`
	Email     string    `db:"email" json:"email"`
	Name      string    `db:"name" json:"name"`
	Roles     []string  `db:"-" json:"roles"`
	Disabled  bool      `db:"disabled" json:"disabled"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	// Relation is how the reader of a list stands to the member (a client: as to their couple).
	Relation string `db:"relation" json:"-"`
}

// IsClient reports whether the member is a client of this practice, so that reading them is
// asked about as reading a client rather than a colleague.
func (m Member) IsClient() bool { return slices.Contains(m.Roles, RoleClient) }

type memberRow struct {
	Member
	RoleList pq.StringArray `db:"roles"`
}

const memberSelect = `
	SELECT u.id AS user_id, u.email, u.name, array_agg(m.role ORDER BY m.role) AS roles,
	       bool_and(m.disabled_at IS NOT NULL) AS disabled, min(m.created_at) AS created_at
	FROM memberships m JOIN users u ON u.id = m.user_id
	WHERE m.practice_id = $1`

// Members lists a practice's staff and clients, each with the reader's relation to them; the
// caller filters what the reader may not see.
func (s *Store) Members(ctx context.Context, practiceID int64, role string, readerID int64) ([]Member, error) {
	var rows []memberRow
	err := s.db.SelectContext(ctx, &rows, `
	SELECT u.id AS user_id, u.email, u.name, array_agg(m.role ORDER BY m.role) AS roles,
	       bool_and(m.disabled_at IS NOT NULL) AS disabled, min(m.created_at) AS created_at,
	       CASE WHEN bool_or(m.role = 'client') THEN `+clientRelation(`u.id`, `$1`, `$3`)+`
	            WHEN u.id = $3 THEN 'self' ELSE 'practice' END AS relation
	FROM memberships m JOIN users u ON u.id = m.user_id
	WHERE m.practice_id = $1
		AND ($2 = '' OR m.role = $2)
		GROUP BY u.id ORDER BY lower(u.name), u.email`, practiceID, role, readerID)
	if err != nil {
		return nil, pgerr.Map(err)
	}
	out := make([]Member, len(rows))
	for i, r := range rows {
		out[i] = r.Member
		out[i].Roles = []string(r.RoleList)
	}
	return out, nil
}

// IsClient reports whether the user is a client of the practice.
func (s *Store) IsClient(ctx context.Context, practiceID, userID int64) (bool, error) {
	var client bool
	err := s.db.GetContext(ctx, &client, `
		SELECT EXISTS (SELECT 1 FROM memberships WHERE practice_id = $1 AND user_id = $2 AND role = 'client')`,
		practiceID, userID)
	return client, pgerr.Map(err)
}

// MemberByID returns one member of a practice.
func (s *Store) MemberByID(ctx context.Context, practiceID, userID int64) (Member, error) {
	var r memberRow
	err := s.db.GetContext(ctx, &r, memberSelect+` AND u.id = $2 GROUP BY u.id`, practiceID, userID)
	if err != nil {
		return Member{}, pgerr.Map(err)
	}
	r.Member.Roles = []string(r.RoleList)
	return r.Member, nil
}

// SetStaffRoles replaces a member's staff roles (admin, therapist, front_desk); a client role is left as it is.
// The practice always keeps at least one active administrator.
func (s *Store) SetStaffRoles(ctx context.Context, practiceID, userID int64, roles []string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockPractice(ctx, tx, practiceID); err != nil {
			return err
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM memberships WHERE practice_id = $1 AND user_id = $2)`, practiceID, userID); err != nil {
			return err
		}
		if !exists {
			return fault.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `
			DELETE FROM memberships WHERE practice_id = $1 AND user_id = $2 AND role <> 'client' AND NOT (role = ANY($3))`,
			practiceID, userID, pq.StringArray(roles)); err != nil {
			return err
		}
		for _, role := range roles {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO memberships (practice_id, user_id, role) VALUES ($1, $2, $3)
				ON CONFLICT (practice_id, user_id, role) DO NOTHING`, practiceID, userID, role); err != nil {
				return err
			}
		}
		return ensureAnAdmin(ctx, tx, practiceID)
	})
}

// SetMemberDisabled disables or re-enables all of a member's roles in a practice. A membership is
// disabled, not the account: the user's sessions end only when no active membership is left to
// them in any practice; otherwise they go on, with no access to this practice.
func (s *Store) SetMemberDisabled(ctx context.Context, practiceID, userID int64, disabled bool) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockPractice(ctx, tx, practiceID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE memberships SET disabled_at = CASE WHEN $3 THEN coalesce(disabled_at, now()) ELSE NULL END
			WHERE practice_id = $1 AND user_id = $2`, practiceID, userID, disabled)
		if err := expectOne(res, err); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `
				DELETE FROM auth_sessions WHERE user_id = $1
				  AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND disabled_at IS NULL)`, userID); err != nil {
				return err
			}
		}
		return ensureAnAdmin(ctx, tx, practiceID)
	})
}

func lockPractice(ctx context.Context, tx *sqlx.Tx, practiceID int64) error {
	var id int64
	return tx.GetContext(ctx, &id, `SELECT id FROM practices WHERE id = $1 FOR UPDATE`, practiceID)
}

func ensureAnAdmin(ctx context.Context, tx *sqlx.Tx, practiceID int64) error {
	var admins int
	if err := tx.GetContext(ctx, &admins, `
		SELECT count(*) FROM memberships WHERE practice_id = $1 AND role = 'admin' AND disabled_at IS NULL`, practiceID); err != nil {
		return err
	}
	if admins == 0 {
		return fault.ConflictBecause("a practice needs at least one active administrator")
	}
	return nil
}
