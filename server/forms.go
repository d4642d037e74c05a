package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/store"
)

// formReminderAfter is how long after a form is sent its partner is reminded, if it still waits.
const formReminderAfter = 3 * 24 * time.Hour

// formTemplateInput is a practice's form as its author writes it; the questions are checked by
// the library's rules (library.ValidateFormFields).
type formTemplateInput struct {
	Title     string              `json:"title" validate:"required,max=200"`
	Body      string              `json:"body" validate:"max=20000"`
	Signature bool                `json:"signature"`
	Fields    []library.FormField `json:"fields" validate:"required"`
}

func (in formTemplateInput) content() (store.FormContent, error) {
	title := strings.TrimSpace(in.Title)
	if title == "" {
		return store.FormContent{}, fault.InvalidField("title", "is required")
	}
	return store.FormContent{Title: title, Body: strings.TrimSpace(in.Body), Signature: in.Signature, Fields: in.Fields}, nil
}

// listFormTemplates answers the forms a care team can send: the built-in ones and the practice's own.
func (s *Server) listFormTemplates(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.FormTemplate, policy.List)
	if !ok {
		return
	}
	templates, err := s.store.FormTemplates(c.Request.Context(), pid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"builtin": library.Forms(), "templates": templates})
}

// formTemplates is the practice's own form templates as the handlers that write them see them.
func (s *Server) formTemplates() versionedContent[store.FormContent] {
	return versionedContent[store.FormContent]{object: policy.FormTemplate, kind: store.KindFormTemplate, create: s.store.CreateFormTemplate,
		revise: s.store.ReviseFormTemplate, latest: func(ctx context.Context, pid, id int64) (any, error) {
			return s.store.FormTemplateByID(ctx, pid, id)
		}}
}

func (s *Server) createFormTemplate(c *gin.Context) {
	createVersioned[formTemplateInput](s, c, s.formTemplates())
}

func (s *Server) getFormTemplate(c *gin.Context) {
	pid, id, ok := s.authorizeVersioned(c, store.KindFormTemplate, policy.FormTemplate, policy.Read)
	if !ok {
		return
	}
	answerLatest(c, s.formTemplates(), http.StatusOK, pid, id)
}

// reviseFormTemplate stores new content as the template's next version; forms already sent keep
// the content they were sent with.
func (s *Server) reviseFormTemplate(c *gin.Context) {
	reviseVersioned[formTemplateInput](s, c, s.formTemplates())
}

// sendFormInput sends a built-in form (by key) or one of the practice's templates (by id) to seat
// a, seat b, or both (each partner gets their own copy).
type sendFormInput struct {
	Builtin    string  `json:"builtin" validate:"omitempty,max=64"`
	TemplateID int64   `json:"template_id" validate:"omitempty,gt=0"`
	For        string  `json:"for" validate:"required,oneof=a b both"`
	DueOn      *string `json:"due_on"`
}

// formToSend resolves what a send names into the content the forms are sent with.
func (s *Server) formToSend(ctx context.Context, practiceID int64, in sendFormInput) (store.NewForms, error) {
	switch {
	case (in.Builtin == "") == (in.TemplateID == 0):
		return store.NewForms{}, fault.InvalidField("builtin", "name either a built-in form or a template_id, not both")
	case in.Builtin != "":
		f, ok := library.FormByKey(in.Builtin)
		if !ok {
			return store.NewForms{}, fault.InvalidField("builtin", "is not a built-in form")
		}
		return store.NewForms{BuiltinKey: &f.Key,
			Content: store.FormContent{Title: f.Title, Body: f.Body, Signature: f.Signature, Fields: f.Fields}}, nil
	}
	t, err := s.store.FormTemplateByID(ctx, practiceID, in.TemplateID)
	if fault.ErrorCode(err) == fault.NotFound {
		return store.NewForms{}, fault.InvalidField("template_id", "is not a form of this practice")
	}
	if err != nil {
		return store.NewForms{}, err
	}
	return store.NewForms{TemplateID: &t.ID, TemplateVersion: &t.Version,
		Content: store.FormContent{Title: t.Title, Body: t.Body, Signature: t.Signature, Fields: t.Fields}}, nil
}

