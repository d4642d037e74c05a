package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
	"github.com/amendcare/amend/server/library"
)

// Assignment statuses: assigned -> in_progress (a draft is saved) -> submitted -> reviewed, or
// reopened (back to the partner, who drafts and submits again). A submitted response kept
// private reads as done_private: done for the partner alone, with nothing for anyone to review;
// shared later with the therapist, it reads as submitted again.
const (
	StatusAssigned    = "assigned"
	StatusInProgress  = "in_progress"
	StatusSubmitted   = "submitted"
	StatusDonePrivate = "done_private"
	StatusReviewed    = "reviewed"
	StatusReopened    = "reopened"
)

// assignmentStatus is the SQL expression for an assignment's status as it reads, over the
// assignment a and its response r: the stored status, except that a submitted response kept
// private is done_private.
const assignmentStatus = `CASE WHEN a.status = 'submitted' AND r.visibility = 'private' THEN 'done_private' ELSE a.status END`

// Assignment is an exercise, at a fixed version, given to one partner of a couple.
type Assignment struct {
	ID              int64      `db:"id" json:"id"`
	PracticeID      int64      `db:"practice_id" json:"practice_id"`
	CoupleID        int64      `db:"couple_id" json:"couple_id"`
	ExerciseID      int64      `db:"exercise_id" json:"exercise_id"`
	ExerciseVersion int        `db:"exercise_version" json:"exercise_version"`
	ExerciseTitle   string     `db:"exercise_title" json:"exercise_title"`
	AssigneeID      int64      `db:"assignee_id" json:"assignee_id"`
	AssigneeSeat    string     `db:"assignee_seat" json:"assignee_seat"`
	DueOn           *string    `db:"due_on" json:"due_on"`
	Note            string     `db:"note" json:"note"`
	Status          string     `db:"status" json:"status"`
	Feedback        string     `db:"feedback" json:"feedback"`
	AssignedBy      *int64     `db:"assigned_by" json:"assigned_by"`
	ReviewedBy      *int64     `db:"reviewed_by" json:"reviewed_by"`
	ReviewedAt      *time.Time `db:"reviewed_at" json:"reviewed_at"`
	Visibility      string     `db:"visibility" json:"visibility"`
	SubmittedAt     *time.Time `db:"submitted_at" json:"submitted_at"`
	CreatedAt       time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt       time.Time  `db:"updated_at" json:"updated_at"`
	// Relation and ResponseRelation are how the user who asked stands to the assignment and to
	// its response, for filtering lists and counts.
	Relation         string `db:"relation" json:"-"`
	ResponseRelation string `db:"response_relation" json:"-"`
}

// Response is the assignee's writing for an assignment; it shares the assignment's id.
type Response struct {
	AssignmentID int64           `db:"assignment_id" json:"assignment_id"`
	AuthorID     int64           `db:"author_id" json:"author_id"`
	Answers      ResponseAnswers `db:"answers" json:"answers"`
	Visibility   string          `db:"visibility" json:"visibility"`
	SubmittedAt  *time.Time      `db:"submitted_at" json:"submitted_at"`
	CreatedAt    time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time       `db:"updated_at" json:"updated_at"`
}

// ResponseAnswers is a response's JSON object of answers keyed by field, passed through as written.
type ResponseAnswers json.RawMessage

// Scan copies the jsonb column, which the driver may reuse.
func (a *ResponseAnswers) Scan(src any) error {
	data, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("answers: cannot scan %T", src)
	}
	*a = append(ResponseAnswers(nil), data...)
	return nil
}

// Value writes the jsonb column, as text (see Open).
func (a ResponseAnswers) Value() (driver.Value, error) { return string(a), nil }

// MarshalJSON writes the answers as they are.
func (a ResponseAnswers) MarshalJSON() ([]byte, error) {
	if len(a) == 0 {
		return []byte("{}"), nil
	}
	return a, nil
}

// UnmarshalJSON keeps the answers as they are.
func (a *ResponseAnswers) UnmarshalJSON(data []byte) error {
	*a = append(ResponseAnswers(nil), data...)
	return nil
}

