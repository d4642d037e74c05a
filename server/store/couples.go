package store

import (
	"context"
	"strings"
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

// Couple statuses. A closed couple is read-only until its status changes back.
const (
	CoupleActive = "active"
	CouplePaused = "paused"
	CoupleClosed = "closed"
)

// errCoupleClosed answers every change to a closed couple's work.
var errCoupleClosed = Conflict("this couple is closed; reopen it by setting its status to active or paused before making changes")

// Partner is one of a couple's partners and the seat they hold.
type Partner struct {
	UserID int64  `db:"user_id" json:"user_id"`
	Name   string `db:"name" json:"name"`
	Seat   string `db:"seat" json:"seat"`
}

// CareTeamMember is a therapist on a couple's care team.
type CareTeamMember struct {
	UserID int64  `db:"user_id" json:"user_id"`
	Name   string `db:"name" json:"name"`
}

// CoupleDetail is a couple with its partners and care team.
type CoupleDetail struct {
	Couple
	Partners []Partner        `json:"partners"`
	CareTeam []CareTeamMember `json:"care_team"`
	// Relation is how the user who asked stands to the couple, for filtering lists.
	Relation string `json:"-"`
}

// CoupleFilter narrows a couple listing; zero values do not filter.
type CoupleFilter struct {
	Status      string
	TherapistID int64
	Text        string // part of the label, any case
}

// CoupleChanges is a partial update of a couple; nil fields stay as they are.
type CoupleChanges struct {
	Label    *string
	Concerns *[]string
	Status   *string
}

type coupleRow struct {
	Couple
	ConcernList pq.StringArray `db:"concerns"`
	Relation    string         `db:"relation"`
}

func (r coupleRow) detail() CoupleDetail {
	c := r.Couple
	c.Concerns = []string(r.ConcernList)
	return CoupleDetail{Couple: c, Partners: []Partner{}, CareTeam: []CareTeamMember{}, Relation: r.Relation}
}

// Couples lists a practice's couples matching the filter, by label, each with userID's relation
// to it so the caller can drop the ones that user may not read.
func (s *Store) Couples(ctx context.Context, practiceID, userID int64, f CoupleFilter) ([]CoupleDetail, error) {
	q, args, err := sqlx.Named(`
		SELECT c.id, c.practice_id, c.label, c.status, c.concerns, c.created_at, c.updated_at,
		       `+coupleRelation(`c.id`)+` AS relation
		FROM couples c
		WHERE c.practice_id = :practice
		  AND (CAST(:status AS text) = '' OR c.status = :status)
		  AND (CAST(:therapist AS bigint) = 0
		       OR EXISTS (SELECT 1 FROM care_team t WHERE t.couple_id = c.id AND t.therapist_id = :therapist))
		  AND (CAST(:text AS text) = '' OR c.label ILIKE '%' || CAST(:text AS text) || '%' ESCAPE '\')
		ORDER BY lower(c.label), c.id
		LIMIT 1000`,
		map[string]any{"practice": practiceID, "user": userID, "status": f.Status, "therapist": f.TherapistID,
			"text": escapeLike(f.Text)})
	if err != nil {
		return nil, err
	}
	var rows []coupleRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, mapError(err)
	}
	out := make([]CoupleDetail, len(rows))
	for i, r := range rows {
		out[i] = r.detail()
	}
	return out, s.attachPeople(ctx, out)
}

// escapeLike makes text match itself literally inside an ILIKE pattern.
func escapeLike(text string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text)
}

// CoupleByID returns one of a practice's couples with its partners and care team.
func (s *Store) CoupleByID(ctx context.Context, practiceID, coupleID int64) (CoupleDetail, error) {
	var r coupleRow
	err := s.db.GetContext(ctx, &r, `
		SELECT id, practice_id, label, status, concerns, created_at, updated_at, '' AS relation
		FROM couples WHERE id = $1 AND practice_id = $2`, coupleID, practiceID)
	if err != nil {
		return CoupleDetail{}, mapError(err)
	}
	out := []CoupleDetail{r.detail()}
	if err := s.attachPeople(ctx, out); err != nil {
		return CoupleDetail{}, err
	}
	return out[0], nil
}

