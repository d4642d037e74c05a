package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
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
		return fault.InvalidField("therapists", "must name at least one therapist")
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
		return fault.InvalidField("therapists", "must all be active therapists of this practice")
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

// Couple statuses. A closed couple's record is read-only, but for what the server's access
// check lets through, until its status changes back.
const (
	CoupleActive = "active"
	CouplePaused = "paused"
	CoupleClosed = "closed"
)

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
	// Relations keeps the couples the listing user stands to in one of these relations (care_team,
	// couple, practice), found through the user's own ties rather than by looking at every couple
	// of the practice. Nil keeps every relation.
	Relations []string
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
	Partners    []byte         `db:"partners"`
	CareTeam    []byte         `db:"care_team"`
}

func (r coupleRow) detail() (CoupleDetail, error) {
	c := r.Couple
	c.Concerns = []string(r.ConcernList)
	d := CoupleDetail{Couple: c, Partners: []Partner{}, CareTeam: []CareTeamMember{}, Relation: r.Relation}
	if err := json.Unmarshal(r.Partners, &d.Partners); err != nil {
		return d, fmt.Errorf("partners of couple %d: %w", c.ID, err)
	}
	if err := json.Unmarshal(r.CareTeam, &d.CareTeam); err != nil {
		return d, fmt.Errorf("care team of couple %d: %w", c.ID, err)
	}
	return d, nil
}

// coupleColumns are a couple's columns with its partners (by seat) and care team (by name) as
// JSON arrays, so that a couple and its people come back in one query. Names are looked up by
// key for each of the couple's few people: with a join, the generic plan of the prepared
// statement can scan every user once per couple.
const coupleColumns = `c.id, c.practice_id, c.label, c.status, c.concerns, c.created_at, c.updated_at,
	(SELECT coalesce(json_agg(json_build_object('user_id', p.user_id, 'name', p.name, 'seat', p.seat) ORDER BY p.seat), '[]')
	 FROM (SELECT cp.user_id, cp.seat, (SELECT u.name FROM users u WHERE u.id = cp.user_id) AS name
	       FROM couple_partners cp WHERE cp.couple_id = c.id) p) AS partners,
	(SELECT coalesce(json_agg(json_build_object('user_id', t.therapist_id, 'name', t.name) ORDER BY lower(t.name), t.therapist_id), '[]')
	 FROM (SELECT ct.therapist_id, (SELECT u.name FROM users u WHERE u.id = ct.therapist_id) AS name
	       FROM care_team ct WHERE ct.couple_id = c.id) t) AS care_team`