// Comment is care-team feedback on a response, or the author's reply to it.
type Comment struct {
	ID           int64     `db:"id" json:"id"`
	AssignmentID int64     `db:"assignment_id" json:"assignment_id"`
	AuthorID     *int64    `db:"author_id" json:"author_id"`
	AuthorName   string    `db:"author_name" json:"author_name"`
	ParentID     *int64    `db:"parent_id" json:"parent_id"`
	Body         string    `db:"body" json:"body"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
}

// NewAssignment is what assigning an exercise takes. Seats names the partners: "a", "b" or both.
type NewAssignment struct {
	PracticeID int64
	CoupleID   int64
	ExerciseID int64
	Seats      []string
	DueOn      *string
	Note       string
	AssignedBy int64
}

// assignmentRelation is the SQL expression for the caller's relation to an assignment: the
// assignee is self and the care team care_team; the other partner sees it only while its
// response is shared with them. The care team sees even a private response's assignment (its
// status and dates), never the private writing itself.
func assignmentRelation(assignee, visibility, coupleID string) string {
	return fmt.Sprintf(`CASE
		WHEN %[1]s = :user THEN 'self'
		WHEN EXISTS (SELECT 1 FROM care_team ct WHERE ct.couple_id = %[3]s AND ct.therapist_id = :user) THEN 'care_team'
		WHEN EXISTS (SELECT 1 FROM couple_partners cp WHERE cp.couple_id = %[3]s AND cp.user_id = :user)
		     THEN CASE WHEN %[2]s = 'partner' THEN 'partner' ELSE 'hidden' END
		ELSE 'practice' END`, assignee, visibility, coupleID)
}

const assignmentSelect = `
	SELECT a.id, a.practice_id, a.couple_id, a.exercise_id, a.exercise_version, v.title AS exercise_title,
	       a.assignee_id, cp.seat AS assignee_seat, to_char(a.due_on, 'YYYY-MM-DD') AS due_on, a.note, ` + assignmentStatus + ` AS status,
	       a.feedback, a.assigned_by, a.reviewed_by, a.reviewed_at, r.visibility, r.submitted_at,
	       a.created_at, a.updated_at`

const assignmentFrom = `
	FROM assignments a
	JOIN responses r ON r.assignment_id = a.id
	JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
	JOIN couple_partners cp ON cp.couple_id = a.couple_id AND cp.user_id = a.assignee_id`

// CreateAssignments gives the exercise, at its newest version, to each partner in Seats: one
// assignment per partner, each with an empty response of the exercise's default visibility. after
// runs for each new assignment in the same transaction.
func (s *Store) CreateAssignments(ctx context.Context, in NewAssignment, after ...AfterChange) ([]int64, error) {
	ids := make([]int64, 0, len(in.Seats))
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCouple(ctx, tx, in.PracticeID, in.CoupleID); err != nil {
			return err
		}
		var exercise struct {
			Version    int    `db:"current_version"`
			Visibility string `db:"default_visibility"`
		}
		err := tx.GetContext(ctx, &exercise, `
			SELECT e.current_version, v.default_visibility
			FROM exercises e JOIN exercise_versions v ON v.exercise_id = e.id AND v.version = e.current_version
			WHERE e.id = $1 AND (e.practice_id IS NULL OR e.practice_id = $2)`, in.ExerciseID, in.PracticeID)
		if fault.ErrorCode(pgerr.Map(err)) == fault.NotFound {
			return fault.InvalidField("exercise_id", "is not an exercise of this practice's library")
		}
		if err != nil {
			return err
		}
		for _, seat := range in.Seats {
			var assignee int64
			err := tx.GetContext(ctx, &assignee, `SELECT user_id FROM couple_partners WHERE couple_id = $1 AND seat = $2`,
				in.CoupleID, seat)
			if fault.ErrorCode(pgerr.Map(err)) == fault.NotFound {
				return fault.InvalidField("for", "no partner has joined seat "+seat+" yet")
			}
			if err != nil {
				return err
			}
			var id int64
			if err := tx.GetContext(ctx, &id, `
				INSERT INTO assignments (practice_id, couple_id, exercise_id, exercise_version, assignee_id, due_on, note, assigned_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
				in.PracticeID, in.CoupleID, in.ExerciseID, exercise.Version, assignee, in.DueOn, in.Note,
				nonZeroID(in.AssignedBy)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO responses (assignment_id, author_id, visibility) VALUES ($1, $2, $3)`,
				id, assignee, exercise.Visibility); err != nil {
				return err
			}
			if err := runAfter(ctx, tx, id, after); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// CoupleAssignments lists a couple's assignments, newest first, each with userID's relation to
// the assignment and to its response so the caller can leave out what that user may not see.
func (s *Store) CoupleAssignments(ctx context.Context, practiceID, coupleID, userID int64) ([]Assignment, error) {
	q, args, err := sqlx.Named(assignmentSelect+`,
		       `+assignmentRelation(`a.assignee_id`, `r.visibility`, `a.couple_id`)+` AS relation,
		       `+authoredRelation(`r.author_id`, `r.visibility`, `a.couple_id`)+` AS response_relation
		`+assignmentFrom+`
		WHERE a.practice_id = :practice AND a.couple_id = :couple
		ORDER BY a.created_at DESC, a.id DESC`,
		map[string]any{"practice": practiceID, "couple": coupleID, "user": userID})
	if err != nil {
		return nil, err
	}
	out := []Assignment{}
	err = s.db.SelectContext(ctx, &out, s.db.Rebind(q), args...)
	return out, pgerr.Map(err)
}

// AssignmentByID returns one of a practice's assignments.
func (s *Store) AssignmentByID(ctx context.Context, practiceID, id int64) (Assignment, error) {
	var a Assignment
	err := s.db.GetContext(ctx, &a, assignmentSelect+`, '' AS relation, '' AS response_relation`+assignmentFrom+`
		WHERE a.practice_id = $1 AND a.id = $2`, practiceID, id)
	return a, pgerr.Map(err)
}

// ResponseByAssignment returns the response to one of a practice's assignments.
func (s *Store) ResponseByAssignment(ctx context.Context, practiceID, assignmentID int64) (Response, error) {
	var r Response
	err := s.db.GetContext(ctx, &r, `
		SELECT r.assignment_id, r.author_id, r.answers, r.visibility, r.submitted_at, r.created_at, r.updated_at
		FROM responses r JOIN assignments a ON a.id = r.assignment_id
		WHERE a.practice_id = $1 AND r.assignment_id = $2`, practiceID, assignmentID)
	return r, pgerr.Map(err)
}

// SaveDraft stores the assignee's answers so far; required fields may still be empty.
func (s *Store) SaveDraft(ctx context.Context, practiceID, assignmentID int64, answers json.RawMessage) error {
	return s.writeResponse(ctx, practiceID, assignmentID, answers, false)
}

// SubmitResponse hands the response to the care team. With answers, they replace the draft first;
// without, the saved draft is submitted. Every required field must be answered.
func (s *Store) SubmitResponse(ctx context.Context, practiceID, assignmentID int64, answers json.RawMessage) error {
	return s.writeResponse(ctx, practiceID, assignmentID, answers, true)
}

func (s *Store) writeResponse(ctx context.Context, practiceID, assignmentID int64, answers json.RawMessage, final bool) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The assignment is held for the transaction, as lockAssignment does, and the exercise's
		// fields come along in the same query.
		var a struct {
			Status string         `db:"status"`
			Fields ExerciseFields `db:"fields"`
		}
		if err := tx.GetContext(ctx, &a, `
			SELECT a.status, v.fields
			FROM assignments a
			JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
			WHERE a.id = $1 AND a.practice_id = $2
			FOR UPDATE OF a`, assignmentID, practiceID); err != nil {
			return err
		}
		switch a.Status {
		case StatusSubmitted, StatusReviewed:
			return fault.ConflictBecause("this response is submitted; your therapist can reopen it if it needs changes")
		}
		if answers == nil {
			var saved ResponseAnswers
			if err := tx.GetContext(ctx, &saved, `SELECT answers FROM responses WHERE assignment_id = $1`, assignmentID); err != nil {
				return err
			}
			answers = json.RawMessage(saved)
		}
		if err := library.ValidateAnswers(a.Fields, answers, final); err != nil {
			return fault.Under("answers", err)
		}
		status := StatusInProgress
		if final {
			status = StatusSubmitted
		}
		_, err := tx.ExecContext(ctx, `
			WITH response AS (
				UPDATE responses SET answers = $2, updated_at = now(), submitted_at = CASE WHEN $3 THEN now() END
				WHERE assignment_id = $1)
			UPDATE assignments SET status = $4, updated_at = now() WHERE id = $1`, assignmentID, string(answers), final, status)
		return err
	})
}

type lockedAssignment struct {
	ExerciseID      int64  `db:"exercise_id"`
	ExerciseVersion int    `db:"exercise_version"`
	Status          string `db:"status"`
}

// lockAssignment holds an assignment of the practice for the transaction; its status reads as
// assignmentStatus.
func lockAssignment(ctx context.Context, tx *sqlx.Tx, practiceID, assignmentID int64) (lockedAssignment, error) {
	var a lockedAssignment
	err := tx.GetContext(ctx, &a, `SELECT a.exercise_id, a.exercise_version, `+assignmentStatus+` AS status
		FROM assignments a JOIN responses r ON r.assignment_id = a.id
		WHERE a.id = $1 AND a.practice_id = $2 FOR UPDATE OF a`, assignmentID, practiceID)
	return a, err
}

// ReviewResponse records the care team's feedback on a submitted response; after runs in the same
// transaction.
func (s *Store) ReviewResponse(ctx context.Context, practiceID, assignmentID, reviewerID int64, feedback string, after ...AfterChange) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		a, err := lockAssignment(ctx, tx, practiceID, assignmentID)
		if err != nil {
			return err
		}
		if a.Status != StatusSubmitted && a.Status != StatusReviewed {
			return fault.ConflictBecause("only a submitted response can be reviewed")
		}
		if _, err = tx.ExecContext(ctx, `UPDATE assignments SET status = 'reviewed', feedback = $2, reviewed_by = $3,
			reviewed_at = now(), updated_at = now() WHERE id = $1`, assignmentID, feedback, reviewerID); err != nil {
			return err
		}
		return runAfter(ctx, tx, assignmentID, after)
	})
}

// ReopenAssignment sends a submitted, privately done or reviewed assignment back to its partner
// for more work.
func (s *Store) ReopenAssignment(ctx context.Context, practiceID, assignmentID int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		a, err := lockAssignment(ctx, tx, practiceID, assignmentID)
		if err != nil {
			return err
		}
		if a.Status != StatusSubmitted && a.Status != StatusDonePrivate && a.Status != StatusReviewed {
			return fault.ConflictBecause("only a submitted or reviewed assignment can be reopened")
		}
		_, err = tx.ExecContext(ctx, `UPDATE assignments SET status = 'reopened', updated_at = now() WHERE id = $1`, assignmentID)
		return err
	})
}

// SetResponseVisibility changes who may read a response; it takes effect for the next request.
// It returns the visibility the response had before.
func (s *Store) SetResponseVisibility(ctx context.Context, practiceID, assignmentID int64, visibility string) (previous string, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := lockAssignment(ctx, tx, practiceID, assignmentID); err != nil {
			return err
		}
		return tx.GetContext(ctx, &previous, `
			UPDATE responses r SET visibility = $2, updated_at = now()
			FROM responses prev WHERE prev.assignment_id = r.assignment_id AND r.assignment_id = $1
			RETURNING prev.visibility`, assignmentID, visibility)
	})
	return previous, err
}

// AssignmentStatusCount is how many of a couple's assignments are in a status, per relation
// of the user who asked.
type AssignmentStatusCount struct {
	Status   string `db:"status"`
	Relation string `db:"relation"`
	Count    int    `db:"count"`
}

// Comments lists the comments on a response, oldest first.
func (s *Store) Comments(ctx context.Context, practiceID, assignmentID int64) ([]Comment, error) {
	out := []Comment{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT k.id, k.assignment_id, k.author_id, coalesce(u.name, '') AS author_name, k.parent_id, k.body, k.created_at
		FROM comments k JOIN assignments a ON a.id = k.assignment_id LEFT JOIN users u ON u.id = k.author_id
		WHERE a.practice_id = $1 AND k.assignment_id = $2
		ORDER BY k.id`, practiceID, assignmentID)
	return out, pgerr.Map(err)
}