// sendForms sends a form to one or both partners, each to fill in privately, and mails them that
// something is waiting, with a reminder later if it still is.
func (s *Server) sendForms(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Form, policy.Create)
	if !ok {
		return
	}
	var in sendFormInput
	if !s.bindJSON(c, &in) {
		return
	}
	if in.DueOn != nil {
		if _, err := time.Parse(time.DateOnly, *in.DueOn); err != nil {
			fail(c, fault.InvalidField("due_on", "must be a date written as YYYY-MM-DD"))
			return
		}
	}
	ctx := c.Request.Context()
	send, err := s.formToSend(ctx, access.PracticeID, in)
	if err != nil {
		fail(c, err)
		return
	}
	send.PracticeID, send.CoupleID, send.DueOn, send.SentBy = access.PracticeID, coupleID, in.DueOn, mustCaller(c).User.ID
	send.Seats = []string{in.For}
	if in.For == "both" {
		send.Seats = []string{"a", "b"}
	}
	ids, err := s.store.CreateForms(ctx, send, s.mailForm()...)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, ids[0])
	out := make([]formView, len(ids))
	for i, formID := range ids {
		f, err := s.store.FormByID(ctx, access.PracticeID, formID)
		if err != nil {
			fail(c, err)
			return
		}
		out[i] = s.viewForm(relating(access, store.RelCareTeam), f)
	}
	c.JSON(http.StatusCreated, gin.H{"forms": out})
}

// mailForm tells a form's partner that something is waiting for them, and schedules a reminder
// that is dropped if the form is handed in first. Neither says what the form is.
func (s *Server) mailForm() []store.AfterChange {
	return s.afterChange(func(ctx context.Context, tx *sqlx.Tx, formID int64) error {
		f, err := store.FormMailTx(ctx, tx, formID)
		if err != nil {
			return err
		}
		m := mail.Message{Key: fmt.Sprintf("%s:%d", mail.KindFormSent, formID), Type: mail.KindFormSent,
			To: f.Assignee.Email, PracticeID: f.PracticeID, PracticeName: f.PracticeName, Path: fmt.Sprintf("/forms/%d", formID)}
		if err := s.mail.Enqueue(ctx, tx.Tx, m, zeroTime); err != nil {
			return err
		}
		m.Key, m.Type, m.FormID = fmt.Sprintf("%s:%d", mail.KindFormReminder, formID), mail.KindFormReminder, formID
		return s.mail.Enqueue(ctx, tx.Tx, m, s.mail.Now().Add(formReminderAfter))
	})
}

// formView is a form as one reader sees it: safety-screening answers only for those who may read
// them, and the safety flag only for the care team.
type formView struct {
	store.Form
	SafetyFlagged *bool `json:"safety_flagged,omitempty"`
}

// viewForm shapes f for a reader standing to it as access says.
func (s *Server) viewForm(access store.Access, f store.Form) formView {
	if !s.allows(access, policy.Screening, policy.Read) {
		f.Answers = store.ResponseAnswers(library.WithoutScreening(f.Fields, json.RawMessage(f.Answers)))
	}
	v := formView{Form: f}
	if s.allows(access, policy.SafetyFlag, policy.List) {
		v.SafetyFlagged = &f.SafetyFlagged
	}
	return v
}

func (s *Server) listForms(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Form, policy.List)
	if !ok {
		return
	}
	forms, err := s.readableForms(c.Request.Context(), access, coupleID, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"forms": forms})
}

// readableForms returns the couple's forms, newest first, that the reader may open, as they see them.
func (s *Server) readableForms(ctx context.Context, access store.Access, coupleID, readerID int64) ([]formView, error) {
	all, err := s.store.CoupleForms(ctx, access.PracticeID, coupleID, readerID)
	if err != nil {
		return nil, err
	}
	forms := readable(s, access, policy.Form, all, func(f store.Form) string { return f.Relation })
	out := make([]formView, len(forms))
	for i, f := range forms {
		out[i] = s.viewForm(relating(access, f.Relation), f)
	}
	return out, nil
}

