package store

import (
	"context"
	"time"

	"github.com/amendcare/amend/fault/pgerr"
)

// CheckinPoint is one check-in in a progress series, with the reader's relation to it.
type CheckinPoint struct {
	AuthorID int64  `db:"author_id" json:"-"`
	Day      string `db:"day" json:"day"`
	Trust    int    `db:"trust" json:"trust"`
	Safety   int    `db:"safety" json:"safety"`
	Relation string `db:"relation" json:"-"`
}

// MeasurePoint is one scored questionnaire in a progress series.
type MeasurePoint struct {
	AuthorID    int64     `db:"author_id" json:"-"`
	Key         string    `db:"measure_key" json:"measure_key"`
	TakenAt     time.Time `db:"taken_at" json:"taken_at"`
	Score       int       `db:"score" json:"score"`
	BelowCutoff bool      `db:"-" json:"below_cutoff"`
	Band        string    `db:"-" json:"band,omitempty"`
	Relation    string    `db:"relation" json:"-"`
}

// WeekTally counts, for one author and the week starting Monday WeekStart, what a series counts:
// commitment periods kept (Done) and missed, or assignments completed (Done) and not.
type WeekTally struct {
	AuthorID  int64  `db:"author_id"`
	WeekStart string `db:"week_start"`
	Done      int    `db:"done"`
	NotDone   int    `db:"not_done"`
	Relation  string `db:"relation"`
}

// ProgressPartners returns the couple's two partners in seat order.
func (s *Store) ProgressPartners(ctx context.Context, practiceID, coupleID int64) ([]Partner, error) {
	out := []Partner{}
	err := s.db.SelectContext(ctx, &out, `SELECT cp.user_id, u.name, cp.seat
		FROM couple_partners cp JOIN couples c ON c.id = cp.couple_id JOIN users u ON u.id = cp.user_id
		WHERE cp.couple_id = $1 AND c.practice_id = $2 ORDER BY cp.seat`, coupleID, practiceID)
	return out, pgerr.Map(err)
}

// ProgressCheckins returns every check-in's trust and safety, oldest first, with the reader's relation.
func (s *Store) ProgressCheckins(ctx context.Context, practiceID, coupleID, readerID int64) ([]CheckinPoint, error) {
	out := []CheckinPoint{}
	err := s.selectNamed(ctx, &out, `SELECT k.author_id, to_char(k.day, 'YYYY-MM-DD') AS day, k.trust, k.safety,
			`+authoredRelation(`k.author_id`, `k.visibility`, `k.couple_id`)+` AS relation
		FROM checkins k JOIN couples c ON c.id = k.couple_id
		WHERE k.couple_id = :couple AND c.practice_id = :practice ORDER BY k.day`,
		map[string]any{"couple": coupleID, "practice": practiceID, "user": readerID})
	return out, err
}

// ProgressMeasures returns every measure's score, oldest first, with the reader's relation.
func (s *Store) ProgressMeasures(ctx context.Context, practiceID, coupleID, readerID int64) ([]MeasurePoint, error) {
	out := []MeasurePoint{}
	err := s.selectNamed(ctx, &out, `SELECT m.author_id, m.measure_key, m.taken_at, m.score,
			`+authoredRelation(`m.author_id`, `m.visibility`, `m.couple_id`)+` AS relation
		FROM measures m JOIN couples c ON c.id = m.couple_id
		WHERE m.couple_id = :couple AND c.practice_id = :practice ORDER BY m.taken_at, m.id`,
		map[string]any{"couple": coupleID, "practice": practiceID, "user": readerID})
	return out, err
}

// ProgressCommitments counts recorded periods per commitment author and week: kept as Done,
// missed as NotDone. Commitments are visible to the whole couple and care team, so every row
// carries the relation of a shared item.
func (s *Store) ProgressCommitments(ctx context.Context, practiceID, coupleID, readerID int64) ([]WeekTally, error) {
	out := []WeekTally{}
	err := s.selectNamed(ctx, &out, `SELECT m.author_id, to_char(date_trunc('week', x.period_start), 'YYYY-MM-DD') AS week_start,
			count(*) FILTER (WHERE x.kept) AS done, count(*) FILTER (WHERE NOT x.kept) AS not_done,
			`+authoredRelation(`m.author_id`, `'partner'`, `m.couple_id`)+` AS relation
		FROM commitment_checks x JOIN commitments m ON m.id = x.commitment_id JOIN couples c ON c.id = m.couple_id
		WHERE m.couple_id = :couple AND c.practice_id = :practice
		GROUP BY m.author_id, m.couple_id, date_trunc('week', x.period_start)
		ORDER BY 2, 1`,
		map[string]any{"couple": coupleID, "practice": practiceID, "user": readerID})
	return out, err
}

// ProgressAssignments counts assignments per assignee and week (of the due date, or of the day
// assigned when there is none): submitted or reviewed as Done, the rest as NotDone, split by the
// reader's relation to them so hidden ones can be left out. Weeks that have not begun in the
// practice's time zone are left out: work due then is not yet late, nor its week a result.
func (s *Store) ProgressAssignments(ctx context.Context, practiceID, coupleID, readerID int64) ([]WeekTally, error) {
	out := []WeekTally{}
	err := s.selectNamed(ctx, &out, `SELECT t.author_id, to_char(t.week, 'YYYY-MM-DD') AS week_start,
			count(*) FILTER (WHERE t.done) AS done, count(*) FILTER (WHERE NOT t.done) AS not_done, t.relation
		FROM (SELECT a.assignee_id AS author_id,
				date_trunc('week', coalesce(CAST(a.due_on AS timestamp), a.created_at AT TIME ZONE p.time_zone)) AS week,
				date_trunc('week', now() AT TIME ZONE p.time_zone) AS this_week,
				a.status IN ('submitted', 'reviewed') AS done,
				`+assignmentRelation(`a.assignee_id`, `r.visibility`, `a.couple_id`)+` AS relation
			FROM assignments a JOIN responses r ON r.assignment_id = a.id JOIN practices p ON p.id = a.practice_id
			WHERE a.couple_id = :couple AND a.practice_id = :practice) t
		WHERE t.week <= t.this_week
		GROUP BY t.author_id, t.week, t.relation
		ORDER BY 2, 1`,
		map[string]any{"couple": coupleID, "practice": practiceID, "user": readerID})
	return out, err
}
