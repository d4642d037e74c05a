package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/amendcare/amend/fault/pgerr"
)

// Answers are a questionnaire's answers by item key.
type Answers map[string]int

// Value stores answers as jsonb, sent as text (see Open).
func (a Answers) Value() (driver.Value, error) {
	data, err := json.Marshal(a)
	return string(data), err
}

// Scan reads answers from jsonb.
func (a *Answers) Scan(src any) error {
	data, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("answers: cannot scan %T", src)
	}
	return json.Unmarshal(data, a)
}

// Measure is one completed questionnaire, scored.
type Measure struct {
	ID          int64   `db:"id" json:"id"`
	CoupleID    int64   `db:"couple_id" json:"couple_id"`
	AuthorID    int64   `db:"author_id" json:"author_id"`
	Key         string  `db:"measure_key" json:"measure_key"`
	Answers     Answers `db:"answers" json:"answers"`
	Score       int     `db:"score" json:"score"`
	BelowCutoff bool    `db:"-" json:"below_cutoff"`
	// Band is the published severity band of the score, for questionnaires read by bands.
	Band string `db:"-" json:"band,omitempty"`
	// SafetyFlag is set when the answers ask the care team to check on safety.
	SafetyFlag bool      `db:"-" json:"safety_flag"`
	Visibility string    `db:"visibility" json:"visibility"`
	TakenAt    time.Time `db:"taken_at" json:"taken_at"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	// Relation is how the reader stands to the measure, for filtering lists.
	Relation string `db:"relation" json:"-"`
}

// NewMeasure is a scored questionnaire to store; a zero TakenAt means now.
type NewMeasure struct {
	PracticeID int64
	CoupleID   int64
	AuthorID   int64
	Key        string
	Answers    Answers
	Score      int
	Visibility string
	TakenAt    time.Time
}

const measureColumns = `m.id, m.couple_id, m.author_id, m.measure_key, m.answers, m.score, m.visibility, m.taken_at, m.created_at`

// CreateMeasure stores a completed questionnaire for a couple of the practice.
func (s *Store) CreateMeasure(ctx context.Context, in NewMeasure) (Measure, error) {
	var takenAt *time.Time
	if !in.TakenAt.IsZero() {
		takenAt = &in.TakenAt
	}
	var id int64
	err := s.db.GetContext(ctx, &id, `
		INSERT INTO measures (couple_id, author_id, measure_key, answers, score, visibility, taken_at)
		SELECT c.id, $3::bigint, $4::text, $5::jsonb, $6::integer, $7::text, coalesce($8::timestamptz, now())
		FROM couples c WHERE c.id = $2 AND c.practice_id = $1
		RETURNING id`, in.PracticeID, in.CoupleID, in.AuthorID, in.Key, in.Answers, in.Score, in.Visibility, takenAt)
	if err != nil {
		return Measure{}, pgerr.Map(err)
	}
	return s.MeasureByID(ctx, in.PracticeID, id)
}

// MeasureByID returns one measure of the practice.
func (s *Store) MeasureByID(ctx context.Context, practiceID, id int64) (Measure, error) {
	var m Measure
	err := s.db.GetContext(ctx, &m, `SELECT `+measureColumns+`, '' AS relation
		FROM measures m JOIN couples c ON c.id = m.couple_id WHERE m.id = $1 AND c.practice_id = $2`, id, practiceID)
	return m, pgerr.Map(err)
}

// Measures lists a couple's measures, oldest first, each with the reader's relation to it.
func (s *Store) Measures(ctx context.Context, practiceID, coupleID, readerID int64) ([]Measure, error) {
	out := []Measure{}
	err := s.selectNamed(ctx, &out, `SELECT `+measureColumns+`, `+authoredRelation(`m.author_id`, `m.visibility`, `m.couple_id`)+` AS relation
		FROM measures m JOIN couples c ON c.id = m.couple_id
		WHERE m.couple_id = :couple AND c.practice_id = :practice
		ORDER BY m.taken_at, m.id`,
		map[string]any{"couple": coupleID, "practice": practiceID, "user": readerID})
	return out, err
}

// SetMeasureVisibility changes who may see a measure and returns it with the visibility it had before.
func (s *Store) SetMeasureVisibility(ctx context.Context, practiceID, id int64, visibility string) (updated Measure, previous string, err error) {
	if previous, err = s.setCoupleItemVisibility(ctx, "measures", practiceID, id, visibility); err != nil {
		return Measure{}, "", err
	}
	updated, err = s.MeasureByID(ctx, practiceID, id)
	return updated, previous, err
}

// setCoupleItemVisibility changes who may read one row of table, an item of a couple of the
// practice, and returns the visibility it had before. table is one of the store's own names.
func (s *Store) setCoupleItemVisibility(ctx context.Context, table string, practiceID, id int64, visibility string) (previous string, err error) {
	err = s.db.GetContext(ctx, &previous, fmt.Sprintf(`
		UPDATE %[1]s item SET visibility = $3 FROM couples c, %[1]s prev
		WHERE item.id = $1 AND c.id = item.couple_id AND c.practice_id = $2 AND prev.id = item.id
		RETURNING prev.visibility`, table), id, practiceID, visibility)
	return previous, pgerr.Map(err)
}