// AddComment adds a comment to a response. A reply names its parent, which must be a comment on
// the same response.
func (s *Store) AddComment(ctx context.Context, practiceID, assignmentID, authorID int64, parentID *int64, body string) (Comment, error) {
	var k Comment
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := lockAssignment(ctx, tx, practiceID, assignmentID); err != nil {
			return err
		}
		if parentID != nil {
			var onResponse bool
			if err := tx.GetContext(ctx, &onResponse, `SELECT EXISTS (SELECT 1 FROM comments WHERE id = $1 AND assignment_id = $2)`,
				*parentID, assignmentID); err != nil {
				return err
			}
			if !onResponse {
				return fault.InvalidField("parent_id", "is not a comment on this response")
			}
		}
		return tx.GetContext(ctx, &k, `
			WITH k AS (INSERT INTO comments (assignment_id, author_id, parent_id, body) VALUES ($1, $2, $3, $4)
			           RETURNING id, assignment_id, author_id, parent_id, body, created_at)
			SELECT k.id, k.assignment_id, k.author_id, coalesce(u.name, '') AS author_name, k.parent_id, k.body, k.created_at
			FROM k LEFT JOIN users u ON u.id = k.author_id`, assignmentID, authorID, parentID, body)
	})
	return k, err
}

// AssignmentHistory dates an assignment's events, for bringing in work done before Amend (and for
// the demo practice); zero times are left as they are.
type AssignmentHistory struct {
	AssignedAt  time.Time
	SubmittedAt time.Time
	ReviewedAt  time.Time
}

// DateAssignment sets when an assignment was given, submitted and reviewed.
func (s *Store) DateAssignment(ctx context.Context, practiceID, assignmentID int64, h AssignmentHistory) error {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE assignments SET created_at = coalesce($3, created_at), reviewed_at = coalesce($5, reviewed_at),
			       updated_at = greatest(coalesce($3, created_at), coalesce($4, created_at), coalesce($5, created_at))
			WHERE id = $2 AND practice_id = $1`, practiceID, assignmentID, at(h.AssignedAt), at(h.SubmittedAt), at(h.ReviewedAt))
		if err := expectOne(res, err); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE responses SET created_at = coalesce($2, created_at), submitted_at = coalesce($3, submitted_at),
			       updated_at = coalesce($3, $2, updated_at)
			WHERE assignment_id = $1`, assignmentID, at(h.AssignedAt), at(h.SubmittedAt))
		return err
	})
}
