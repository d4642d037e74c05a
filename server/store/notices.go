package store

import (
	"context"

	"github.com/amendcare/amend/fault/pgerr"
)

// CouplePeople lists the couple's partners and its care team: everyone a couple-level notice may
// concern. The caller still asks the policy which of them may know of it.
func (s *Store) CouplePeople(ctx context.Context, practiceID, coupleID int64) ([]int64, error) {
	people := []int64{}
	err := s.db.SelectContext(ctx, &people, `
		SELECT cp.user_id FROM couple_partners cp JOIN couples c ON c.id = cp.couple_id
		WHERE cp.couple_id = $1 AND c.practice_id = $2
		UNION
		SELECT ct.therapist_id FROM care_team ct JOIN couples c ON c.id = ct.couple_id
		WHERE ct.couple_id = $1 AND c.practice_id = $2`, coupleID, practiceID)
	return people, pgerr.Map(err)
}

// LiveSessionCouple returns the practice and couple a live session belongs to.
func (s *Store) LiveSessionCouple(ctx context.Context, sessionID int64) (practiceID, coupleID int64, err error) {
	var row struct {
		PracticeID int64 `db:"practice_id"`
		CoupleID   int64 `db:"couple_id"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT practice_id, couple_id FROM live_sessions WHERE id = $1`, sessionID)
	return row.PracticeID, row.CoupleID, pgerr.Map(err)
}
