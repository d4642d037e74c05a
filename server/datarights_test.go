package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

func dataRightsMatrix(couplePath pathBuilder) []matrixCase {
	// Erasing needs a couple of its own for every caller: the therapist is on its care team and
	// nobody is seated in it.
	freshCouple := func(p *practice, a *actor) string {
		if a == p.Therapist {
			return store.RelCareTeam
		}
		return store.RelPractice
	}
	return []matrixCase{
		{name: "export a couple's record", object: "couple", action: "export", success: 200,
			request: couplePath(http.MethodGet, "/export", nil), relation: coupleRelation},
		{name: "export a printable summary", object: "couple", action: "export", success: 200,
			request: couplePath(http.MethodGet, "/export.html", nil), relation: coupleRelation},
		{name: "erase a couple", object: "couple", action: "erase", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				label := fmt.Sprintf("Leaving couple %d", w.counter())
				return http.MethodPost, "/api/v1/couples/" + id(w.couple(p.ID, label, p.Therapist.ID)) + "/erase",
					map[string]any{"confirm": label}
			}, relation: freshCouple},
	}
}

// fillCouple gives p's Couple something in every kind of record.
func (w *world) fillCouple(p *practice) {
	w.t.Helper()
	ctx := context.Background()
	w.checkin(p, p.PartnerA, "", "private", 2)
	w.checkin(p, p.PartnerB, "", "partner", 6)
	m := w.commitment(p, p.PartnerA, store.CadenceDaily, "")
	today, err := w.store.PracticeToday(ctx, p.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, _, err := w.store.RecordCheck(ctx, store.CheckInput{PracticeID: p.ID, CommitmentID: m, RecordedBy: p.PartnerB.ID, Kept: true, Day: today}); err != nil {
		w.t.Fatal(err)
	}
	w.measure(p, p.PartnerB, "therapist", 4, time.Time{})
	w.signedPlan(p)
	w.planDraft(p)
	w.schedule(p, "phq9", 2, "2030-01-06")
	n := w.note(p, p.Therapist, true)
	if _, err := w.store.AddAddendum(ctx, p.ID, n, p.Therapist.ID, "A later thought."); err != nil {
		w.t.Fatal(err)
	}
	w.appointment(p)
	assignment := w.assignStep(p, "apology", "a", "private")
	w.submitStep(p, assignment)
	if _, err := w.store.AddComment(ctx, p.ID, assignment, p.Therapist.ID, nil, "Thank you for writing this."); err != nil {
		w.t.Fatal(err)
	}
}

// exportedItem is something written on a couple's record, found in an export by a marker in its
// text, with who may open it in the app.
type exportedItem struct {
	marker string
	opens  func(reader *actor) bool
}

// fillCoupleForExport writes on p's Couple an item of every kind by each partner at each visibility,
// a commitment with a check, a signed note with an addendum, an appointment and a live session with
// a transcript, and returns the written items with who may open each.
func (w *world) fillCoupleForExport(t *testing.T, p *practice) (items []exportedItem, measures map[int64]func(*actor) bool) {
	t.Helper()
	ctx := context.Background()
	careTeam := func(r *actor) bool { return r == p.Therapist }
	coupleAndCareTeam := func(r *actor) bool { return r == p.Therapist || r == p.PartnerA || r == p.PartnerB }
	measures = map[int64]func(*actor) bool{}
	for _, author := range []*actor{p.PartnerA, p.PartnerB} {
		seat := map[*actor]string{p.PartnerA: "a", p.PartnerB: "b"}[author]
		for _, visibility := range []string{store.VisibilityPrivate, store.VisibilityTherapist, store.VisibilityPartner} {
			opens := func(r *actor) bool {
				switch {
				case r == author:
					return true
				case visibility == store.VisibilityPrivate:
					return false
				case r == p.Therapist:
					return true
				default:
					return visibility == store.VisibilityPartner && (r == p.PartnerA || r == p.PartnerB)
				}
			}
			mark := func(kind string) string { return kind + "-" + seat + "-" + visibility }
			if _, _, err := w.store.SaveCheckin(ctx, store.CheckinInput{PracticeID: p.ID, CoupleID: p.CoupleID, AuthorID: author.ID,
				Day: w.pastDay(), Trust: 5, Safety: 5, Note: mark("checkin"), Visibility: &visibility}); err != nil {
				t.Fatal(err)
			}
			measures[w.measure(p, author, visibility, 3, time.Time{})] = opens
			assignment := w.assignStep(p, "apology", seat, visibility)
			w.submitMarked(p, assignment, mark("response"))
			if _, err := w.store.AddComment(ctx, p.ID, assignment, p.Therapist.ID, nil, mark("comment")); err != nil {
				t.Fatal(err)
			}
			items = append(items, exportedItem{mark("checkin"), opens}, exportedItem{mark("response"), opens},
				exportedItem{mark("comment"), opens})
			if _, err := w.store.CreateDocument(ctx, store.NewDocument{PracticeID: p.ID, CoupleID: p.CoupleID, AuthorID: author.ID,
				Name: mark("document"), ContentType: "image/png", Content: pngBytes, Visibility: visibility}); err != nil {
				t.Fatal(err)
			}
			items = append(items, exportedItem{mark("document"), opens})
			// A form is never private from the care team; its screening answers are never the other partner's.
			if visibility != store.VisibilityPrivate {
				w.fillForm(p, w.sendForm(p, "partner_intake", seat, visibility), mark("form"), true)
				items = append(items, exportedItem{mark("form"), opens},
					exportedItem{"screening-" + mark("form"), func(r *actor) bool { return r == author || r == p.Therapist }})
			}
		}
	}

	commitment, err := w.store.CreateCommitment(ctx, store.NewCommitment{PracticeID: p.ID, CoupleID: p.CoupleID,
		AuthorID: p.PartnerA.ID, Text: "commitment-by-a", Cadence: store.CadenceDaily})
	if err != nil {
		t.Fatal(err)
	}
	today, err := w.store.PracticeToday(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.store.RecordCheck(ctx, store.CheckInput{PracticeID: p.ID, CommitmentID: commitment.ID,
		RecordedBy: p.PartnerB.ID, Kept: true, Day: today, Note: "check-by-b"}); err != nil {
		t.Fatal(err)
	}
	for _, problem := range []string{"plan-superseded", "plan-current", "plan-draft"} {
		plan, err := w.store.CreatePlanDraft(ctx, p.ID, p.CoupleID, p.Therapist.ID, planContent(problem))
		if err != nil {
			t.Fatal(err)
		}
		if problem != "plan-draft" {
			if _, err := w.store.SignPlan(ctx, p.ID, plan.ID, p.Therapist.ID, planReady); err != nil {
				t.Fatal(err)
			}
		}
	}
	phq9Measure, err := w.store.CreateMeasure(ctx, store.NewMeasure{PracticeID: p.ID, CoupleID: p.CoupleID, AuthorID: p.PartnerA.ID,
		Key: "phq9", Answers: phq9Answers(1, 0), Score: 8, Visibility: store.VisibilityTherapist})
	if err != nil {
		t.Fatal(err)
	}
	measures[phq9Measure.ID] = func(r *actor) bool { return r == p.PartnerA || r == p.Therapist }
	n := w.note(p, p.Therapist, true)
	if _, err := w.store.AddAddendum(ctx, p.ID, n, p.Therapist.ID, "addendum-by-the-therapist"); err != nil {
		t.Fatal(err)
	}
	w.appointment(p)

	session := startSession(t, p, nil)
	path := "/api/v1/live/" + id(session.ID) + "/commands"
	for _, step := range []struct {
		who  *actor
		body string
	}{
		{p.Therapist, `{"id":"g1","type":"grant","seat":"a"}`},
		{p.PartnerA, `{"id":"a1","type":"say","text":"said-in-the-live-session"}`},
		{p.Therapist, `{"id":"m1","type":"moderator","text":"moderated-in-the-live-session"}`},
	} {
		if res := step.who.do(http.MethodPost, path, step.body); res.Status != http.StatusOK {
			t.Fatalf("live command %s: %d %s", step.body, res.Status, res.Body)
		}
	}

	mayReadEmail := func(r *actor) bool { return r == p.Admin || r == p.Therapist || r == p.PartnerA }
	return append(items,
		exportedItem{"commitment-by-a", coupleAndCareTeam},
		exportedItem{"check-by-b", coupleAndCareTeam},
		exportedItem{"plan-superseded", careTeam},
		exportedItem{"plan-current", coupleAndCareTeam},
		exportedItem{"plan-draft", careTeam},
		exportedItem{completeSOAP["assessment"], careTeam},
		exportedItem{"addendum-by-the-therapist", careTeam},
		exportedItem{"said-in-the-live-session", coupleAndCareTeam},
		exportedItem{"moderated-in-the-live-session", coupleAndCareTeam},
		exportedItem{p.PartnerA.Email, mayReadEmail},
	), measures
}

// submitMarked submits a complete response to the assignment whose every written answer is marker.
func (w *world) submitMarked(p *practice, assignmentID int64, marker string) {
	w.t.Helper()
	ctx := context.Background()
	a, err := w.store.AssignmentByID(ctx, p.ID, assignmentID)
	if err != nil {
		w.t.Fatal(err)
	}
	e, err := w.store.ExerciseByID(ctx, p.ID, a.ExerciseID, a.ExerciseVersion)
	if err != nil {
		w.t.Fatal(err)
	}
	answers := map[string]any{}
	if err := json.Unmarshal(exerciseAnswers(e.Fields), &answers); err != nil {
		w.t.Fatal(err)
	}
	for key, value := range answers {
		if _, written := value.(string); written {
			answers[key] = marker
		}
	}
	data, err := json.Marshal(answers)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.SubmitResponse(ctx, p.ID, assignmentID, data); err != nil {
		w.t.Fatal(err)
	}
}

func TestExportsHoldExactlyWhatTheirReaderMayOpen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	items, measures := w.fillCoupleForExport(t, p)
	path := "/api/v1/couples/" + id(p.CoupleID) + "/export"

	partnerSections := []string{"accounts", "appointments", "checkins", "commitments", "couple", "documents", "exercises", "forms", "live_sessions",
		"measures", "partners", "treatment_plans"}
	for _, tc := range []struct {
		reader   *actor
		sections []string // top-level parts of the record beyond its heading; nil when the export is refused
		private  int      // items marked private in the export: the reader's own
		summary  bool     // live-session summaries
	}{
		// An administrator's file of the couple holds its appointments (scheduling, not clinical work).
		{reader: p.Admin, sections: []string{"accounts", "appointments", "billing", "couple", "partners"}},
		{reader: p.FrontDesk},
		{reader: p.Therapist, sections: []string{"accounts", "appointments", "billing", "checkins", "clinical_notes", "commitments", "couple", "documents",
			"exercises", "forms", "live_sessions", "measures", "partners", "treatment_plans"}, summary: true},
		{reader: p.PartnerA, sections: partnerSections, private: 4},
		{reader: p.PartnerB, sections: partnerSections, private: 4},
		{reader: p.OtherTherapist},
		{reader: p.OtherPartner},
		{reader: w.B.Admin},
		{reader: w.B.Therapist},
		{reader: w.B.PartnerA},
	} {
		t.Run(tc.reader.Name, func(t *testing.T) {
			res := tc.reader.do(http.MethodGet, path, nil)
			page := tc.reader.do(http.MethodGet, path+".html", nil)
			if tc.sections == nil {
				for _, r := range []*response{res, page} {
					if r.Status != http.StatusNotFound || r.ErrorCode() != fault.NotFound {
						t.Errorf("an outsider's export answers %d %s, want 404", r.Status, r.Body)
					}
				}
				return
			}
			if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("export: %d %s", res.Status, res.Body)
			}
			if page.Status != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("printable export: %d %s", page.Status, page.Body)
			}
			var parts map[string]json.RawMessage
			res.JSON(t, &parts)
			var got []string
			for key := range parts {
				switch key {
				case "exported_at", "exported_by", "notice", "private_items", "sections":
				default:
					got = append(got, key)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.sections) {
				t.Errorf("sections %v, want %v", got, tc.sections)
			}
			var record struct {
				PrivateItems int `json:"private_items"`
				Sections     []string
				Measures     []struct{ ID int64 }
				LiveSessions []struct {
					Summary    *json.RawMessage
					Transcript []json.RawMessage
				} `json:"live_sessions"`
			}
			res.JSON(t, &record)
			if record.PrivateItems != tc.private {
				t.Errorf("private items %d, want %d", record.PrivateItems, tc.private)
			}
			if sections := slices.Sorted(slices.Values(record.Sections)); !slices.Equal(sections, tc.sections) {
				t.Errorf("the record names its sections %v, want %v", record.Sections, tc.sections)
			}
			var gotMeasures, wantMeasures []int64
			for _, m := range record.Measures {
				gotMeasures = append(gotMeasures, m.ID)
			}
			for measureID, opens := range measures {
				if opens(tc.reader) {
					wantMeasures = append(wantMeasures, measureID)
				}
			}
			slices.Sort(gotMeasures)
			slices.Sort(wantMeasures)
			if !slices.Equal(gotMeasures, wantMeasures) {
				t.Errorf("measures %v, want %v", gotMeasures, wantMeasures)
			}
			for _, s := range record.LiveSessions {
				if (s.Summary != nil) != tc.summary || len(s.Transcript) == 0 {
					t.Errorf("live session with summary %v and %d transcript events, want summary %v", s.Summary != nil, len(s.Transcript), tc.summary)
				}
			}
			if strings.Contains(string(page.Body), "Talk time") != tc.summary {
				t.Errorf("printable export shows live-session talk time: %v, want %v", !tc.summary, tc.summary)
			}
			for _, item := range items {
				want := item.opens(tc.reader)
				for format, body := range map[string][]byte{"JSON": res.Body, "printable": page.Body} {
					if strings.Contains(string(body), item.marker) != want {
						t.Errorf("%s export holds %q: %v, want %v", format, item.marker, !want, want)
					}
				}
			}
		})
	}
}

