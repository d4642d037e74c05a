package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

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

func TestExportHoldsTheCompleteRecordWithPrivateItemsFlagged(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.fillCouple(p)
	res := p.Admin.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/export", nil)
	if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %s", res.Status, res.Body)
	}
	var record struct {
		CoupleRecord
		Exercises struct {
			Assignments []json.RawMessage `json:"assignments"`
			Responses   []json.RawMessage `json:"responses"`
			Comments    []json.RawMessage `json:"comments"`
		} `json:"exercises"`
	}
	res.JSON(t, &record)
	if len(record.Partners) != 2 || record.Partners[0].Email != p.PartnerA.Email || len(record.Checkins) != 2 ||
		len(record.Commitments) != 1 || len(record.Commitments[0].Checks) != 1 || len(record.Measures) != 1 ||
		len(record.Notes) != 1 || len(record.Notes[0].Addenda) != 1 || len(record.Appointments) != 1 ||
		len(record.Exercises.Assignments) != 1 || len(record.Exercises.Responses) != 1 || len(record.Exercises.Comments) != 1 {
		t.Errorf("export is incomplete: %s", res.Body)
	}
	// The private check-in and the private exercise response.
	if record.PrivateItems != 2 || !strings.Contains(record.Notice, "private") {
		t.Errorf("private items %d, notice %q", record.PrivateItems, record.Notice)
	}

	page := p.Admin.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/export.html", nil)
	html := string(page.Body)
	if page.Status != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(html, "Record of Couple A") || !strings.Contains(html, p.PartnerA.Email) ||
		!strings.Contains(html, "A later thought.") || !strings.Contains(html, `class="private"`) {
		t.Errorf("printable summary: %d %s", page.Status, html)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sha256-") {
		t.Errorf("summary CSP %q", csp)
	}

	for _, caller := range []*actor{p.Therapist, p.PartnerA, p.OtherTherapist, w.B.Admin} {
		if res := caller.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/export", nil); res.Status == http.StatusOK {
			t.Errorf("%s exports a couple's record", caller.Name)
		}
	}
}

func TestEraseLeavesNothingOfTheCoupleBehind(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.fillCouple(p)
	w.fillCouple(w.B)
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
		"appointments", "assignments", "responses", "comments", "couple_partners", "care_team"} {
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