// authorizeForm authorizes action on the form in the path and reads it.
func (s *Server) authorizeForm(c *gin.Context, object policy.Object, action policy.Action) (store.Form, store.Access, bool) {
	id, access, ok := s.authorizeID(c, "id", store.KindForm, object, action)
	if !ok {
		return store.Form{}, access, false
	}
	f, err := s.store.FormByID(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return f, access, false
	}
	return f, access, true
}

func (s *Server) getForm(c *gin.Context) {
	f, access, ok := s.authorizeForm(c, policy.Form, policy.Read)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, s.viewForm(access, f))
}

// screeningView is what a form's safety-screening questions were answered.
type screeningView struct {
	FormID        int64                 `json:"form_id"`
	Fields        []library.FormField   `json:"fields"`
	Answers       store.ResponseAnswers `json:"answers"`
	SafetyFlagged *bool                 `json:"safety_flagged,omitempty"`
}

// getScreening answers a form's safety-screening questions and answers: to the care team, and to
// the partner who wrote them, never to the other partner.
func (s *Server) getScreening(c *gin.Context) {
	f, access, ok := s.authorizeForm(c, policy.Screening, policy.Read)
	if !ok {
		return
	}
	v := s.viewForm(access, f)
	out := screeningView{FormID: f.ID, Fields: []library.FormField{}, SafetyFlagged: v.SafetyFlagged}
	var answers map[string]json.RawMessage
	if err := json.Unmarshal(f.Answers, &answers); err != nil {
		fail(c, err)
		return
	}
	screening := map[string]json.RawMessage{}
	for _, field := range f.Fields {
		if field.Screening {
			out.Fields = append(out.Fields, field)
			if answer, ok := answers[field.Key]; ok {
				screening[field.Key] = answer
			}
		}
	}
	data, err := json.Marshal(screening)
	if err != nil {
		fail(c, err)
		return
	}
	out.Answers = data
	c.JSON(http.StatusOK, out)
}

// answerForm stores the partner's answers as the action says, then answers the form as they see it.
func (s *Server) answerForm(c *gin.Context, action policy.Action, in store.FormAnswers) {
	id, access, ok := s.authorizeID(c, "id", store.KindForm, policy.Form, action)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := s.store.AnswerForm(ctx, access.PracticeID, id, in); err != nil {
		fail(c, err)
		return
	}
	f, err := s.store.FormByID(ctx, access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.viewForm(access, f))
}

// saveFormDraft keeps the partner's answers as they type; required questions may still be empty.
func (s *Server) saveFormDraft(c *gin.Context) {
	var in answersInput
	if !s.bindJSON(c, &in) {
		return
	}
	s.answerForm(c, policy.Write, store.FormAnswers{Answers: in.Answers})
}

// submitForm hands a form that takes no signature to the care team.
func (s *Server) submitForm(c *gin.Context) {
	var in submitInput
	if !s.bindJSON(c, &in) {
		return
	}
	s.answerForm(c, policy.Submit, store.FormAnswers{Answers: in.Answers, Final: true})
}

// signInput signs a consent: the partner types their name and confirms.
type signInput struct {
	// Answers, when given, replace the draft before signing.
	Answers json.RawMessage `json:"answers"`
	Name    string          `json:"name" validate:"required,max=200"`
	Confirm bool            `json:"confirm"`
}

// signForm signs a consent for the partner it was sent to. The form is frozen from then on: its
// text with the answers and the signature, the signer's typed name, the time and address, and a
// SHA-256 of the text are stored, and any later change is refused.
func (s *Server) signForm(c *gin.Context) {
	var in signInput
	if !s.bindJSON(c, &in) {
		return
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		fail(c, fault.InvalidField("name", "is required: type your name to sign"))
		return
	case !in.Confirm:
		fail(c, fault.InvalidField("confirm", "must be true: confirm that you sign"))
		return
	}
	sig := &library.Signature{Name: name, At: time.Now().UTC().Truncate(time.Microsecond), Address: c.ClientIP()}
	s.answerForm(c, policy.Sign, store.FormAnswers{Answers: in.Answers, Final: true, Signature: sig})
}

