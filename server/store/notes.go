package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Sections are a clinical note's texts by section key (subjective, objective, ... ).
type Sections map[string]string

// Value stores sections as jsonb, sent as text (see Open).
func (s Sections) Value() (driver.Value, error) {
	data, err := json.Marshal(s)
	return string(data), err
}

// Scan reads sections from jsonb.
func (s *Sections) Scan(src any) error {
	data, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("sections: cannot scan %T", src)
	}
	return json.Unmarshal(data, s)
}

// Note is a therapist's clinical note on a couple, optionally tied to a live session. A signed
// note is locked; later changes are addenda.
type Note struct {
	ID            int64  `db:"id" json:"id"`
	CoupleID      int64  `db:"couple_id" json:"couple_id"`
	LiveSessionID *int64 `db:"live_session_id" json:"live_session_id"`
	// AppointmentID is the appointment whose session the note records, if any.
	AppointmentID *int64         `db:"appointment_id" json:"appointment_id"`
	AuthorID      int64          `db:"author_id" json:"author_id"`
	Template      string         `db:"template" json:"template"`
	Sections      Sections       `db:"sections" json:"sections"`
	SignedAt      *time.Time     `db:"signed_at" json:"signed_at"`
	Addenda       []NoteAddendum `db:"-" json:"addenda,omitzero"` // nil, and so left out, in lists
	CreatedAt     time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time      `db:"updated_at" json:"updated_at"`
	// Relation is how the reader stands to the note, for filtering lists.
	Relation string `db:"relation" json:"-"`
}

// NoteAddendum is a later addition to a signed note; it never changes once written.
type NoteAddendum struct {
	ID        int64     `db:"id" json:"id"`
	NoteID    int64     `db:"note_id" json:"note_id"`
	AuthorID  int64     `db:"author_id" json:"author_id"`
	Text      string    `db:"text" json:"text"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// NewNote is a draft note to store.
type NewNote struct {
	PracticeID    int64
	CoupleID      int64
	LiveSessionID *int64
	AppointmentID *int64
	AuthorID      int64
	Template      string
	Sections      Sections
}

const noteColumns = `n.id, n.couple_id, n.live_session_id, n.appointment_id, n.author_id, n.template, n.sections, n.signed_at, n.created_at, n.updated_at`

var errNoteSigned = fault.ConflictBecause("this note is signed and locked; add an addendum instead")

// CreateNote stores a draft note on a couple of the practice. A live session or an appointment,
// when named, must be one of the couple's.
func (s *Store) CreateNote(ctx context.Context, in NewNote) (Note, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `
		INSERT INTO notes (couple_id, live_session_id, appointment_id, author_id, template, sections)
		SELECT c.id, $3::bigint, $7::bigint, $4::bigint, $5::text, $6::jsonb FROM couples c
		WHERE c.id = $2 AND c.practice_id = $1
		  AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM live_sessions ls WHERE ls.id = $3 AND ls.couple_id = c.id))
		  AND ($7::bigint IS NULL OR EXISTS (SELECT 1 FROM appointments a WHERE a.id = $7 AND a.couple_id = c.id))
		RETURNING id`, in.PracticeID, in.CoupleID, in.LiveSessionID, in.AuthorID, in.Template, in.Sections, in.AppointmentID)
	if err := pgerr.Map(err); fault.ErrorCode(err) == fault.NotFound && in.LiveSessionID != nil {
		return Note{}, fault.InvalidField("live_session_id", "must be a live session of this couple")
	} else if fault.ErrorCode(err) == fault.NotFound && in.AppointmentID != nil {
		return Note{}, fault.InvalidField("appointment_id", "must be an appointment of this couple")
	} else if err != nil {
		return Note{}, err
	}
	return s.NoteByID(ctx, in.PracticeID, id)
}

// NoteByID returns one note of the practice with its addenda.
func (s *Store) NoteByID(ctx context.Context, practiceID, id int64) (Note, error) {
	var n Note
	if err := s.db.GetContext(ctx, &n, `SELECT `+noteColumns+`, '' AS relation
		FROM notes n JOIN couples c ON c.id = n.couple_id WHERE n.id = $1 AND c.practice_id = $2`, id, practiceID); err != nil {
		return n, pgerr.Map(err)
	}
	n.Addenda = []NoteAddendum{}
	err := s.db.SelectContext(ctx, &n.Addenda, `SELECT id, note_id, author_id, text, created_at
		FROM note_addenda WHERE note_id = $1 ORDER BY id`, id)
	return n, pgerr.Map(err)
}

// Notes lists a couple's notes, newest first, optionally only those of one live session, each
// with the reader's relation to it. Addenda are left out; NoteByID has them.
func (s *Store) Notes(ctx context.Context, practiceID, coupleID, readerID int64, liveSessionID *int64) ([]Note, error) {
	out := []Note{}
	err := s.selectNamed(ctx, &out, `SELECT `+noteColumns+`,
			`+noteRelation(`n.author_id`, `n.couple_id`)+` AS relation
		FROM notes n JOIN couples c ON c.id = n.couple_id
		WHERE n.couple_id = :couple AND c.practice_id = :practice
		  AND (CAST(:session AS bigint) IS NULL OR n.live_session_id = :session)
		ORDER BY n.created_at DESC, n.id DESC`,
		map[string]any{"couple": coupleID, "practice": practiceID, "user": readerID, "session": liveSessionID})
	return out, err
}

// UpdateNote replaces a draft note's sections once check approves them against the note's
// current template and sections. A signed note is a conflict.
func (s *Store) UpdateNote(ctx context.Context, practiceID, id int64, sections Sections, check func(template string, current Sections) error) (Note, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockDraftNote(ctx, tx, practiceID, id, check); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE notes SET sections = $2::jsonb, updated_at = now() WHERE id = $1`, id, sections)
		return err
	})
	if err != nil {
		return Note{}, err
	}
	return s.NoteByID(ctx, practiceID, id)
}

