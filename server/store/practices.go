package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Practice is a tenant: one counseling practice.
type Practice struct {
	ID        int64     `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	TimeZone  string    `db:"time_zone" json:"time_zone"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Bootstrap creates a practice and its first administrator, or leaves both as they are when they
// exist already. It reports whether anything was created.
func (s *Store) Bootstrap(ctx context.Context, practiceName, email, passwordHash string) (practiceID, userID int64, created bool, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Serialise concurrent bootstraps of the same practice name.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('amend.bootstrap:' || lower($1)))`, practiceName); err != nil {
			return err
		}
		err := tx.GetContext(ctx, &practiceID, `SELECT id FROM practices WHERE lower(name) = lower($1)`, practiceName)
		if err == sql.ErrNoRows {
			if err := tx.GetContext(ctx, &practiceID, `INSERT INTO practices (name) VALUES ($1) RETURNING id`, practiceName); err != nil {
				return err
			}
			created = true
		} else if err != nil {
			return err
		}
		if userID, err = upsertUser(ctx, tx, email, "", passwordHash); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO memberships (practice_id, user_id, role) VALUES ($1, $2, 'admin')
			ON CONFLICT (practice_id, user_id, role) DO NOTHING`, practiceID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			created = true
		}
		return nil
	})
	return practiceID, userID, created, err
}

// PracticeByID returns one practice.
func (s *Store) PracticeByID(ctx context.Context, id int64) (Practice, error) {
	var p Practice
	err := s.db.GetContext(ctx, &p, `SELECT id, name, time_zone, created_at FROM practices WHERE id = $1`, id)
	return p, pgerr.Map(err)
}

// CountPractices tells whether the database holds any data yet.
func (s *Store) CountPractices(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM practices`)
	return n, pgerr.Map(err)
}

func expectOne(res sql.Result, err error) error {
	if err != nil {
		return pgerr.Map(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return pgerr.Map(err)
	}
	if n == 0 {
		return fault.ErrNotFound
	}
	return nil
}