// Couples lists a practice's couples matching the filter, by label, each with its people and
// userID's relation to it so the caller can drop the ones that user may not read.
func (s *Store) Couples(ctx context.Context, practiceID, userID int64, f CoupleFilter) ([]CoupleDetail, error) {
	q, args, err := sqlx.Named(`
		SELECT `+coupleColumns+`, `+coupleRelation(`c.id`)+` AS relation
		FROM couples c
		WHERE c.practice_id = :practice
		  AND (CAST(:status AS text) = '' OR c.status = :status)
		  AND (CAST(:therapist AS bigint) = 0
		       OR EXISTS (SELECT 1 FROM care_team t WHERE t.couple_id = c.id AND t.therapist_id = :therapist))
		  AND (CAST(:text AS text) = '' OR c.label ILIKE '%' || CAST(:text AS text) || '%' ESCAPE '\')
		  AND (CAST(:any_relation AS boolean)
		       OR CAST(:care_team AS boolean) AND c.id IN (SELECT ct.couple_id FROM care_team ct WHERE ct.therapist_id = :user)
		       OR CAST(:own_couple AS boolean) AND c.id IN (SELECT cp.couple_id FROM couple_partners cp WHERE cp.user_id = :user))
		ORDER BY lower(c.label), c.id
		LIMIT 1000`,
		map[string]any{"practice": practiceID, "user": userID, "status": f.Status, "therapist": f.TherapistID,
			"text": escapeLike(f.Text), "any_relation": f.Relations == nil || slices.Contains(f.Relations, RelPractice),
			"care_team": slices.Contains(f.Relations, RelCareTeam), "own_couple": slices.Contains(f.Relations, RelCouple)})
	if err != nil {
		return nil, err
	}
	var rows []coupleRow
	if err := s.selectPrepared(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, err
	}
	out := make([]CoupleDetail, len(rows))
	for i, r := range rows {
		if out[i], err = r.detail(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// escapeLike makes text match itself literally inside an ILIKE pattern.
func escapeLike(text string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text)
}

// CoupleByID returns one of a practice's couples with its partners and care team.
func (s *Store) CoupleByID(ctx context.Context, practiceID, coupleID int64) (CoupleDetail, error) {
	var r coupleRow
	err := s.db.GetContext(ctx, &r, `
		SELECT `+coupleColumns+`, '' AS relation
		FROM couples c WHERE c.id = $1 AND c.practice_id = $2`, coupleID, practiceID)
	if err != nil {
		return CoupleDetail{}, pgerr.Map(err)
	}
	return r.detail()
}

// CoupleWithAssignmentCounts returns one of a practice's couples with its partners and care
// team, and counts of its assignments by status and by userID's relation to each, in one query.
func (s *Store) CoupleWithAssignmentCounts(ctx context.Context, practiceID, coupleID, userID int64) (CoupleDetail, []AssignmentStatusCount, error) {
	var r struct {
		coupleRow
		Counts []byte `db:"counts"`
	}
	q, args, err := sqlx.Named(`
		SELECT `+coupleColumns+`, '' AS relation,
		       (SELECT coalesce(json_agg(json_build_object('status', g.status, 'relation', g.relation, 'count', g.count)), '[]')
		        FROM (SELECT `+assignmentStatus+` AS status, `+assignmentRelation(`a.assignee_id`, `r.visibility`, `a.couple_id`)+` AS relation,
		                     count(*) AS count
		              FROM assignments a JOIN responses r ON r.assignment_id = a.id
		              WHERE a.practice_id = c.practice_id AND a.couple_id = c.id
		              GROUP BY 1, 2) g) AS counts
		FROM couples c WHERE c.id = :couple AND c.practice_id = :practice`,
		map[string]any{"practice": practiceID, "couple": coupleID, "user": userID})
	if err != nil {
		return CoupleDetail{}, nil, err
	}
	if err := s.getPrepared(ctx, &r, s.db.Rebind(q), args...); err != nil {
		return CoupleDetail{}, nil, err
	}
	couple, err := r.detail()
	if err != nil {
		return couple, nil, err
	}
	var counts []struct {
		Status   string `json:"status"`
		Relation string `json:"relation"`
		Count    int    `json:"count"`
	}
	if err := json.Unmarshal(r.Counts, &counts); err != nil {
		return couple, nil, fmt.Errorf("assignment counts of couple %d: %w", coupleID, err)
	}
	out := make([]AssignmentStatusCount, len(counts))
	for i, n := range counts {
		out[i] = AssignmentStatusCount{Status: n.Status, Relation: n.Relation, Count: n.Count}
	}
	return couple, out, nil
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
			return fault.ErrCoupleClosed
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
		if err := lockCouple(ctx, tx, practiceID, coupleID); err != nil {
			return err
		}
		return setCareTeam(ctx, tx, practiceID, coupleID, therapists)
	})
}

// lockCouple holds the practice's couple row for the transaction, so it cannot be erased midway.
func lockCouple(ctx context.Context, tx *sqlx.Tx, practiceID, coupleID int64) error {
	var found bool
	return tx.GetContext(ctx, &found, `SELECT true FROM couples WHERE id = $1 AND practice_id = $2 FOR SHARE`,
		coupleID, practiceID)
}

// CheckSeatOpen reports whether a partner can still be invited to the seat: nobody holds it yet.
func (s *Store) CheckSeatOpen(ctx context.Context, practiceID, coupleID int64, seat string) error {
	var taken bool
	err := s.db.GetContext(ctx, &taken, `
		SELECT EXISTS (SELECT 1 FROM couple_partners cp WHERE cp.couple_id = c.id AND cp.seat = $3)
		FROM couples c WHERE c.id = $1 AND c.practice_id = $2`, coupleID, practiceID, seat)
	switch {
	case err != nil:
		return pgerr.Map(err)
	case taken:
		return fault.ConflictBecause("a partner already holds seat " + seat + " of this couple")
	}
	return nil
}
