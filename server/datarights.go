package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// exportNotice travels with every export: it holds only what its reader may open in Amend.
const exportNotice = "This export holds what its reader can open in Amend about this couple, and nothing more: " +
	"what they cannot read in Amend is left out. Each partner exports their own writing, private items included, " +
	"and what is shared with them; the care team exports the clinical record."

// The parts of a couple's record an export may hold, in the order the printable page shows them.
const (
	sectionCouple       = "couple"
	sectionPartners     = "partners"
	sectionPlans        = "treatment_plans"
	sectionMeasures     = "measures"
	sectionCommitments  = "commitments"
	sectionCheckins     = "checkins"
	sectionExercises    = "exercises"
	sectionForms        = "forms"
	sectionDocuments    = "documents"
	sectionLiveSessions = "live_sessions"
	sectionAppointments = "appointments"
	sectionNotes        = "clinical_notes"
	sectionBilling      = "billing"
	sectionAccounts     = "accounts"
)

// CoupleRecord is what one reader may open in Amend about a couple, gathered for export. A part
// the reader may not list in the app is left out (and not named in Sections); within a part, each
// item is there only when the reader may open it in the app.
type CoupleRecord struct {
	ExportedAt time.Time    `json:"exported_at"`
	ExportedBy exportReader `json:"exported_by"`
	Notice     string       `json:"notice"`
	// Sections names the parts of the record this export holds.
	Sections []string `json:"sections"`
	// PrivateItems counts the check-ins, measures, exercise responses and documents in the export
	// marked private: only ever the reader's own.
	PrivateItems int                  `json:"private_items"`
	Couple       store.CoupleDetail   `json:"couple"`
	Partners     []store.RecordPerson `json:"partners"`
	Plans        []store.Plan         `json:"treatment_plans,omitzero"`
	Checkins     []store.Checkin      `json:"checkins,omitzero"`
	Commitments  []commitmentDetail   `json:"commitments,omitzero"`
	Measures     []store.Measure      `json:"measures,omitzero"`
	Exercises    []assignmentRecord   `json:"exercises,omitzero"`
	Forms        []formView           `json:"forms,omitzero"`
	Documents    []documentRecord     `json:"documents,omitzero"`
	Notes        []store.Note         `json:"clinical_notes,omitzero"`
	Appointments []store.Appointment  `json:"appointments,omitzero"`
	LiveSessions []liveRecord         `json:"live_sessions,omitzero"`
	// Billing is the couple's whole accounts (who pays, the ledger, balances), for the staff who bill.
	Billing *coupleBilling `json:"billing,omitempty"`
	// Accounts is each partner's statement and superbill data the reader may read: a partner only
	// their own.
	Accounts []partnerAccount `json:"accounts,omitzero"`
}

// partnerAccount is one partner's statement over all time and, when the reader may read their
// superbill, the diagnosis codes it prints (the CPT codes, dates and fees are the statement's).
type partnerAccount struct {
	PartnerID int64           `json:"partner_id"`
	Statement store.Statement `json:"statement"`
	Diagnoses []string        `json:"diagnoses,omitzero"`
}

// Includes reports whether the export holds the named part of the record.
func (r CoupleRecord) Includes(section string) bool { return slices.Contains(r.Sections, section) }

// exportReader names who an export was made for.
type exportReader struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
}

// assignmentRecord is an assignment as the reader sees it in the app, with the comments on its
// response when the reader may read them.
type assignmentRecord struct {
	assignmentView
	Comments []store.Comment `json:"comments,omitzero"`
}

// documentRecord is a document with its content (base64 in JSON).
type documentRecord struct {
	store.Document
	Content []byte `json:"content"`
}

// liveRecord is a live session with its transcript and summary, each when the reader may read it.
type liveRecord struct {
	realtime.Session
	Summary    *realtime.Summary `json:"summary,omitempty"`
	Transcript []floor.Event     `json:"transcript,omitzero"`
}

