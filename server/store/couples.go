package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Couple is a client couple under a practice's care.
type Couple struct {
	ID         int64     `db:"id" json:"id"`
	PracticeID int64     `db:"practice_id" json:"practice_id"`
	Label      string    `db:"label" json:"label"`
	Status     string    `db:"status" json:"status"`
	Concerns   []string  `db:"-" json:"concerns"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time `db:"updated_at" json:"updated_at"`
}

// NewCouple is what a couple is created from.
type NewCouple struct {
	PracticeID int64
	Label      string
	Status     string
	Concerns   []string
	CreatedBy  int64
	Therapists []int64
}

// CreateCouple adds a couple and its care team. Every therapist must hold an active therapist
// role in the practice.
func (s *Store) CreateCouple(ctx context.Context, in NewCouple) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if in.Status == "" {
			in.Status = "active"
		}
		if err := tx.GetContext(ctx, &id, `
			INSERT INTO couples (practice_id, label, status, concerns, created_by) VALUES ($1, $2, $3, $4, $5)
			RETURNING id`, in.PracticeID, in.Label, in.Status, pq.StringArray(in.Concerns), nonZeroID(in.CreatedBy)); err != nil {
			return err
		}
		return setCareTeam(ctx, tx, in.PracticeID, id, in.Therapists)
	})
	return id, err
}

func setCareTeam(ctx context.Context, tx *sqlx.Tx, practiceID, coupleID int64, therapists []int64) error {
	if len(therapists) == 0 {
		return Invalid("therapists", "must name at least one therapist")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM care_team WHERE couple_id = $1 AND NOT (therapist_id = ANY($2))`,
		coupleID, pq.Int64Array(therapists)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO care_team (couple_id, therapist_id)
		SELECT $2, m.user_id FROM memberships m
		WHERE m.practice_id = $1 AND m.role = 'therapist' AND m.disabled_at IS NULL AND m.user_id = ANY($3)
		ON CONFLICT DO NOTHING`, practiceID, coupleID, pq.Int64Array(therapists)); err != nil {
		return err
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM care_team WHERE couple_id = $1`, coupleID); err != nil {
		return err
	}
	if n != len(uniqueIDs(therapists)) {
		return Invalid("therapists", "must all be active therapists of this practice")
	}
	return nil
}

func uniqueIDs(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func nonZeroID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// SeatPartner makes a user the partner in a couple's seat, with a client membership in the
// practice. Invites do this on acceptance; the demo loader calls it directly.
func (s *Store) SeatPartner(ctx context.Context, practiceID, coupleID, userID int64, seat string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := addMembership(ctx, tx, practiceID, userID, RoleClient); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO couple_partners (couple_id, user_id, seat) VALUES ($1, $2, $3)`, coupleID, userID, seat)
		return err
	})
}
