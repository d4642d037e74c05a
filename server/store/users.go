package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault/pgerr"
)

// User is a person with an account.
type User struct {
	ID           int64     `db:"id" json:"id"`
	Email        string    `db:"email" json:"email"`
	Name         string    `db:"name" json:"name"`
	PasswordHash string    `db:"password_hash" json:"-"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
}

// Membership is one role a user holds in a practice.
type Membership struct {
	ID           int64      `db:"id" json:"id"`
	PracticeID   int64      `db:"practice_id" json:"practice_id"`
	PracticeName string     `db:"practice_name" json:"practice_name"`
	UserID       int64      `db:"user_id" json:"user_id"`
	Role         string     `db:"role" json:"role"`
	CoupleID     *int64     `db:"couple_id" json:"couple_id,omitempty"`
	DisabledAt   *time.Time `db:"disabled_at" json:"disabled_at,omitempty"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
}

// Roles a membership may carry.
const (
	RoleAdmin     = "admin"
	RoleTherapist = "therapist"
	RoleClient    = "client"
	// RoleFrontDesk books and moves the practice's appointments; it reads no clinical work.
	RoleFrontDesk = "front_desk"
)

// UserByEmail finds a user by email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT id, email, name, password_hash, created_at FROM users WHERE email = $1`, email)
	return u, pgerr.Map(err)
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT id, email, name, password_hash, created_at FROM users WHERE id = $1`, id)
	return u, pgerr.Map(err)
}

// ActiveMemberships lists the roles a user holds and may use, across practices.
func (s *Store) ActiveMemberships(ctx context.Context, userID int64) ([]Membership, error) {
	out := []Membership{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT m.id, m.practice_id, p.name AS practice_name, m.user_id, m.role, m.disabled_at, m.created_at,
		       (SELECT cp.couple_id FROM couple_partners cp JOIN couples c ON c.id = cp.couple_id
		         WHERE cp.user_id = m.user_id AND c.practice_id = m.practice_id AND m.role = 'client'
		         ORDER BY cp.couple_id LIMIT 1) AS couple_id
		FROM memberships m JOIN practices p ON p.id = m.practice_id
		WHERE m.user_id = $1 AND m.disabled_at IS NULL
		ORDER BY m.practice_id, m.role`, userID)
	return out, pgerr.Map(err)
}

// upsertUser creates a user or returns the existing one with that email.
func upsertUser(ctx context.Context, tx *sqlx.Tx, email, name, hash string) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
		ON CONFLICT (email) DO UPDATE SET
		    name = CASE WHEN users.name = '' THEN EXCLUDED.name ELSE users.name END,
		    password_hash = CASE WHEN users.password_hash = '' THEN EXCLUDED.password_hash ELSE users.password_hash END
		RETURNING id`, email, name, hash)
	return id, err
}

func addMembership(ctx context.Context, tx *sqlx.Tx, practiceID, userID int64, role string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO memberships (practice_id, user_id, role) VALUES ($1, $2, $3)
		ON CONFLICT (practice_id, user_id, role) DO UPDATE SET disabled_at = NULL`, practiceID, userID, role)
	return err
}

// AddMember creates an account (or reuses the one with that email) and gives it a role in a
// practice. It returns the user id.
func (s *Store) AddMember(ctx context.Context, practiceID int64, email, name, passwordHash, role string) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if id, err = upsertUser(ctx, tx, email, name, passwordHash); err != nil {
			return err
		}
		return addMembership(ctx, tx, practiceID, id, role)
	})
	return id, err
}