// attachPeople fills in the partners and care team of each couple.
func (s *Store) attachPeople(ctx context.Context, couples []CoupleDetail) error {
	if len(couples) == 0 {
		return nil
	}
	index := make(map[int64]int, len(couples))
	ids := make([]int64, len(couples))
	for i, c := range couples {
		index[c.ID] = i
		ids[i] = c.ID
	}
	var partners []struct {
		CoupleID int64 `db:"couple_id"`
		Partner
	}
	if err := s.db.SelectContext(ctx, &partners, `
		SELECT cp.couple_id, cp.user_id, u.name, cp.seat
		FROM couple_partners cp JOIN users u ON u.id = cp.user_id
		WHERE cp.couple_id = ANY($1) ORDER BY cp.couple_id, cp.seat`, pq.Int64Array(ids)); err != nil {
		return mapError(err)
	}
	for _, p := range partners {
		c := &couples[index[p.CoupleID]]
		c.Partners = append(c.Partners, p.Partner)
	}
	var team []struct {
		CoupleID int64 `db:"couple_id"`
		CareTeamMember
	}
	if err := s.db.SelectContext(ctx, &team, `
		SELECT ct.couple_id, ct.therapist_id AS user_id, u.name
		FROM care_team ct JOIN users u ON u.id = ct.therapist_id
		WHERE ct.couple_id = ANY($1) ORDER BY ct.couple_id, lower(u.name), u.id`, pq.Int64Array(ids)); err != nil {
		return mapError(err)
	}
	for _, m := range team {
		c := &couples[index[m.CoupleID]]
		c.CareTeam = append(c.CareTeam, m.CareTeamMember)
	}
	return nil
}

// UpdateCouple changes a couple's label, concerns or status. A closed couple accepts only a
// change that reopens it (along with any other changes made at the same time).
func (s *Store) UpdateCouple(ctx context.Context, practiceID, coupleID int64, ch CoupleChanges) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var status string
		if err := tx.GetContext(ctx, &status, `SELECT status FROM couples WHERE id = $1 AND practice_id = $2 FOR UPDATE`,
			coupleID, practiceID); err != nil {
			return err
		}
		if status == CoupleClosed && (ch.Status == nil || *ch.Status == CoupleClosed) {
			return errCoupleClosed
		}
		var concerns any
		if ch.Concerns != nil {
			concerns = pq.StringArray(*ch.Concerns)
		}
		_, err := tx.ExecContext(ctx, `
			UPDATE couples SET label = coalesce($3, label), concerns = coalesce($4, concerns),
			       status = coalesce($5, status), updated_at = now()
			WHERE id = $1 AND practice_id = $2`, coupleID, practiceID, ch.Label, concerns, ch.Status)
		return err
	})
}

// SetCoupleCareTeam replaces a couple's care team.
func (s *Store) SetCoupleCareTeam(ctx context.Context, practiceID, coupleID int64, therapists []int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockOpenCouple(ctx, tx, practiceID, coupleID); err != nil {
			return err
		}
		return setCareTeam(ctx, tx, practiceID, coupleID, therapists)
	})
}

// CheckSeatOpen reports whether a partner can still be invited to the seat: the couple is not
// closed and nobody holds the seat yet.
func (s *Store) CheckSeatOpen(ctx context.Context, practiceID, coupleID int64, seat string) error {
	var row struct {
		Status string `db:"status"`
		Taken  bool   `db:"taken"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT c.status, EXISTS (SELECT 1 FROM couple_partners cp WHERE cp.couple_id = c.id AND cp.seat = $3) AS taken
		FROM couples c WHERE c.id = $1 AND c.practice_id = $2`, coupleID, practiceID, seat)
	switch {
	case err != nil:
		return mapError(err)
	case row.Status == CoupleClosed:
		return errCoupleClosed
	case row.Taken:
		return Conflict("a partner already holds seat " + seat + " of this couple")
	}
	return nil
}

// lockOpenCouple holds the couple's row for the transaction, so its status cannot change midway,
// and refuses a closed couple.
func lockOpenCouple(ctx context.Context, tx *sqlx.Tx, practiceID, coupleID int64) error {
	var status string
	if err := tx.GetContext(ctx, &status, `SELECT status FROM couples WHERE id = $1 AND practice_id = $2 FOR SHARE`,
		coupleID, practiceID); err != nil {
		return err
	}
	if status == CoupleClosed {
		return errCoupleClosed
	}
	return nil
}