// formVisibilityInput chooses who besides the care team reads a form: only they, or the other
// partner too. A form is never private from the care team that sent it.
type formVisibilityInput struct {
	Visibility string `json:"visibility" validate:"required,oneof=therapist partner"`
}

// shareForm lets the partner choose whether their other partner reads the form too; the care team
// always does, and screening answers never go to the other partner.
func (s *Server) shareForm(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindForm, policy.Form, policy.Share)
	if !ok {
		return
	}
	var in formVisibilityInput
	if !s.bindJSON(c, &in) {
		return
	}
	ctx := c.Request.Context()
	previous, err := s.store.SetFormVisibility(ctx, access.PracticeID, id, in.Visibility)
	if err != nil {
		fail(c, err)
		return
	}
	auditChange(c, "visibility", previous, in.Visibility)
	f, err := s.store.FormByID(ctx, access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.viewForm(access, f))
}

// downloadSignedForm answers the signed copy of a consent as a PDF, to its signer and the care team.
func (s *Server) downloadSignedForm(c *gin.Context) {
	f, _, ok := s.authorizeForm(c, policy.Form, policy.Download)
	if !ok {
		return
	}
	if f.Status != store.FormSigned {
		fail(c, fault.New(fault.NotFound, "This form is not signed, so it has no signed copy."))
		return
	}
	pdf, err := signedPDF(f)
	if err != nil {
		fail(c, err)
		return
	}
	attach(c, fmt.Sprintf("signed-form-%d.pdf", f.ID), "application/pdf", pdf)
}

// attach answers content as a download named filename: never shown in the page, never sniffed,
// never cached.
func attach(c *gin.Context, filename, contentType string, content []byte) {
	c.Header("Content-Disposition", contentDisposition(filename))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Data(http.StatusOK, contentType, content)
}

// listSafetyFlags answers the couple's answers that call for the therapist's attention, forms'
// screening answers and questionnaires alike: the one safety notice of the couple page. Partners
// never see it.
func (s *Server) listSafetyFlags(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.SafetyFlag, policy.List)
	if !ok {
		return
	}
	flags, err := s.safetyFlags(c.Request.Context(), access, coupleID, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"safety_flags": flags})
}

// safetyFlags lists, newest first, the couple's handed-in forms with a flagged screening answer and
// the questionnaires the reader may open whose answers ask the care team to check on safety.
func (s *Server) safetyFlags(ctx context.Context, access store.Access, coupleID, readerID int64) ([]store.SafetyFlag, error) {
	flags, err := s.store.FormSafetyFlags(ctx, access.PracticeID, coupleID)
	if err != nil {
		return nil, err
	}
	measures, err := s.readableMeasures(ctx, access, coupleID, readerID)
	if err != nil {
		return nil, err
	}
	couple, err := s.store.CoupleByID(ctx, access.PracticeID, coupleID)
	if err != nil {
		return nil, err
	}
	for _, m := range measures {
		if !m.SafetyFlag {
			continue
		}
		q, _ := library.MeasureByKey(m.Key)
		flags = append(flags, store.SafetyFlag{Kind: store.SafetyFlagQuestionnaire, MeasureID: &m.ID, Title: q.Name,
			PartnerID: m.AuthorID, Seat: seatOf(couple.Partners, m.AuthorID), SubmittedAt: &m.TakenAt})
	}
	slices.SortStableFunc(flags, func(a, b store.SafetyFlag) int {
		return cmp.Compare(handedIn(b).UnixMicro(), handedIn(a).UnixMicro())
	})
	return flags, nil
}

// handedIn is when a flagged answer was handed in; the zero time when that is not known.
func handedIn(f store.SafetyFlag) time.Time {
	if f.SubmittedAt == nil {
		return time.Time{}
	}
	return *f.SubmittedAt
}

// seatOf is the seat a partner holds in the couple.
func seatOf(partners []store.Partner, userID int64) string {
	for _, p := range partners {
		if p.UserID == userID {
			return p.Seat
		}
	}
	return ""
}