// SignNote locks a draft note after ready approves its content. A signed note is a conflict.
func (s *Store) SignNote(ctx context.Context, practiceID, id int64, ready func(template string, sections Sections) error) (Note, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockDraftNote(ctx, tx, practiceID, id, ready); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE notes SET signed_at = now(), updated_at = now() WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return Note{}, err
	}
	return s.NoteByID(ctx, practiceID, id)
}

// lockDraftNote locks a note of the practice for a change, refusing signed notes, and hands its
// content to check when given.
func lockDraftNote(ctx context.Context, tx *sqlx.Tx, practiceID, id int64, check func(string, Sections) error) error {
	var n struct {
		Template string     `db:"template"`
		Sections Sections   `db:"sections"`
		SignedAt *time.Time `db:"signed_at"`
	}
	if err := tx.GetContext(ctx, &n, `SELECT n.template, n.sections, n.signed_at FROM notes n JOIN couples c ON c.id = n.couple_id
		WHERE n.id = $1 AND c.practice_id = $2 FOR UPDATE OF n`, id, practiceID); err != nil {
		return err
	}
	if n.SignedAt != nil {
		return errNoteSigned
	}
	if check != nil {
		return check(n.Template, n.Sections)
	}
	return nil
}

// AddAddendum appends an addendum to a signed note. A draft is edited directly instead.
func (s *Store) AddAddendum(ctx context.Context, practiceID, noteID, authorID int64, text string) (NoteAddendum, error) {
	var a NoteAddendum
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := lockDraftNote(ctx, tx, practiceID, noteID, nil)
		if err == nil {
			return fault.ConflictBecause("this note is a draft; change it directly, addenda are for signed notes")
		}
		if !errors.Is(err, errNoteSigned) {
			return err
		}
		return tx.GetContext(ctx, &a, `INSERT INTO note_addenda (note_id, author_id, text) VALUES ($1, $2, $3)
			RETURNING id, note_id, author_id, text, created_at`, noteID, authorID, text)
	})
	return a, err
}
