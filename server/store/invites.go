package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Invite asks someone to join a practice in a role; its token is known only by its hash.
type Invite struct {
	ID         int64      `db:"id" json:"id"`
	PracticeID int64      `db:"practice_id" json:"practice_id"`
	Email      string     `db:"email" json:"email"`
	Role       string     `db:"role" json:"role"`
	CoupleID   *int64     `db:"couple_id" json:"couple_id,omitempty"`
	Seat       *string    `db:"seat" json:"seat,omitempty"`
	InvitedBy  *int64     `db:"invited_by" json:"invited_by,omitempty"`
	ExpiresAt  time.Time  `db:"expires_at" json:"expires_at"`
	AcceptedAt *time.Time `db:"accepted_at" json:"accepted_at,omitempty"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
}

// NewInvite is what an invite is created from.
type NewInvite struct {
	PracticeID int64
	Email      string
	Role       string
	CoupleID   *int64
	Seat       *string
	InvitedBy  int64
	TokenHash  []byte
	TTL        time.Duration
}

const inviteColumns = `id, practice_id, email, role, couple_id, seat, invited_by, expires_at, accepted_at, revoked_at, created_at`

// CreateInvite records an invite. An earlier open invite for the same email, role and seat is
// revoked so that only the newest token works. after runs in the same transaction.
func (s *Store) CreateInvite(ctx context.Context, in NewInvite, after ...AfterChange) (Invite, error) {
	var inv Invite
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE invites SET revoked_at = now()
			WHERE practice_id = $1 AND email = $2 AND role = $3 AND couple_id IS NOT DISTINCT FROM $4
			  AND seat IS NOT DISTINCT FROM $5 AND accepted_at IS NULL AND revoked_at IS NULL`,
			in.PracticeID, in.Email, in.Role, in.CoupleID, in.Seat); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &inv, `
			INSERT INTO invites (token_hash, practice_id, email, role, couple_id, seat, invited_by, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))
			RETURNING `+inviteColumns,
			in.TokenHash, in.PracticeID, in.Email, in.Role, in.CoupleID, in.Seat, in.InvitedBy, in.TTL.Seconds()); err != nil {
			return err
		}
		return runAfter(ctx, tx, inv.ID, after)
	})
	return inv, err
}

// OpenInviteByToken finds an invite that can still be accepted.
func (s *Store) OpenInviteByToken(ctx context.Context, tokenHash []byte) (Invite, error) {
	var inv Invite
	err := s.db.GetContext(ctx, &inv, `SELECT `+inviteColumns+` FROM invites
		WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()`, tokenHash)
	return inv, pgerr.Map(err)
}

// Invites lists a practice's invites, newest first; open ones only when openOnly.
func (s *Store) Invites(ctx context.Context, practiceID int64, openOnly bool) ([]Invite, error) {
	out := []Invite{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+inviteColumns+` FROM invites
		WHERE practice_id = $1 AND (NOT $2 OR (accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()))
		ORDER BY created_at DESC LIMIT 500`, practiceID, openOnly)
	return out, pgerr.Map(err)
}

// RevokeInvite withdraws an open invite.
func (s *Store) RevokeInvite(ctx context.Context, practiceID, inviteID int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE invites SET revoked_at = now()
		WHERE practice_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL`, practiceID, inviteID)
	return expectOne(res, err)
}

// AcceptInviteAsNewUser uses an invite once to create the account it names: the user, the
// membership and, for a partner, the seat in the couple. An email that has an account already
// is refused: that account accepts only while signed in (AcceptInviteAsUser). It returns the
// new user's id.
func (s *Store) AcceptInviteAsNewUser(ctx context.Context, tokenHash []byte, name, passwordHash string) (int64, error) {
	var userID int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		inv, err := lockOpenInvite(ctx, tx, tokenHash)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &userID, `
			INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
			ON CONFLICT (email) DO NOTHING RETURNING id`, inv.Email, name, passwordHash)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.ConflictBecause("an account with this email exists already: sign in to it, then accept the invitation")
		}
		if err != nil {
			return err
		}
		return joinByInvite(ctx, tx, inv, userID)
	})
	return userID, err
}

// AcceptInviteAsUser uses an invite once for the signed-in user it was sent to; an invite for
// another email answers fault.ErrForbidden.
func (s *Store) AcceptInviteAsUser(ctx context.Context, tokenHash []byte, userID int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		inv, err := lockOpenInvite(ctx, tx, tokenHash)
		if err != nil {
			return err
		}
		var invitee bool
		if err := tx.GetContext(ctx, &invitee, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND email = $2)`,
			userID, inv.Email); err != nil {
			return err
		}
		if !invitee {
			return fault.ErrForbidden
		}
		return joinByInvite(ctx, tx, inv, userID)
	})
}

func lockOpenInvite(ctx context.Context, tx *sqlx.Tx, tokenHash []byte) (Invite, error) {
	var inv Invite
	err := tx.GetContext(ctx, &inv, `SELECT `+inviteColumns+` FROM invites
		WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
		FOR UPDATE`, tokenHash)
	return inv, err
}

// joinByInvite gives the user the invite's membership and, for a partner, the seat in the
// couple, and marks the invite used.
func joinByInvite(ctx context.Context, tx *sqlx.Tx, inv Invite, userID int64) error {
	if err := addMembership(ctx, tx, inv.PracticeID, userID, inv.Role); err != nil {
		return err
	}
	if inv.CoupleID != nil {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO couple_partners (couple_id, user_id, seat) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, *inv.CoupleID, userID, *inv.Seat)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.ConflictBecause("this seat in the couple is already taken")
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE invites SET accepted_at = now() WHERE id = $1`, inv.ID)
	return err
}
