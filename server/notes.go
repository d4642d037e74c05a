package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// NoteTemplate is a structured clinical note form: its sections, in order.
type NoteTemplate struct {
	Key      string        `json:"key"`
	Name     string        `json:"name"`
	Sections []NoteSection `json:"sections"`
}

// NoteSection is one heading of a note template.
type NoteSection struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Help  string `json:"help"`
}

// noteTemplates are the two common progress-note formats.
var noteTemplates = []NoteTemplate{
	{Key: "soap", Name: "SOAP", Sections: []NoteSection{
		{"subjective", "Subjective", "What the partners reported, in their words where it matters."},
		{"objective", "Objective", "What you observed in the session: affect, interaction, measures."},
		{"assessment", "Assessment", "Your clinical reading of where the couple stands."},
		{"plan", "Plan", "Next steps, assignments and the focus of the next session."},
	}},
	{Key: "dap", Name: "DAP", Sections: []NoteSection{
		{"data", "Data", "What was said and observed in the session."},
		{"assessment", "Assessment", "Your clinical reading of where the couple stands."},
		{"plan", "Plan", "Next steps, assignments and the focus of the next session."},
	}},
}

const maxSectionLength = 20000

func noteTemplate(key string) (NoteTemplate, bool) {
	i := slices.IndexFunc(noteTemplates, func(t NoteTemplate) bool { return t.Key == key })
	if i < 0 {
		return NoteTemplate{}, false
	}
	return noteTemplates[i], true
}

// LabelledSection is one written section of a note, under its template's label.
type LabelledSection struct {
	Label string
	Text  string
}

// sectionsInOrder lists a note's written sections in its template's order, under their labels;
// a section the template does not know (never accepted, but read defensively) follows under its key.
func sectionsInOrder(templateKey string, sections map[string]string) []LabelledSection {
	t, _ := noteTemplate(templateKey)
	out := make([]LabelledSection, 0, len(sections))
	for _, sec := range t.Sections {
		if text, ok := sections[sec.Key]; ok {
			out = append(out, LabelledSection{Label: sec.Label, Text: text})
		}
	}
	var unknown []string
	for key := range sections {
		if !slices.ContainsFunc(t.Sections, func(sec NoteSection) bool { return sec.Key == key }) {
			unknown = append(unknown, key)
		}
	}
	slices.Sort(unknown)
	for _, key := range unknown {
		out = append(out, LabelledSection{Label: key, Text: sections[key]})
	}
	return out
}

// checkSections accepts only the template's sections, each within the length limit; when
// complete is set, every section must be written (a note is signed only when complete).
func checkSections(templateKey string, sections map[string]string, complete bool) error {
	t, ok := noteTemplate(templateKey)
	if !ok {
		return fault.InvalidField("template", "must be one of: soap, dap")
	}
	for key, text := range sections {
		if !slices.ContainsFunc(t.Sections, func(sec NoteSection) bool { return sec.Key == key }) {
			return fault.InvalidField("sections."+key, "is not a section of the "+t.Name+" template")
		}
		if len([]rune(text)) > maxSectionLength {
			return fault.InvalidField("sections."+key, "must be at most "+strconv.Itoa(maxSectionLength)+" characters")
		}
	}
	if complete {
		for _, sec := range t.Sections {
			if strings.TrimSpace(sections[sec.Key]) == "" {
				return &fault.Error{Code: fault.Invalid, Field: "sections." + sec.Key,
					Message: "Write the " + strings.ToLower(sec.Label) + " before signing."}
			}
		}
	}
	return nil
}

func (s *Server) listNoteTemplates(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"templates": noteTemplates})
}

type noteInput struct {
	Template      string            `json:"template" validate:"required,oneof=soap dap"`
	LiveSessionID *int64            `json:"live_session_id" validate:"omitempty,gte=1"`
	AppointmentID *int64            `json:"appointment_id" validate:"omitempty,gte=1"`
	Sections      map[string]string `json:"sections"`
}

// createNote starts a draft note on a couple, optionally about one live session.
func (s *Server) createNote(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Note, policy.Create)
	if !ok {
		return
	}
	var in noteInput
	if !s.bindJSON(c, &in) {
		return
	}
	if in.Sections == nil {
		in.Sections = map[string]string{}
	}
	if err := checkSections(in.Template, in.Sections, false); err != nil {
		fail(c, err)
		return
	}
	n, err := s.store.CreateNote(c.Request.Context(), store.NewNote{PracticeID: access.PracticeID, CoupleID: coupleID,
		LiveSessionID: in.LiveSessionID, AppointmentID: in.AppointmentID, AuthorID: mustCaller(c).User.ID, Template: in.Template, Sections: in.Sections})
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, n.ID)
	c.JSON(http.StatusCreated, n)
}

// listNotes answers a couple's notes the caller may read, newest first; live_session_id narrows
// them to one live session.
func (s *Server) listNotes(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Note, policy.List)
	if !ok {
		return
	}
	var session *int64
	if v := c.Query("live_session_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			fail(c, fault.InvalidField("live_session_id", "must be a positive whole number"))
			return
		}
		session = &id
	}
	notes, err := s.readableNotes(c.Request.Context(), access, coupleID, mustCaller(c).User.ID, session)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"notes": notes})
}

// readableNotes returns the couple's notes, newest first, that the reader may open; a live
// session id narrows them to that session.
func (s *Server) readableNotes(ctx context.Context, access store.Access, coupleID, readerID int64, liveSessionID *int64) ([]store.Note, error) {
	all, err := s.store.Notes(ctx, access.PracticeID, coupleID, readerID, liveSessionID)
	if err != nil {
		return nil, err
	}
	return readable(s, access, policy.Note, all, func(n store.Note) string { return n.Relation }), nil
}

func (s *Server) getNote(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindNote, policy.Note, policy.Read)
	if !ok {
		return
	}
	n, err := s.store.NoteByID(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, n)
}

type notePatch struct {
	Sections map[string]string `json:"sections" validate:"required"`
}

// updateNote replaces a draft's sections; a signed note answers 409.
func (s *Server) updateNote(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindNote, policy.Note, policy.Update)
	if !ok {
		return
	}
	var in notePatch
	if !s.bindJSON(c, &in) {
		return
	}
	n, err := s.store.UpdateNote(c.Request.Context(), access.PracticeID, id, in.Sections, func(template string, _ store.Sections) error {
		return checkSections(template, in.Sections, false)
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, n)
}

// signNote locks a complete note.
func (s *Server) signNote(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindNote, policy.Note, policy.Sign)
	if !ok {
		return
	}
	n, err := s.store.SignNote(c.Request.Context(), access.PracticeID, id, func(template string, sections store.Sections) error {
		return checkSections(template, sections, true)
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, n)
}

type addendumInput struct {
	Text string `json:"text" validate:"required,max=10000"`
}

// addNoteAddendum appends a later change to a signed note.
func (s *Server) addNoteAddendum(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindNote, policy.Note, policy.Addend)
	if !ok {
		return
	}
	var in addendumInput
	if !s.bindJSON(c, &in) {
		return
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		fail(c, fault.InvalidField("text", "is required"))
		return
	}
	a, err := s.store.AddAddendum(c.Request.Context(), access.PracticeID, id, mustCaller(c).User.ID, text)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, a)
}