// coupleRecord gathers what the reader, standing to the couple as access says, may open of its
// record. Every part and every item is let in by the same policy decision that lets the reader
// list and open it in the app, so an export never shows more than the app does.
func (s *Server) coupleRecord(c *gin.Context, access store.Access, coupleID int64) (CoupleRecord, error) {
	ctx := c.Request.Context()
	reader := mustCaller(c).User
	now := time.Now().UTC()
	r := CoupleRecord{ExportedAt: now, ExportedBy: exportReader{UserID: reader.ID, Name: reader.Name}, Notice: exportNotice}
	may := func(object policy.Object, action policy.Action) bool { return s.allows(access, object, action) }
	if !may(policy.Couple, policy.Read) {
		return r, fault.ErrNotFound
	}
	var err error
	if r.Couple, err = s.store.CoupleByID(ctx, access.PracticeID, coupleID); err != nil {
		return r, err
	}
	if r.Partners, err = s.recordPartners(ctx, reader.ID, access.PracticeID, coupleID); err != nil {
		return r, err
	}
	r.Sections = []string{sectionCouple, sectionPartners}
	include := func(section string) { r.Sections = append(r.Sections, section) }

	if may(policy.TreatmentPlan, policy.List) {
		if r.Plans, err = s.readablePlans(ctx, access, coupleID, reader.ID); err != nil {
			return r, err
		}
		include(sectionPlans)
	}
	if may(policy.Measure, policy.List) {
		if r.Measures, err = s.readableMeasures(ctx, access, coupleID, reader.ID); err != nil {
			return r, err
		}
		include(sectionMeasures)
	}
	if may(policy.Commitment, policy.List) {
		if r.Commitments, err = s.commitmentRecords(ctx, access.PracticeID, coupleID); err != nil {
			return r, err
		}
		include(sectionCommitments)
	}
	if may(policy.Checkin, policy.List) {
		if r.Checkins, err = s.readableCheckins(ctx, access, coupleID, reader.ID); err != nil {
			return r, err
		}
		include(sectionCheckins)
	}
	if may(policy.Assignment, policy.List) {
		if r.Exercises, err = s.assignmentRecords(ctx, access, coupleID, reader.ID); err != nil {
			return r, err
		}
		include(sectionExercises)
	}
	if may(policy.Form, policy.List) {
		if r.Forms, err = s.readableForms(ctx, access, coupleID, reader.ID); err != nil {
			return r, err
		}
		include(sectionForms)
	}
	if may(policy.Document, policy.List) {
		if r.Documents, err = s.documentRecords(ctx, access, coupleID, reader.ID); err != nil {
			return r, err
		}
		include(sectionDocuments)
	}
	if may(policy.LiveSession, policy.List) {
		if r.LiveSessions, err = s.liveRecords(ctx, access, coupleID, now); err != nil {
			return r, err
		}
		include(sectionLiveSessions)
	}
	if may(policy.Appointment, policy.List) {
		appointments, err := s.store.CoupleAppointments(ctx, access.PracticeID, coupleID, store.AppointmentFilter{IncludeCancelled: true})
		if err != nil {
			return r, err
		}
		r.Appointments = s.shownAppointments(access, appointments)
		include(sectionAppointments)
	}
	if may(policy.Note, policy.List) {
		if r.Notes, err = s.noteRecords(ctx, access, coupleID, reader.ID); err != nil {
			return r, err
		}
		include(sectionNotes)
	}
	if may("billing", "read") {
		if r.Billing, err = s.coupleAccounts(ctx, access.PracticeID, coupleID); err != nil {
			return r, err
		}
		include(sectionBilling)
	}
	if r.Accounts, err = s.partnerAccounts(ctx, reader.ID, access.PracticeID, r.Partners); err != nil {
		return r, err
	}
	if len(r.Accounts) > 0 {
		include(sectionAccounts)
	}
	r.PrivateItems = countPrivate(r)
	return r, nil
}

// partnerAccounts returns the statement of each partner whose statement the reader may read,
// decided on the partner's client record as for the statement's own route.
func (s *Server) partnerAccounts(ctx context.Context, readerID, practiceID int64, partners []store.RecordPerson) ([]partnerAccount, error) {
	out := []partnerAccount{}
	for _, p := range partners {
		access, err := s.store.Resolve(ctx, readerID, store.Ref{Kind: store.KindClient, ID: p.UserID, PracticeID: practiceID})
		if err != nil {
			return nil, err
		}
		if !s.allows(access, "statement", "read") {
			continue
		}
		account := partnerAccount{PartnerID: p.UserID}
		if account.Statement, err = s.store.StatementOf(ctx, practiceID, store.StatementScope{PayerID: p.UserID}, allTimeFrom, allTimeTo); err != nil {
			return nil, err
		}
		if s.allows(access, "superbill", "read") {
			facts, err := s.store.SuperbillFactsOf(ctx, practiceID, p.UserID)
			if err != nil {
				return nil, err
			}
			account.Diagnoses = facts.Diagnoses
		}
		out = append(out, account)
	}
	return out, nil
}

