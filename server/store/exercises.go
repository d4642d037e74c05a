package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault/pgerr"
	"github.com/amendcare/amend/server/library"
)

// Exercise is one version of an exercise from the library: a built-in step (no practice) or one a
// practice wrote. Version is the version shown; CurrentVersion the newest.
type Exercise struct {
	ID                int64          `db:"id" json:"id"`
	PracticeID        *int64         `db:"practice_id" json:"practice_id"`
	BuiltIn           bool           `db:"built_in" json:"built_in"`
	Key               *string        `db:"builtin_key" json:"key,omitempty"`
	Step              *int           `db:"step" json:"step,omitempty"`
	Version           int            `db:"version" json:"version"`
	CurrentVersion    int            `db:"current_version" json:"current_version"`
	Title             string         `db:"title" json:"title"`
	Summary           string         `db:"summary" json:"summary"`
	Who               string         `db:"who" json:"who"`
	DefaultVisibility string         `db:"default_visibility" json:"default_visibility"`
	Fields            ExerciseFields `db:"fields" json:"fields"`
	CreatedAt         time.Time      `db:"created_at" json:"created_at"`
	VersionCreatedAt  time.Time      `db:"version_created_at" json:"version_created_at"`
}

// ExerciseFields is an exercise's prompts, kept as jsonb.
type ExerciseFields []library.Field

// Scan reads the jsonb column.
func (f *ExerciseFields) Scan(src any) error {
	data, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("exercise fields: cannot scan %T", src)
	}
	return json.Unmarshal(data, (*[]library.Field)(f))
}

// Value writes the jsonb column, as text (see Open).
func (f ExerciseFields) Value() (driver.Value, error) {
	data, err := json.Marshal([]library.Field(f))
	return string(data), err
}

// ExerciseContent is what a practice writes when it creates or revises an exercise.
type ExerciseContent struct {
	Title             string
	Summary           string
	Who               string
	DefaultVisibility string
	Fields            []library.Field
}

const exerciseSelect = `
	SELECT e.id, e.practice_id, e.practice_id IS NULL AS built_in, e.builtin_key, e.step, v.version,
	       e.current_version, v.title, v.summary, v.who, v.default_visibility, v.fields, e.created_at,
	       v.created_at AS version_created_at
	FROM exercises e JOIN exercise_versions v ON v.exercise_id = e.id`

// Exercises lists the library a practice sees: the built-in steps in step order, then the
// practice's own exercises by title, each at its newest version.
func (s *Store) Exercises(ctx context.Context, practiceID int64) ([]Exercise, error) {
	out := []Exercise{}
	err := s.db.SelectContext(ctx, &out, exerciseSelect+`
		WHERE v.version = e.current_version AND (e.practice_id IS NULL OR e.practice_id = $1)
		ORDER BY e.practice_id NULLS FIRST, e.step, lower(v.title), e.id`, practiceID)
	return out, pgerr.Map(err)
}

// ExerciseByID returns an exercise the practice can use, at the given version (0: the newest).
func (s *Store) ExerciseByID(ctx context.Context, practiceID, id int64, version int) (Exercise, error) {
	var e Exercise
	err := s.db.GetContext(ctx, &e, exerciseSelect+`
		WHERE e.id = $1 AND (e.practice_id IS NULL OR e.practice_id = $2)
		  AND v.version = CASE WHEN $3 = 0 THEN e.current_version ELSE $3 END`, id, practiceID, version)
	return e, pgerr.Map(err)
}

// exerciseTable keeps a practice's exercises; the built-in steps are head rows with no practice.
var exerciseTable = versionedTable[ExerciseContent]{
	table:          "exercises",
	builtInRefusal: "built-in steps cannot be changed; write a practice exercise of your own instead",
	check:          func(in ExerciseContent) error { return library.ValidateFields(in.Fields) },
	addVersion:     addExerciseVersion,
}

// CreateExercise adds a practice's own exercise at version 1.
func (s *Store) CreateExercise(ctx context.Context, practiceID, authorID int64, in ExerciseContent) (int64, error) {
	return createVersioned(ctx, s, exerciseTable, practiceID, authorID, in)
}

// ReviseExercise stores new content for a practice's exercise as its next version; earlier
// versions stay as they were for the assignments that use them. Built-in steps cannot be revised.
func (s *Store) ReviseExercise(ctx context.Context, practiceID, id, authorID int64, in ExerciseContent) error {
	return reviseVersioned(ctx, s, exerciseTable, practiceID, id, authorID, in)
}

func addExerciseVersion(ctx context.Context, tx *sqlx.Tx, id int64, version int, authorID int64, in ExerciseContent) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO exercise_versions (exercise_id, version, title, summary, who, default_visibility, fields, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, version, in.Title, in.Summary, in.Who, in.DefaultVisibility, ExerciseFields(in.Fields), nonZeroID(authorID))
	return err
}
