package store

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/fault/pgerr"
)

// RecordPerson is a partner as an export names them. Email is left empty for a reader who may
// not read it.
type RecordPerson struct {
	UserID int64  `db:"user_id" json:"user_id"`
	Seat   string `db:"seat" json:"seat"`
	Name   string `db:"name" json:"name"`
	Email  string `db:"email" json:"email,omitempty"`
}

// RecordPeople returns the couple's partners with their contact details.
func (s *Store) RecordPeople(ctx context.Context, practiceID, coupleID int64) ([]RecordPerson, error) {
	out := []RecordPerson{}
	err := s.db.SelectContext(ctx, &out, `SELECT cp.user_id, cp.seat, u.name, u.email
		FROM couple_partners cp JOIN couples c ON c.id = cp.couple_id JOIN users u ON u.id = cp.user_id
		WHERE cp.couple_id = $1 AND c.practice_id = $2 ORDER BY cp.seat`, coupleID, practiceID)
	return out, pgerr.Map(err)
}

// Erasure tells what erasing a couple removed.
type Erasure struct {
	CoupleID int64 `json:"couple_id"`
	// AccountsRemoved counts partner accounts deleted because they belonged to nothing else.
	AccountsRemoved int `json:"accounts_removed"`
}

// EraseCouple deletes a couple of the practice with everything recorded about it: every table
// holding the couple's data cascades from the couples row, except the ledger, whose entries the
// database keeps for the practice's accounts, de-identified (migration 00025). The partners'
// client memberships in the practice go too, and accounts left with no membership anywhere are
// deleted.
func (s *Store) EraseCouple(ctx context.Context, practiceID, coupleID int64) (Erasure, error) {
	out := Erasure{CoupleID: coupleID}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var partners pq.Int64Array
		if err := tx.GetContext(ctx, &partners, `
			SELECT coalesce(array_agg(cp.user_id) FILTER (WHERE cp.user_id IS NOT NULL), '{}') FROM couples c
			LEFT JOIN couple_partners cp ON cp.couple_id = c.id
			WHERE c.id = $1 AND c.practice_id = $2
			GROUP BY c.id`, coupleID, practiceID); err != nil {
			return err
		}
		if err := expectOne(tx.ExecContext(ctx, `DELETE FROM couples WHERE id = $1 AND practice_id = $2`, coupleID, practiceID)); err != nil {
			return err
		}
		// A partner keeps their client membership only while seated in another couple of the practice.
		if _, err := tx.ExecContext(ctx, `DELETE FROM memberships m
			WHERE m.practice_id = $1 AND m.role = 'client' AND m.user_id = ANY($2)
			  AND NOT EXISTS (SELECT 1 FROM couple_partners cp JOIN couples c ON c.id = cp.couple_id
			                  WHERE cp.user_id = m.user_id AND c.practice_id = $1)`, practiceID, partners); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users u WHERE u.id = ANY($1)
			AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)`, partners)
		if err != nil {
			return err
		}
		removed, err := res.RowsAffected()
		out.AccountsRemoved = int(removed)
		return err
	})
	return out, err
}