func TestEraseLeavesNothingOfTheCoupleBehind(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.fillCouple(p)
	w.fillCouple(w.B)
	entries := w.fillLedger(p)
	w.fillLedger(w.B)
	for _, q := range []*practice{p, w.B} {
		session := startSession(t, q, nil)
		if res := q.Therapist.do(http.MethodPost, "/api/v1/live/"+id(session.ID)+"/commands",
			`{"id":"m1","type":"moderator","text":"Welcome."}`); res.Status != http.StatusOK {
			t.Fatalf("live command: %d %s", res.Status, res.Body)
		}
	}
	ctx := context.Background()
	db := w.store.DB()

	// Every table with a couple_id column, found from the schema, so tables added later are covered too.
	var tables []string
	if err := db.SelectContext(ctx, &tables, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'couple_id' ORDER BY table_name`); err != nil {
		t.Fatal(err)
	}
	countFor := func(coupleID int64) map[string]int {
		counts := map[string]int{}
		for _, table := range tables {
			var n int
			if err := db.GetContext(ctx, &n, `SELECT count(*) FROM `+table+` WHERE couple_id = $1`, coupleID); err != nil {
				t.Fatal(err)
			}
			counts[table] = n
		}
		// Rows tied to the couple through another row.
		for table, query := range map[string]string{
			"commitment_checks": `SELECT count(*) FROM commitment_checks x JOIN commitments m ON m.id = x.commitment_id WHERE m.couple_id = $1`,
			"note_addenda":      `SELECT count(*) FROM note_addenda x JOIN notes n ON n.id = x.note_id WHERE n.couple_id = $1`,
			"responses":         `SELECT count(*) FROM responses r JOIN assignments a ON a.id = r.assignment_id WHERE a.couple_id = $1`,
			"comments":          `SELECT count(*) FROM comments k JOIN assignments a ON a.id = k.assignment_id WHERE a.couple_id = $1`,
			"session_events":    `SELECT count(*) FROM session_events e JOIN live_sessions l ON l.id = e.session_id WHERE l.couple_id = $1`,
		} {
			var n int
			if err := db.GetContext(ctx, &n, query, coupleID); err != nil {
				t.Fatal(err)
			}
			counts[table] = n
		}
		return counts
	}
	before := countFor(p.CoupleID)
	for _, table := range []string{"checkins", "commitments", "commitment_checks", "measures", "notes", "note_addenda",
		"appointments", "assignments", "responses", "comments", "couple_partners", "care_team", "live_sessions", "session_events", "ledger_entries"} {
		if before[table] == 0 {
			t.Errorf("the fixture wrote nothing to %s", table)
		}
	}
	otherBefore := countFor(w.B.CoupleID)

	path := "/api/v1/couples/" + id(p.CoupleID) + "/erase"
	for _, tc := range []struct {
		caller *actor
		body   map[string]any
		want   int
	}{
		{p.Therapist, map[string]any{"confirm": "Couple A"}, http.StatusForbidden},
		{p.PartnerA, map[string]any{"confirm": "Couple A"}, http.StatusForbidden},
		{w.B.Admin, map[string]any{"confirm": "Couple A"}, http.StatusNotFound},
		{p.Admin, map[string]any{"confirm": "Couple B"}, http.StatusUnprocessableEntity},
	} {
		if res := tc.caller.do(http.MethodPost, path, tc.body); res.Status != tc.want {
			t.Errorf("%s erases with %v: %d %s, want %d", tc.caller.Name, tc.body, res.Status, res.Body, tc.want)
		}
	}
	res := p.Admin.do(http.MethodPost, path, map[string]any{"confirm": "Couple A"})
	var erasure store.Erasure
	res.JSON(t, &erasure)
	if res.Status != http.StatusOK || erasure.AccountsRemoved != 2 {
		t.Fatalf("erase: %d %s", res.Status, res.Body)
	}
	for table, n := range countFor(p.CoupleID) {
		if n != 0 {
			t.Errorf("%d rows of the erased couple left in %s", n, table)
		}
	}
	// The ledger keeps the couple's entries for the practice's accounts, with nothing left in any
	// column that leads back to the couple, its partners or its appointments.
	var kept, identifying int
	ids := make(pq.Int64Array, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	if err := db.GetContext(ctx, &kept, `SELECT count(*) FROM ledger_entries WHERE id = ANY($1)`, ids); err != nil || kept != len(entries) {
		t.Errorf("%d of the couple's %d ledger entries kept: %v", kept, len(entries), err)
	}
	if err := db.GetContext(ctx, &identifying, `SELECT count(*) FROM ledger_entries e WHERE e.id = ANY($1)
		AND (e.couple_id IS NOT NULL OR e.payer_id IS NOT NULL OR e.appointment_id IS NOT NULL OR e.description <> '' OR e.reference <> ''
		     OR e::text ILIKE ANY($2))`,
		ids, pq.StringArray{"%Couple A%", "%" + p.PartnerA.Name + "%", "%" + p.PartnerB.Name + "%", "%" + p.PartnerA.Email + "%",
			"%" + p.PartnerB.Email + "%"}); err != nil || identifying != 0 {
		t.Errorf("%d ledger entries still identify the erased couple: %v", identifying, err)
	}
	var couples, accounts int
	if err := db.GetContext(ctx, &couples, `SELECT count(*) FROM couples WHERE id = $1`, p.CoupleID); err != nil || couples != 0 {
		t.Errorf("couple row left: %d %v", couples, err)
	}
	if err := db.GetContext(ctx, &accounts, `SELECT count(*) FROM users WHERE id = ANY($1)`, pq.Int64Array{p.PartnerA.ID, p.PartnerB.ID}); err != nil || accounts != 0 {
		t.Errorf("partner accounts left: %d %v", accounts, err)
	}
	if after := countFor(w.B.CoupleID); fmt.Sprint(after) != fmt.Sprint(otherBefore) {
		t.Errorf("another practice's couple changed: %v, was %v", after, otherBefore)
	}
	if res := p.PartnerA.do(http.MethodGet, "/api/v1/me", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("an erased partner's session still works: %d", res.Status)
	}
	// The audit entry is written as the request ends: poll for it with a deadline.
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var audited int
		if err := db.GetContext(ctx, &audited, `SELECT count(*) FROM audit_log WHERE action = 'couple.erase' AND object_id = $1
			AND outcome = 'allowed' AND actor_id = $2`, p.CoupleID, p.Admin.ID); err != nil {
			t.Fatal(err)
		}
		if audited == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("erasure audited %d times, want once", audited)
		}
		<-tick.C
	}
}

// TestExportsFollowThePracticePolicy: an export is derived from the policy's decisions, not from a
// list of its own, so a practice's policy changes the exports with the app.
func TestExportsFollowThePracticePolicy(t *testing.T) {
	t.Parallel()
	table := strings.Replace(string(policy.DefaultPolicy()), "p, client, couple, live_session, transcript\n", "", 1) +
		"p, admin, practice, measure, list\np, admin, practice, measure, read\n"
	w := newWorldWithPolicy(t, []byte(table))
	p := w.A
	_, measures := w.fillCoupleForExport(t, p)
	path := "/api/v1/couples/" + id(p.CoupleID) + "/export"

	var admin struct {
		Sections []string
		Measures []struct{ ID, AuthorID int64 }
	}
	p.Admin.do(http.MethodGet, path, nil).JSON(t, &admin)
	if !slices.Contains(admin.Sections, "measures") || slices.Contains(admin.Sections, "checkins") {
		t.Errorf("administrator's sections under a policy that lets them read measures: %v", admin.Sections)
	}
	// Their relation to a partner's measure is the practice's, and private measures stay hidden.
	var want []int64
	for measureID, opens := range measures {
		if opens(p.Therapist) {
			want = append(want, measureID)
		}
	}
	var got []int64
	for _, m := range admin.Measures {
		got = append(got, m.ID)
	}
	if slices.Sort(got); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("administrator exports measures %v, want %v", got, want)
	}

	res := p.PartnerA.do(http.MethodGet, path, nil)
	page := p.PartnerA.do(http.MethodGet, path+".html", nil)
	var partner struct {
		LiveSessions []struct{ Transcript []json.RawMessage } `json:"live_sessions"`
	}
	res.JSON(t, &partner)
	if len(partner.LiveSessions) != 1 || partner.LiveSessions[0].Transcript != nil {
		t.Errorf("a partner's live sessions under a policy without transcripts for partners: %s", res.Body)
	}
	for format, body := range map[string][]byte{"JSON": res.Body, "printable": page.Body} {
		if strings.Contains(string(body), "said-in-the-live-session") {
			t.Errorf("%s export holds a transcript the policy keeps from partners", format)
		}
	}
}

// A couple's export holds the billing each reader may read: the staff who bill the whole ledger
// and every partner's statement, a partner only their own statement and superbill data.
func TestExportsHoldTheBillingEachReaderMayRead(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.splitBilling(p, 60, 40)
	charged := w.charge(p, w.appointment(p), store.ChargeSession)
	if len(charged) != 2 {
		t.Fatalf("a split charge made %d entries, want 2", len(charged))
	}
	if res := p.Therapist.do(http.MethodPut, "/api/v1/couples/"+id(p.CoupleID)+"/diagnoses",
		map[string]any{"diagnoses": []map[string]any{{"code": "Z63.0"}}}); res.Status/100 != 2 {
		t.Fatalf("set the diagnosis: %d %s", res.Status, res.Body)
	}
	everyPartner := []int64{p.PartnerA.ID, p.PartnerB.ID}
	for _, tc := range []struct {
		reader   *actor
		want     int     // the export's status
		ledger   bool    // the couple's whole ledger
		accounts []int64 // whose statements, in seat order
	}{
		{p.Admin, http.StatusOK, true, everyPartner},
		{p.Therapist, http.StatusOK, true, everyPartner},
		{p.PartnerA, http.StatusOK, false, []int64{p.PartnerA.ID}},
		{p.PartnerB, http.StatusOK, false, []int64{p.PartnerB.ID}},
		{p.FrontDesk, http.StatusNotFound, false, nil},
		{p.OtherTherapist, http.StatusNotFound, false, nil},
		{w.B.Admin, http.StatusNotFound, false, nil},
	} {
		t.Run(tc.reader.Name, func(t *testing.T) {
			res := tc.reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/export", nil)
			if res.Status != tc.want {
				t.Fatalf("%d %s, want %d", res.Status, res.Body, tc.want)
			}
			if tc.want != http.StatusOK {
				return
			}
			var record struct {
				Billing *struct {
					Entries []store.LedgerEntry `json:"entries"`
				} `json:"billing"`
				Accounts []struct {
					PartnerID int64           `json:"partner_id"`
					Statement store.Statement `json:"statement"`
					Diagnoses []string        `json:"diagnoses"`
				} `json:"accounts"`
			}
			res.JSON(t, &record)
			if (record.Billing != nil) != tc.ledger || tc.ledger && len(record.Billing.Entries) != 2 {
				t.Errorf("the couple's ledger: %+v, want it: %v", record.Billing, tc.ledger)
			}
			var whose []int64
			for _, a := range record.Accounts {
				whose = append(whose, a.PartnerID)
				var own int64
				for _, e := range charged {
					if e.PayerID != nil && *e.PayerID == a.PartnerID {
						own = e.AmountCents
					}
				}
				if len(a.Statement.Entries) != 1 || *a.Statement.Entries[0].PayerID != a.PartnerID ||
					a.Statement.ClosingCents != own || a.Statement.Entries[0].CPTCode != "90847" {
					t.Errorf("partner %d's statement: %+v, want their own share of %d cents", a.PartnerID, a.Statement, own)
				}
				if !slices.Equal(a.Diagnoses, []string{"Z63.0"}) {
					t.Errorf("partner %d's superbill diagnoses: %v", a.PartnerID, a.Diagnoses)
				}
			}
			if !slices.Equal(whose, tc.accounts) {
				t.Errorf("statements of %v, want %v", whose, tc.accounts)
			}
		})
	}
}