// allTimeFrom and allTimeTo bound a statement over all of a record's time.
const (
	allTimeFrom = "1900-01-01"
	allTimeTo   = "9999-12-31"
)

// recordPartners returns the couple's partners, each with their email only when the reader may
// read that partner's membership in the app.
func (s *Server) recordPartners(ctx context.Context, readerID, practiceID, coupleID int64) ([]store.RecordPerson, error) {
	partners, err := s.store.RecordPeople(ctx, practiceID, coupleID)
	if err != nil {
		return nil, err
	}
	for i, p := range partners {
		member, err := s.store.Resolve(ctx, readerID, store.Ref{Kind: store.KindMember, ID: p.UserID, PracticeID: practiceID})
		if err != nil {
			return nil, err
		}
		if !s.allows(member, policy.Member, policy.Read) {
			partners[i].Email = ""
		}
	}
	return partners, nil
}

// commitmentRecords returns the couple's commitments with every recorded period. Commitments are
// shared with the whole couple and its care team, so whoever may list them reads each.
func (s *Server) commitmentRecords(ctx context.Context, practiceID, coupleID int64) ([]commitmentDetail, error) {
	commitments, err := s.store.Commitments(ctx, practiceID, coupleID)
	if err != nil {
		return nil, err
	}
	out := make([]commitmentDetail, 0, len(commitments))
	for _, m := range commitments {
		checks, err := s.store.CommitmentChecks(ctx, practiceID, m.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, commitmentDetail{Commitment: m, Checks: checks})
	}
	return out, nil
}

