package store

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
	"github.com/amendcare/amend/server/library"
)

// Form statuses: sent -> in_progress (a draft is saved) -> submitted, or signed for a form that
// takes a signature. Submitted and signed forms take no more answers.
const (
	FormSent       = "sent"
	FormInProgress = "in_progress"
	FormSubmitted  = "submitted"
	FormSigned     = "signed"
)

// FormFields is a form's questions, kept as jsonb.
type FormFields []library.FormField

// Scan reads the jsonb column.
func (f *FormFields) Scan(src any) error {
	data, ok := src.([]byte)
	if !ok {
		return fmt.Errorf("form fields: cannot scan %T", src)
	}
	return json.Unmarshal(data, (*[]library.FormField)(f))
}

// Value writes the jsonb column, as text (see Open).
func (f FormFields) Value() (driver.Value, error) {
	data, err := json.Marshal([]library.FormField(f))
	return string(data), err
}

// FormTemplate is one version of a form a practice wrote; Version is the version shown.
type FormTemplate struct {
	ID             int64      `db:"id" json:"id"`
	PracticeID     int64      `db:"practice_id" json:"practice_id"`
	Version        int        `db:"version" json:"version"`
	CurrentVersion int        `db:"current_version" json:"current_version"`
	Title          string     `db:"title" json:"title"`
	Body           string     `db:"body" json:"body"`
	Signature      bool       `db:"signature" json:"signature"`
	Fields         FormFields `db:"fields" json:"fields"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
}

// FormContent is what a practice writes when it creates or revises a form template.
type FormContent struct {
	Title     string
	Body      string
	Signature bool
	Fields    []library.FormField
}

const formTemplateSelect = `
	SELECT t.id, t.practice_id, v.version, t.current_version, v.title, v.body, v.signature, v.fields, t.created_at
	FROM form_templates t JOIN form_template_versions v ON v.template_id = t.id`

// FormTemplates lists a practice's own form templates by title, each at its newest version.
func (s *Store) FormTemplates(ctx context.Context, practiceID int64) ([]FormTemplate, error) {
	out := []FormTemplate{}
	err := s.db.SelectContext(ctx, &out, formTemplateSelect+`
		WHERE t.practice_id = $1 AND v.version = t.current_version ORDER BY lower(v.title), t.id`, practiceID)
	return out, pgerr.Map(err)
}

// FormTemplateByID returns a practice's form template at its newest version.
func (s *Store) FormTemplateByID(ctx context.Context, practiceID, id int64) (FormTemplate, error) {
	var t FormTemplate
	err := s.db.GetContext(ctx, &t, formTemplateSelect+`
		WHERE t.id = $1 AND t.practice_id = $2 AND v.version = t.current_version`, id, practiceID)
	return t, pgerr.Map(err)
}

// formTemplateTable keeps a practice's form templates; the built-in forms live in the library.
var formTemplateTable = versionedTable[FormContent]{
	table:      "form_templates",
	check:      func(in FormContent) error { return library.ValidateFormFields(in.Fields) },
	addVersion: addFormTemplateVersion,
}

// CreateFormTemplate adds a practice's own form template at version 1.
func (s *Store) CreateFormTemplate(ctx context.Context, practiceID, authorID int64, in FormContent) (int64, error) {
	return createVersioned(ctx, s, formTemplateTable, practiceID, authorID, in)
}

// ReviseFormTemplate stores new content for a practice's form template as its next version; forms
// already sent keep the content they were sent with.
func (s *Store) ReviseFormTemplate(ctx context.Context, practiceID, id, authorID int64, in FormContent) error {
	return reviseVersioned(ctx, s, formTemplateTable, practiceID, id, authorID, in)
}

func addFormTemplateVersion(ctx context.Context, tx *sqlx.Tx, id int64, version int, authorID int64, in FormContent) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO form_template_versions (template_id, version, title, body, signature, fields, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, version, in.Title, in.Body, in.Signature, FormFields(in.Fields), nonZeroID(authorID))
	return err
}

// Form is a form sent to one partner, with the content it was sent with, the partner's answers
// and, once signed, the frozen document and its signature.
type Form struct {
	ID              int64           `db:"id" json:"id"`
	PracticeID      int64           `db:"practice_id" json:"practice_id"`
	CoupleID        int64           `db:"couple_id" json:"couple_id"`
	AssigneeID      int64           `db:"assignee_id" json:"assignee_id"`
	AssigneeSeat    string          `db:"assignee_seat" json:"assignee_seat"`
	BuiltinKey      *string         `db:"builtin_key" json:"builtin_key"`
	TemplateID      *int64          `db:"template_id" json:"template_id"`
	TemplateVersion *int            `db:"template_version" json:"template_version"`
	Title           string          `db:"title" json:"title"`
	Body            string          `db:"body" json:"body"`
	Signature       bool            `db:"signature" json:"signature"`
	Fields          FormFields      `db:"fields" json:"fields"`
	Answers         ResponseAnswers `db:"answers" json:"answers"`
	Visibility      string          `db:"visibility" json:"visibility"`
	Status          string          `db:"status" json:"status"`
	SafetyFlagged   bool            `db:"safety_flagged" json:"-"`
	DueOn           *string         `db:"due_on" json:"due_on"`
	SentBy          *int64          `db:"sent_by" json:"sent_by"`
	SubmittedAt     *time.Time      `db:"submitted_at" json:"submitted_at"`
	SignedName      *string         `db:"signed_name" json:"signed_name"`
	SignedAt        *time.Time      `db:"signed_at" json:"signed_at"`
	SignedAddress   *string         `db:"signed_address" json:"signed_address"`
	Document        *string         `db:"document" json:"-"`
	DocumentSHA256  DocumentHash    `db:"document_sha256" json:"document_sha256,omitempty"`
	CreatedAt       time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt       time.Time       `db:"updated_at" json:"updated_at"`
	// Relation is how the reader stands to the form, for filtering lists.
	Relation string `db:"relation" json:"-"`
}

// DocumentHash is a SHA-256, written in hex.
type DocumentHash []byte

// MarshalJSON writes the hash in hex.
func (h DocumentHash) MarshalJSON() ([]byte, error) {
	return json.Marshal(fmt.Sprintf("%x", []byte(h)))
}

// UnmarshalJSON reads the hash from hex.
func (h *DocumentHash) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err != nil {
		return err
	}
	sum, err := hex.DecodeString(text)
	*h = sum
	return err
}

// Scan copies the bytea column, which the driver may reuse; NULL is no hash.
func (h *DocumentHash) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*h = nil
	case []byte:
		*h = append(DocumentHash(nil), v...)
	default:
		return fmt.Errorf("document hash: cannot scan %T", src)
	}
	return nil
}

// String is the hash in hex.
func (h DocumentHash) String() string { return fmt.Sprintf("%x", []byte(h)) }

const formSelect = `
	SELECT f.id, f.practice_id, f.couple_id, f.assignee_id, cp.seat AS assignee_seat, f.builtin_key, f.template_id,
	       f.template_version, f.title, f.body, f.signature, f.fields, f.answers, f.visibility, f.status, f.safety_flagged,
	       to_char(f.due_on, 'YYYY-MM-DD') AS due_on, f.sent_by, f.submitted_at, f.signed_name, f.signed_at,
	       host(f.signed_address) AS signed_address, f.document, f.document_sha256, f.created_at, f.updated_at`

const formFrom = `
	FROM forms f JOIN couple_partners cp ON cp.couple_id = f.couple_id AND cp.user_id = f.assignee_id`

// NewForms is what sending a form takes: its content as of now, and the seats of the partners who
// each get their own copy.
type NewForms struct {
	PracticeID      int64
	CoupleID        int64
	BuiltinKey      *string
	TemplateID      *int64
	TemplateVersion *int
	Content         FormContent
	Seats           []string
	DueOn           *string
	SentBy          int64
}

// CreateForms sends the form to each partner in Seats; after runs for each new form in the same
// transaction.
func (s *Store) CreateForms(ctx context.Context, in NewForms, after ...AfterChange) ([]int64, error) {
	ids := make([]int64, 0, len(in.Seats))
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCouple(ctx, tx, in.PracticeID, in.CoupleID); err != nil {
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
				INSERT INTO forms (practice_id, couple_id, assignee_id, builtin_key, template_id, template_version, title, body,
				                   signature, fields, due_on, sent_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
				in.PracticeID, in.CoupleID, assignee, in.BuiltinKey, in.TemplateID, in.TemplateVersion, in.Content.Title,
				in.Content.Body, in.Content.Signature, FormFields(in.Content.Fields), in.DueOn, nonZeroID(in.SentBy)); err != nil {
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

// CoupleForms lists a couple's forms, newest first, each with the reader's relation to it.
func (s *Store) CoupleForms(ctx context.Context, practiceID, coupleID, readerID int64) ([]Form, error) {
	out := []Form{}
	err := s.selectNamed(ctx, &out, formSelect+`, `+authoredRelation(`f.assignee_id`, `f.visibility`, `f.couple_id`)+` AS relation
		`+formFrom+` WHERE f.practice_id = :practice AND f.couple_id = :couple
		ORDER BY f.created_at DESC, f.id DESC`,
		map[string]any{"practice": practiceID, "couple": coupleID, "user": readerID})
	return out, err
}

// FormByID returns one of a practice's forms.
func (s *Store) FormByID(ctx context.Context, practiceID, id int64) (Form, error) {
	var f Form
	err := s.db.GetContext(ctx, &f, formSelect+`, '' AS relation`+formFrom+` WHERE f.practice_id = $1 AND f.id = $2`,
		practiceID, id)
	return f, pgerr.Map(err)
}

// FormAnswers is what a partner hands in: answers (nil keeps the saved draft) and, for a form
// that takes one, the signature.
type FormAnswers struct {
	Answers json.RawMessage
	// Final hands the form in: every required question must be answered.
	Final bool
	// Signature signs it; only with Final, and only a form that takes a signature.
	Signature *library.Signature
}

// AnswerForm saves the partner's answers as a draft, hands them in, or signs the form. A signed
// form is frozen: its rendered text, its SHA-256 and the signature are stored with it, and nothing
// about it changes afterwards (the database refuses it too).
func (s *Store) AnswerForm(ctx context.Context, practiceID, id int64, in FormAnswers) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var f Form
		if err := tx.GetContext(ctx, &f, `SELECT id, title, body, signature, fields, answers, status FROM forms
			WHERE id = $1 AND practice_id = $2 FOR UPDATE`, id, practiceID); err != nil {
			return err
		}
		switch {
		case f.Status == FormSigned:
			return errSigned
		case f.Status == FormSubmitted:
			return fault.ConflictBecause("this form is handed in already")
		case in.Final && f.Signature && in.Signature == nil:
			return fault.ConflictBecause("this form is signed, not handed in: sign it")
		case in.Signature != nil && !f.Signature:
			return fault.ConflictBecause("this form takes no signature: hand it in")
		}
		answers := in.Answers
		if answers == nil {
			answers = json.RawMessage(f.Answers)
		}
		if err := library.ValidateAnswers(library.BaseFields(f.Fields), answers, in.Final); err != nil {
			return fault.Under("answers", err)
		}
		status, submitted := FormInProgress, in.Final
		var document *string
		var hash []byte
		if in.Final {
			status = FormSubmitted
		}
		if sig := in.Signature; sig != nil {
			status = FormSigned
			text := library.RenderSigned(f.Title, f.Body, f.Fields, answers, *sig)
			sum := sha256.Sum256([]byte(text))
			document, hash = &text, sum[:]
		}
		var name, address *string
		var signedAt *time.Time
		if sig := in.Signature; sig != nil {
			name, address, signedAt = &sig.Name, &sig.Address, &sig.At
		}
		_, err := tx.ExecContext(ctx, `
			UPDATE forms SET answers = $2, status = $3, safety_flagged = $4, updated_at = now(),
			       submitted_at = CASE WHEN $5 THEN coalesce($8::timestamptz, now()) END,
			       signed_name = $6, signed_address = $7::inet, signed_at = $8, document = $9, document_sha256 = $10
			WHERE id = $1`, id, string(answers), status, library.SafetyFlagged(f.Fields, answers), submitted,
			name, address, signedAt, document, hash)
		return err
	})
}

// errSigned refuses any change to a signed form.
var errSigned = fault.ConflictBecause("this form is signed, and a signed form never changes")

// SetFormVisibility changes who besides the care team reads a form; it returns the visibility the
// form had before. A signed form keeps the visibility it was signed with.
func (s *Store) SetFormVisibility(ctx context.Context, practiceID, id int64, visibility string) (previous string, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var f struct {
			Visibility string `db:"visibility"`
			Status     string `db:"status"`
		}
		if err := tx.GetContext(ctx, &f, `SELECT visibility, status FROM forms WHERE id = $1 AND practice_id = $2 FOR UPDATE`,
			id, practiceID); err != nil {
			return err
		}
		if f.Status == FormSigned {
			return errSigned
		}
		previous = f.Visibility
		_, err := tx.ExecContext(ctx, `UPDATE forms SET visibility = $2, updated_at = now() WHERE id = $1`, id, visibility)
		return err
	})
	return previous, err
}

// Kinds of safety flag: a form's safety-screening answer, or a questionnaire's answer (PHQ-9 item 9).
const (
	SafetyFlagScreening     = "screening"
	SafetyFlagQuestionnaire = "questionnaire"
)

// SafetyFlag is a partner's handed-in answer that calls for the therapist's attention: a form's
// safety-screening answer (FormID set) or a questionnaire's (MeasureID set).
type SafetyFlag struct {
	Kind        string     `db:"kind" json:"kind"`
	FormID      *int64     `db:"form_id" json:"form_id"`
	MeasureID   *int64     `db:"measure_id" json:"measure_id"`
	Title       string     `db:"title" json:"title"`
	PartnerID   int64      `db:"partner_id" json:"partner_id"`
	Seat        string     `db:"seat" json:"seat"`
	SubmittedAt *time.Time `db:"submitted_at" json:"submitted_at"`
}

// FormSafetyFlags lists a couple's handed-in forms with a flagged safety-screening answer, newest first.
func (s *Store) FormSafetyFlags(ctx context.Context, practiceID, coupleID int64) ([]SafetyFlag, error) {
	out := []SafetyFlag{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT 'screening' AS kind, f.id AS form_id, NULL::bigint AS measure_id, f.title, f.assignee_id AS partner_id,
			cp.seat, f.submitted_at `+formFrom+`
		WHERE f.practice_id = $1 AND f.couple_id = $2 AND f.safety_flagged AND f.status IN ('submitted', 'signed')
		ORDER BY f.submitted_at DESC, f.id DESC`, practiceID, coupleID)
	return out, pgerr.Map(err)
}

// FormMail is what a form's mail needs: who it is for, and in which practice.
type FormMail struct {
	FormID       int64
	PracticeID   int64
	PracticeName string
	Assignee     Recipient
}

// FormMailTx reads a form's mail details within tx.
func FormMailTx(ctx context.Context, tx *sqlx.Tx, formID int64) (FormMail, error) {
	var m FormMail
	err := tx.QueryRowxContext(ctx, `
		SELECT f.id, f.practice_id, p.name, u.id, u.email
		FROM forms f JOIN practices p ON p.id = f.practice_id JOIN users u ON u.id = f.assignee_id
		WHERE f.id = $1`, formID).
		Scan(&m.FormID, &m.PracticeID, &m.PracticeName, &m.Assignee.UserID, &m.Assignee.Email)
	return m, pgerr.Map(err)
}

// FormOpen reports whether a form still waits for its partner's answers; a reminder of one handed
// in, signed or erased is dropped.
func (s *Store) FormOpen(ctx context.Context, formID int64) (bool, error) {
	var open bool
	err := s.db.GetContext(ctx, &open, `SELECT EXISTS (SELECT 1 FROM forms WHERE id = $1 AND status IN ('sent', 'in_progress'))`, formID)
	return open, pgerr.Map(err)
}
