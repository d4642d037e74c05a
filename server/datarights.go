package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// exportNotice travels with every export: it is the couple's complete record, private writing included.
const exportNotice = "This is the couple's complete record, exported for a data-access request. It includes items " +
	"their authors kept private (visibility \"private\"), which the other partner and the care team never see in Amend: " +
	"hand each partner's private items to that partner only."

// CoupleRecord is everything Amend holds about a couple.
type CoupleRecord struct {
	ExportedAt time.Time `json:"exported_at"`
	Notice     string    `json:"notice"`
	// PrivateItems counts the check-ins, measures and exercise responses marked private.
	PrivateItems int                  `json:"private_items"`
	Couple       store.CoupleDetail   `json:"couple"`
	Partners     []store.RecordPerson `json:"partners"`
	Checkins     []store.Checkin      `json:"checkins"`
	Commitments  []commitmentDetail   `json:"commitments"`
	Measures     []store.Measure      `json:"measures"`
	Exercises    store.ExerciseRecord `json:"exercises"`
	Notes        []store.Note         `json:"clinical_notes"`
	Appointments []store.Appointment  `json:"appointments"`
}

// coupleRecord gathers a couple's record for export.
func (s *Server) coupleRecord(c *gin.Context, practiceID, coupleID int64) (CoupleRecord, error) {
	ctx := c.Request.Context()
	r := CoupleRecord{ExportedAt: time.Now().UTC(), Notice: exportNotice, Commitments: []commitmentDetail{}}
	var err error
	if r.Couple, err = s.store.CoupleByID(ctx, practiceID, coupleID); err != nil {
		return r, err
	}
	if r.Partners, err = s.store.RecordPeople(ctx, practiceID, coupleID); err != nil {
		return r, err
	}
	// The reader id 0 is nobody: relations are not used, the export holds every row.
	if r.Checkins, err = s.store.Checkins(ctx, practiceID, coupleID, 0); err != nil {
		return r, err
	}
	commitments, err := s.store.Commitments(ctx, practiceID, coupleID)
	if err != nil {
		return r, err
	}
	for _, m := range commitments {
		checks, err := s.store.CommitmentChecks(ctx, practiceID, m.ID)
		if err != nil {
			return r, err
		}
		r.Commitments = append(r.Commitments, commitmentDetail{Commitment: m, Checks: checks})
	}
	if r.Measures, err = s.store.Measures(ctx, practiceID, coupleID, 0); err != nil {
		return r, err
	}
	for i := range r.Measures {
		r.Measures[i] = withCutoff(r.Measures[i])
	}
	if r.Exercises, err = s.store.CoupleExerciseRecord(ctx, practiceID, coupleID); err != nil {
		return r, err
	}
	notes, err := s.store.Notes(ctx, practiceID, coupleID, 0, nil)
	if err != nil {
		return r, err
	}
	for _, n := range notes {
		full, err := s.store.NoteByID(ctx, practiceID, n.ID)
		if err != nil {
			return r, err
		}
		r.Notes = append(r.Notes, full)
	}
	if r.Notes == nil {
		r.Notes = []store.Note{}
	}
	appointments, err := s.store.CoupleAppointments(ctx, practiceID, coupleID, store.AppointmentFilter{IncludeCancelled: true})
	if err != nil {
		return r, err
	}
	r.Appointments = inZones(appointments)
	r.PrivateItems, err = countPrivate(r)
	return r, err
}

// countPrivate counts the record's items marked private.
func countPrivate(r CoupleRecord) (int, error) {
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
	var responses []struct {
		Visibility string `json:"visibility"`
	}
	if err := json.Unmarshal(r.Exercises.Responses, &responses); err != nil {
		return 0, fmt.Errorf("read responses of the export: %w", err)
	}
	for _, resp := range responses {
		if resp.Visibility == store.VisibilityPrivate {
			n++
		}
	}
	return n, nil
}