// assignmentRecords returns the assignments the reader may open, with the responses and comments
// they may read.
func (s *Server) assignmentRecords(ctx context.Context, access store.Access, coupleID, readerID int64) ([]assignmentRecord, error) {
	views, err := s.readableAssignments(ctx, access, coupleID, readerID)
	if err != nil {
		return nil, err
	}
	out := make([]assignmentRecord, len(views))
	for i, view := range views {
		out[i].assignmentView = view
		if s.allows(relating(access, view.ResponseRelation), policy.Comment, policy.List) {
			if out[i].Comments, err = s.store.Comments(ctx, access.PracticeID, view.ID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// documentRecords returns the documents the reader may open, each with its content.
func (s *Server) documentRecords(ctx context.Context, access store.Access, coupleID, readerID int64) ([]documentRecord, error) {
	documents, err := s.readableDocuments(ctx, access, coupleID, readerID)
	if err != nil {
		return nil, err
	}
	out := make([]documentRecord, len(documents))
	for i, d := range documents {
		out[i].Document = d
		if out[i].Content, err = s.store.DocumentContent(ctx, access.PracticeID, d.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// noteRecords returns the notes the reader may open, each with its addenda.
func (s *Server) noteRecords(ctx context.Context, access store.Access, coupleID, readerID int64) ([]store.Note, error) {
	notes, err := s.readableNotes(ctx, access, coupleID, readerID, nil)
	if err != nil {
		return nil, err
	}
	for i, n := range notes {
		if notes[i], err = s.store.NoteByID(ctx, access.PracticeID, n.ID); err != nil {
			return nil, err
		}
	}
	return notes, nil
}

// liveRecords returns the couple's live sessions with the whole transcript and the summary as of
// now, each when the reader may read it. A session's relation is its couple's, so the couple's
// access decides.
func (s *Server) liveRecords(ctx context.Context, access store.Access, coupleID int64, now time.Time) ([]liveRecord, error) {
	sessions, err := s.liveLog.Sessions(ctx, access.PracticeID, coupleID)
	if err != nil {
		return nil, err
	}
	out := []liveRecord{}
	if !s.allows(access, policy.LiveSession, policy.Read) {
		return out, nil
	}
	for _, session := range sessions {
		record := liveRecord{Session: session}
		if s.allows(access, policy.LiveSession, policy.Summary) {
			summary := session.Summarize(now)
			record.Summary = &summary
		}
		if s.allows(access, policy.LiveSession, policy.Transcript) {
			if record.Transcript, err = s.wholeTranscript(ctx, access.PracticeID, session.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, record)
	}
	return out, nil
}

// wholeTranscript reads a session's transcript from its first event, a page at a time.
func (s *Server) wholeTranscript(ctx context.Context, practiceID, sessionID int64) ([]floor.Event, error) {
	out := []floor.Event{}
	var after int64
	for {
		page, err := s.liveLog.Transcript(ctx, practiceID, sessionID, after, transcriptMaxLimit)
		if err != nil {
			return nil, err
		}
		for _, stored := range page {
			event, err := stored.Event()
			if err != nil {
				return nil, fmt.Errorf("transcript of live session %d: %w", sessionID, err)
			}
			out = append(out, event)
			after = stored.Seq
		}
		if len(page) < transcriptMaxLimit {
			return out, nil
		}
	}
}

// countPrivate counts the record's items marked private.
func countPrivate(r CoupleRecord) int {
	n := 0
	for _, k := range r.Checkins {
		if k.Visibility == store.VisibilityPrivate {
			n++
		}
	}
	for _, m := range r.Measures {
		if m.Visibility == store.VisibilityPrivate {
			n++
		}
	}
	for _, a := range r.Exercises {
		if a.Response != nil && a.Response.Visibility == store.VisibilityPrivate {
			n++
		}
	}
	for _, d := range r.Documents {
		if d.Visibility == store.VisibilityPrivate {
			n++
		}
	}
	return n
}

// exportCouple answers what the caller may open of the couple's record as a JSON download.
func (s *Server) exportCouple(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Couple, policy.Export)
	if !ok {
		return
	}
	r, err := s.coupleRecord(c, access, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="couple-%d-record.json"`, coupleID))
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, r)
}

// exportCoupleHTML answers a printable page of what the caller may open of the couple's record.
func (s *Server) exportCoupleHTML(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Couple, policy.Export)
	if !ok {
		return
	}
	r, err := s.coupleRecord(c, access, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	var page bytes.Buffer
	if err := summaryPage.Execute(&page, newSummary(r)); err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Security-Policy", "default-src 'none'; style-src '"+summaryStyleHash+"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/html; charset=utf-8", page.Bytes())
}

type eraseInput struct {
	// Confirm must repeat the couple's label, so a slip of the mouse erases nothing.
	Confirm string `json:"confirm" validate:"required"`
}

// eraseCouple deletes the couple and everything recorded about them. The audit log keeps that it
// happened, who did it and when — and no content.
func (s *Server) eraseCouple(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Couple, policy.Erase)
	if !ok {
		return
	}
	var in eraseInput
	if !s.bindJSON(c, &in) {
		return
	}
	ctx := c.Request.Context()
	couple, err := s.store.CoupleByID(ctx, access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	if strings.TrimSpace(in.Confirm) != couple.Label {
		fail(c, fault.InvalidField("confirm", "must repeat the couple's label exactly"))
		return
	}
	erasure, err := s.store.EraseCouple(ctx, access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, erasure)
}

// summary is what the printable page shows.
type summary struct {
	CoupleRecord
	Concerns  []string
	Names     map[int64]string
	Partners  []partnerSummary
	Questions map[string]library.Measure
}

type partnerSummary struct {
	store.RecordPerson
	Checkins      int
	AverageTrust  string
	AverageSafety string
	Commitments   KeptTally
}

func newSummary(r CoupleRecord) summary {
	sum := summary{CoupleRecord: r, Names: map[int64]string{}, Questions: map[string]library.Measure{}}
	for _, concern := range r.Couple.Concerns {
		label := library.ConcernLabel(concern)
		if label == "" {
			label = concern
		}
		sum.Concerns = append(sum.Concerns, label)
	}
	for _, t := range r.Couple.CareTeam {
		sum.Names[t.UserID] = t.Name
	}
	list := make([]store.Commitment, len(r.Commitments))
	for i, m := range r.Commitments {
		list[i] = m.Commitment
	}
	_, tallies := tallyCommitments(list)
	for _, p := range r.Partners {
		sum.Names[p.UserID] = p.Name
		ps := partnerSummary{RecordPerson: p}
		trust, safety := 0, 0
		for _, k := range r.Checkins {
			if k.AuthorID == p.UserID {
				ps.Checkins++
				trust += k.Trust
				safety += k.Safety
			}
		}
		if ps.Checkins > 0 {
			ps.AverageTrust = fmt.Sprintf("%.1f", float64(trust)/float64(ps.Checkins))
			ps.AverageSafety = fmt.Sprintf("%.1f", float64(safety)/float64(ps.Checkins))
		}
		for _, t := range tallies {
			if t.UserID == p.UserID {
				ps.Commitments = t.KeptTally
			}
		}
		sum.Partners = append(sum.Partners, ps)
	}
	for _, m := range library.Measures() {
		sum.Questions[m.Key] = m
	}
	return sum
}

const summaryStyle = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#111}
h1{font-size:1.5rem}h2{font-size:1.15rem;border-bottom:1px solid #999;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}
.notice{border:2px solid #111;padding:.5rem 1rem}.private{font-weight:bold}pre{white-space:pre-wrap;font:inherit;margin:0}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}`

var summaryStyleHash = func() string {
	sum := sha256.Sum256([]byte(summaryStyle))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

// answerLine is one answer of a response as the printable page shows it.
type answerLine struct {
	Field string
	Text  string
}

// answerLines lays a response's answers out field by field, in field-name order.
func answerLines(answers store.ResponseAnswers) ([]answerLine, error) {
	data, err := answers.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var byField map[string]any
	if err := json.Unmarshal(data, &byField); err != nil {
		return nil, fmt.Errorf("answers of the export: %w", err)
	}
	out := make([]answerLine, 0, len(byField))
	for _, field := range slices.Sorted(maps.Keys(byField)) {
		text := fmt.Sprint(byField[field])
		if list, ok := byField[field].([]any); ok {
			items := make([]string, len(list))
			for i, item := range list {
				items[i] = fmt.Sprint(item)
			}
			text = strings.Join(items, "\n")
		}
		out = append(out, answerLine{Field: field, Text: text})
	}
	return out, nil
}

var summaryPage = template.Must(template.New("summary").Funcs(template.FuncMap{
	"day":             func(t time.Time) string { return t.Format("2006-01-02") },
	"when":            func(t time.Time) string { return t.Format("2006-01-02 15:04 MST") },
	"answers":         answerLines,
	"deref":           func(id *int64) int64 { return *id },
	"sectionsInOrder": sectionsInOrder,
	"percent": func(rate *float64) string {
		if rate == nil {
			return "—"
		}
		return fmt.Sprintf("%.0f%%", *rate*100)
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Record of {{.Couple.Label}}</title>
<style>` + summaryStyle + `</style></head><body>
<h1>Record of {{.Couple.Label}}</h1>
<p>Exported {{when .ExportedAt}} for {{.ExportedBy.Name}}. Status: {{.Couple.Status}}. Client since {{day .Couple.CreatedAt}}.
{{if .Concerns}}Concerns: {{range $i, $c := .Concerns}}{{if $i}}, {{end}}{{$c}}{{end}}.{{end}}</p>
<p class="notice">{{.Notice}}{{if .PrivateItems}} Items marked private in this export: {{.PrivateItems}}. They are the reader's own writing, which nobody else reads in Amend.{{end}}</p>

<h2>People</h2>
<table><tr><th>Seat</th><th>Partner</th><th>Email</th>{{if .Includes "checkins"}}<th>Check-ins</th><th>Average trust</th><th>Average safety</th>{{end}}{{if .Includes "commitments"}}<th>Commitments kept</th>{{end}}</tr>
{{range .Partners}}<tr><td>{{.Seat}}</td><td>{{.Name}}</td><td>{{or .Email "—"}}</td>{{if $.Includes "checkins"}}<td>{{.Checkins}}</td><td>{{or .AverageTrust "—"}}</td>
<td>{{or .AverageSafety "—"}}</td>{{end}}{{if $.Includes "commitments"}}<td>{{.Commitments.Kept}} kept, {{.Commitments.Missed}} missed ({{percent .Commitments.KeptRate}})</td>{{end}}</tr>
{{end}}</table>
<p>Care team: {{range $i, $t := .Couple.CareTeam}}{{if $i}}, {{end}}{{$t.Name}}{{else}}none{{end}}.</p>

{{if .Includes "treatment_plans"}}<h2>Treatment plan</h2>
{{range .Plans}}<h3>Version {{.Version}}: {{if .SignedAt}}signed {{when .SignedAt}}{{with .SignedBy}} by {{index $.Names (deref .)}}{{end}}{{if .Current}} (current){{end}}{{else}}draft{{end}}</h3>
{{with .Content}}<table>
<tr><th>Problems</th><td>{{range .Problems}}<pre>{{.}}</pre>{{else}}—{{end}}</td></tr>
{{range .Goals}}<tr><th>Goal{{with .TargetOn}} (target {{.}}){{end}}</th><td><pre>{{.Text}}</pre>
{{range .Objectives}}<p>Objective{{with .TargetOn}} (target {{.}}){{end}}: {{.Text}}{{with .Measure}}. Measured by: {{.}}{{end}}</p>{{end}}
{{range .Interventions}}<p>Intervention: {{.}}</p>{{end}}</td></tr>{{end}}
<tr><th>Review on</th><td>{{with .ReviewOn}}{{.}}{{else}}—{{end}}</td></tr>
<tr><th>Reviewed with the couple</th><td>{{with .ReviewedWithCoupleOn}}{{.}}{{else}}—{{end}}</td></tr></table>{{end}}
{{range .Acknowledgements}}<p>Acknowledged by {{index $.Names .UserID}} {{when .AcknowledgedAt}}.</p>{{end}}
{{else}}<p>None.</p>{{end}}{{end}}

{{if .Includes "measures"}}<h2>Questionnaires</h2>
{{if .Measures}}<table><tr><th>Taken</th><th>Partner</th><th>Questionnaire</th><th>Score</th><th>Below cut-off</th><th>Severity</th><th>Visibility</th></tr>
{{range .Measures}}<tr><td>{{day .TakenAt}}</td><td>{{index $.Names .AuthorID}}</td><td>{{(index $.Questions .Key).Name}}</td>
<td>{{.Score}}</td><td>{{if .BelowCutoff}}yes{{else}}no{{end}}</td><td>{{or .Band "—"}}</td><td{{if eq .Visibility "private"}} class="private"{{end}}>{{.Visibility}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}{{end}}

{{if .Includes "commitments"}}<h2>Commitments</h2>
{{if .Commitments}}<table><tr><th>Partner</th><th>Commitment</th><th>Cadence</th><th>From</th><th>Kept</th><th>Missed</th><th>Kept rate</th></tr>
{{range .Commitments}}<tr><td>{{index $.Names .AuthorID}}</td><td>{{.Text}}</td><td>{{.Cadence}}</td>
<td>{{.StartsOn}}{{with .EndedOn}} to {{.}}{{end}}</td><td>{{.Kept}}</td><td>{{.Missed}}</td><td>{{percent .KeptRate}}</td></tr>
{{range .Checks}}{{if .Note}}<tr><td></td><td colspan="6">{{.PeriodStart}}: {{.Status}}. <pre>{{.Note}}</pre></td></tr>{{end}}{{end}}
{{end}}</table>{{else}}<p>None.</p>{{end}}{{end}}

{{if .Includes "checkins"}}<h2>Daily check-ins</h2>
{{if .Checkins}}<table><tr><th>Day</th><th>Partner</th><th>Trust</th><th>Safety</th><th>Feeling</th><th>Note</th><th>Visibility</th></tr>
{{range .Checkins}}<tr><td>{{.Day}}</td><td>{{index $.Names .AuthorID}}</td><td>{{.Trust}}</td><td>{{.Safety}}</td><td>{{.Feeling}}</td>
<td><pre>{{.Note}}</pre></td><td{{if eq .Visibility "private"}} class="private"{{end}}>{{.Visibility}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}{{end}}

{{if .Includes "exercises"}}<h2>Exercises</h2>
{{range .Exercises}}<h3>{{.ExerciseTitle}}, for {{index $.Names .AssigneeID}}: {{.Status}}{{with .DueOn}}, due {{.}}{{end}}</h3>
{{with .Note}}<p>Note with the assignment:</p><pre>{{.}}</pre>{{end}}
{{with .Response}}<table><tr><th>Visibility</th><td{{if eq .Visibility "private"}} class="private"{{end}}>{{.Visibility}}</td></tr>
{{range answers .Answers}}<tr><th>{{.Field}}</th><td><pre>{{.Text}}</pre></td></tr>{{end}}</table>
{{else}}<p>The answers are not shared with the reader.</p>{{end}}
{{with .Feedback}}<p>Feedback:</p><pre>{{.}}</pre>{{end}}
{{range .Comments}}<p>Comment {{when .CreatedAt}} by {{.AuthorName}}:</p><pre>{{.Body}}</pre>{{end}}
{{else}}<p>None.</p>{{end}}{{end}}

{{if .Includes "forms"}}<h2>Forms</h2>
{{range .Forms}}<h3>{{.Title}}, for {{index $.Names .AssigneeID}}: {{.Status}}{{with .SignedAt}}, signed {{when .}}{{end}}</h3>
<table><tr><th>Visibility</th><td>{{.Visibility}}</td></tr>
{{with .SignedName}}<tr><th>Signed as</th><td>{{.}}</td></tr>{{end}}
{{if .DocumentSHA256}}<tr><th>SHA-256 of the signed text</th><td>{{.DocumentSHA256.String}}</td></tr>{{end}}
{{range answers .Answers}}<tr><th>{{.Field}}</th><td><pre>{{.Text}}</pre></td></tr>{{end}}</table>
{{else}}<p>None.</p>{{end}}{{end}}

{{if .Includes "documents"}}<h2>Documents</h2>
{{if .Documents}}<table><tr><th>Added</th><th>By</th><th>Name</th><th>Type</th><th>Size (bytes)</th><th>SHA-256</th><th>Visibility</th></tr>
{{range .Documents}}<tr><td>{{when .CreatedAt}}</td><td>{{index $.Names .AuthorID}}</td><td>{{.Name}}</td><td>{{.ContentType}}</td><td>{{.Size}}</td>
<td>{{.SHA256.String}}</td><td{{if eq .Visibility "private"}} class="private"{{end}}>{{.Visibility}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}{{end}}

{{if .Includes "live_sessions"}}<h2>Live sessions</h2>
{{range .LiveSessions}}<h3>Live session of {{when .CreatedAt}}: {{.Status}}</h3>
{{with .Summary}}<table><tr><th></th><th>Seat a</th><th>Seat b</th></tr>
<tr><th>Talk time (seconds)</th><td>{{.TalkSeconds.A}}</td><td>{{.TalkSeconds.B}}</td></tr>
<tr><th>Things said</th><td>{{.Utterances.A}}</td><td>{{.Utterances.B}}</td></tr>
<tr><th>Blocked interruptions</th><td>{{.Blocked.A}}</td><td>{{.Blocked.B}}</td></tr></table>{{end}}
{{if .Transcript}}<table><tr><th>At</th><th>Who</th><th>Event</th><th>Said</th></tr>
{{range .Transcript}}<tr><td>{{when .At}}</td><td>{{index $.Names .Actor.UserID}}</td><td>{{.Type}}</td><td><pre>{{.Text}}</pre></td></tr>
{{end}}</table>{{else}}<p>No transcript.</p>{{end}}
{{else}}<p>None.</p>{{end}}{{end}}

{{if .Includes "appointments"}}<h2>Appointments</h2>
{{if .Appointments}}<table><tr><th>Starts</th><th>Ends</th><th>Therapist</th><th>Status</th></tr>
{{range .Appointments}}<tr><td>{{when .StartsAt}}</td><td>{{when .EndsAt}}</td><td>{{index $.Names .TherapistID}}</td><td>{{.Status}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}{{end}}

{{if .Includes "clinical_notes"}}<h2>Clinical notes</h2>
{{range .Notes}}<h3>{{day .CreatedAt}}, {{.Template}} note by {{index $.Names .AuthorID}}{{if .SignedAt}}, signed {{when .SignedAt}}{{else}}, unsigned draft{{end}}</h3>
<table>{{range sectionsInOrder .Template .Sections}}<tr><th>{{.Label}}</th><td><pre>{{.Text}}</pre></td></tr>{{end}}</table>
{{range .Addenda}}<p>Addendum {{when .CreatedAt}} by {{index $.Names .AuthorID}}:</p><pre>{{.Text}}</pre>{{end}}
{{else}}<p>None.</p>{{end}}{{end}}
</body></html>
`))