// exportCouple answers the couple's complete record as a JSON download.
func (s *Server) exportCouple(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", "couple", "couple", "export")
	if !ok {
		return
	}
	r, err := s.coupleRecord(c, access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="couple-%d-record.json"`, coupleID))
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, r)
}

// exportCoupleHTML answers a printable summary of the couple's record.
func (s *Server) exportCoupleHTML(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", "couple", "couple", "export")
	if !ok {
		return
	}
	r, err := s.coupleRecord(c, access.PracticeID, coupleID)
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
	coupleID, access, ok := s.authorizeID(c, "id", "couple", "couple", "erase")
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
		fail(c, store.Invalid("confirm", "must repeat the couple's label exactly"))
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

var summaryPage = template.Must(template.New("summary").Funcs(template.FuncMap{
	"day":  func(t time.Time) string { return t.Format("2006-01-02") },
	"when": func(t time.Time) string { return t.Format("2006-01-02 15:04 MST") },
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
<p>Exported {{when .ExportedAt}}. Status: {{.Couple.Status}}. Client since {{day .Couple.CreatedAt}}.
{{if .Concerns}}Concerns: {{range $i, $c := .Concerns}}{{if $i}}, {{end}}{{$c}}{{end}}.{{end}}</p>
<p class="notice">{{.Notice}} Private items in this record: {{.PrivateItems}}.</p>

<h2>People</h2>
<table><tr><th>Seat</th><th>Partner</th><th>Email</th><th>Check-ins</th><th>Average trust</th><th>Average safety</th><th>Commitments kept</th></tr>
{{range .Partners}}<tr><td>{{.Seat}}</td><td>{{.Name}}</td><td>{{.Email}}</td><td>{{.Checkins}}</td><td>{{or .AverageTrust "—"}}</td>
<td>{{or .AverageSafety "—"}}</td><td>{{.Commitments.Kept}} kept, {{.Commitments.Missed}} missed ({{percent .Commitments.KeptRate}})</td></tr>
{{end}}</table>
<p>Care team: {{range $i, $t := .Couple.CareTeam}}{{if $i}}, {{end}}{{$t.Name}}{{else}}none{{end}}.</p>

<h2>Questionnaires</h2>
{{if .Measures}}<table><tr><th>Taken</th><th>Partner</th><th>Questionnaire</th><th>Score</th><th>Below cut-off</th><th>Visibility</th></tr>
{{range .Measures}}<tr><td>{{day .TakenAt}}</td><td>{{index $.Names .AuthorID}}</td><td>{{(index $.Questions .Key).Name}}</td>
<td>{{.Score}}</td><td>{{if .BelowCutoff}}yes{{else}}no{{end}}</td><td{{if eq .Visibility "private"}} class="private"{{end}}>{{.Visibility}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}

<h2>Commitments</h2>
{{if .Commitments}}<table><tr><th>Partner</th><th>Commitment</th><th>Cadence</th><th>From</th><th>Kept</th><th>Missed</th><th>Kept rate</th></tr>
{{range .Commitments}}<tr><td>{{index $.Names .AuthorID}}</td><td>{{.Text}}</td><td>{{.Cadence}}</td>
<td>{{.StartsOn}}{{with .EndedOn}} to {{.}}{{end}}</td><td>{{.Kept}}</td><td>{{.Missed}}</td><td>{{percent .KeptRate}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}

<h2>Daily check-ins</h2>
{{if .Checkins}}<table><tr><th>Day</th><th>Partner</th><th>Trust</th><th>Safety</th><th>Feeling</th><th>Note</th><th>Visibility</th></tr>
{{range .Checkins}}<tr><td>{{.Day}}</td><td>{{index $.Names .AuthorID}}</td><td>{{.Trust}}</td><td>{{.Safety}}</td><td>{{.Feeling}}</td>
<td><pre>{{.Note}}</pre></td><td{{if eq .Visibility "private"}} class="private"{{end}}>{{.Visibility}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}

<h2>Appointments</h2>
{{if .Appointments}}<table><tr><th>Starts</th><th>Ends</th><th>Therapist</th><th>Status</th></tr>
{{range .Appointments}}<tr><td>{{when .StartsAt}}</td><td>{{when .EndsAt}}</td><td>{{index $.Names .TherapistID}}</td><td>{{.Status}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}

<h2>Clinical notes</h2>
{{range .Notes}}<h3>{{day .CreatedAt}}, {{.Template}} note by {{index $.Names .AuthorID}}{{if .SignedAt}}, signed {{when .SignedAt}}{{else}}, unsigned draft{{end}}</h3>
<table>{{range $key, $text := .Sections}}<tr><th>{{$key}}</th><td><pre>{{$text}}</pre></td></tr>{{end}}</table>
{{range .Addenda}}<p>Addendum {{when .CreatedAt}} by {{index $.Names .AuthorID}}:</p><pre>{{.Text}}</pre>{{end}}
{{else}}<p>None.</p>{{end}}

<h2>Exercises</h2>
<p>The exercise assignments, the partners' answers and the comments on them are in the JSON export of this record.</p>
</body></html>
`))
