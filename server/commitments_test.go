package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/amendcare/amend/server/store"
)

type pathBuilder func(method, suffix string, body any) func(*world, *practice) (string, string, any)

// commitment states a commitment by author straight in the store, starting on startsOn (today when empty).
func (w *world) commitment(p *practice, author *actor, cadence, startsOn string) int64 {
	w.t.Helper()
	m, err := w.store.CreateCommitment(context.Background(), store.NewCommitment{PracticeID: p.ID, CoupleID: p.CoupleID,
		AuthorID: author.ID, Text: "I will tell you when my plans change", Cadence: cadence, StartsOn: startsOn})
	if err != nil {
		w.t.Fatal(err)
	}
	return m.ID
}

func commitmentMatrix(couplePath pathBuilder) []matrixCase {
	fresh := func(w *world, p *practice) string {
		return "/api/v1/commitments/" + id(w.commitment(p, p.PartnerA, store.CadenceDaily, ""))
	}
	return []matrixCase{
		{name: "state a commitment", object: "commitment", action: "create", success: 201,
			request:  couplePath(http.MethodPost, "/commitments", map[string]any{"text": "Phone when late", "cadence": "daily"}),
			relation: coupleRelation},
		{name: "list commitments", object: "commitment", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/commitments", nil), relation: coupleRelation},
		{name: "read a commitment", object: "commitment", action: "read", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodGet, fresh(w, p), nil
			}, relation: sharedItemRelation},
		{name: "end a commitment", object: "commitment", action: "update", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, fresh(w, p) + "/end", nil
			}, relation: sharedItemRelation},
		{name: "confirm a commitment was kept", object: "commitment", action: "confirm", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, fresh(w, p) + "/checks", map[string]any{"status": "kept", "note": "called at six"}
			}, relation: sharedItemRelation},
	}
}

func TestOnlyTheOtherPartnerConfirmsACommitment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	m := w.commitment(p, p.PartnerA, store.CadenceDaily, "")
	path := "/api/v1/commitments/" + id(m) + "/checks"
	for _, tc := range []struct {
		caller *actor
		want   int
	}{
		{p.PartnerA, http.StatusForbidden},
		{p.Therapist, http.StatusForbidden},
		{p.OtherPartner, http.StatusNotFound},
		{w.B.PartnerB, http.StatusNotFound},
		{p.PartnerB, http.StatusCreated},
	} {
		if res := tc.caller.do(http.MethodPost, path, map[string]any{"status": "kept"}); res.Status != tc.want {
			t.Errorf("%s confirms partner a's commitment: %d %s, want %d", tc.caller.Name, res.Status, res.Body, tc.want)
		}
	}
	// Recording the same period again replaces the record.
	res := p.PartnerB.do(http.MethodPost, path, map[string]any{"status": "missed", "note": "forgot tonight"})
	var check store.CommitmentCheck
	res.JSON(t, &check)
	if res.Status != http.StatusOK || check.Status != "missed" || check.Note != "forgot tonight" {
		t.Errorf("re-recording today: %d %s", res.Status, res.Body)
	}
}

// Everyone who may list a couple's commitments reads what was recorded for the current period
// (today, or this week), so a screen opened later shows it instead of offering a fresh choice.
func TestCommitmentsShowWhatWasRecordedForThisPeriod(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	daily := w.commitment(p, p.PartnerA, store.CadenceDaily, "")
	weekly := w.commitment(p, p.PartnerA, store.CadenceWeekly, "")
	unrecorded := w.commitment(p, p.PartnerA, store.CadenceDaily, "")
	for m, status := range map[int64]string{daily: "kept", weekly: "missed"} {
		if res := p.PartnerB.do(http.MethodPost, "/api/v1/commitments/"+id(m)+"/checks", map[string]any{"status": status}); res.Status != http.StatusCreated {
			t.Fatalf("recording %s: %d %s", status, res.Status, res.Body)
		}
	}
	want := map[int64]string{daily: "kept", weekly: "missed", unrecorded: ""}
	for _, tc := range []struct {
		reader *actor
		status int
	}{
		{p.PartnerB, http.StatusOK},
		{p.PartnerA, http.StatusOK},
		{p.Therapist, http.StatusOK},
		{w.B.PartnerB, http.StatusNotFound},
	} {
		res := tc.reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/commitments", nil)
		if res.Status != tc.status {
			t.Fatalf("%s lists commitments: %d %s", tc.reader.Name, res.Status, res.Body)
		}
		if tc.status != http.StatusOK {
			continue
		}
		var list struct {
			Commitments []store.Commitment `json:"commitments"`
		}
		res.JSON(t, &list)
		for _, m := range list.Commitments {
			got := ""
			if m.ThisPeriod != nil {
				got = *m.ThisPeriod
			}
			if got != want[m.ID] {
				t.Errorf("%s reads commitment %d as %q this period, want %q", tc.reader.Name, m.ID, got, want[m.ID])
			}
		}
		var one store.Commitment
		tc.reader.do(http.MethodGet, "/api/v1/commitments/"+id(daily), nil).JSON(t, &one)
		if one.ThisPeriod == nil || *one.ThisPeriod != "kept" {
			t.Errorf("%s reads the daily commitment's period as %v, want kept", tc.reader.Name, one.ThisPeriod)
		}
	}
}

func TestCommitmentKeptRates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	ctx := context.Background()
	today, err := w.store.PracticeToday(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	daily := w.commitment(p, p.PartnerA, store.CadenceDaily, "2024-01-01")
	weekly := w.commitment(p, p.PartnerB, store.CadenceWeekly, "2024-01-01")
	record := func(caller *actor, m int64, day, status string) *response {
		return caller.do(http.MethodPost, "/api/v1/commitments/"+id(m)+"/checks", map[string]any{"day": day, "status": status})
	}
	for day, status := range map[string]string{"2024-01-01": "kept", "2024-01-02": "kept", "2024-01-03": "missed", "2024-01-04": "kept"} {
		if res := record(p.PartnerB, daily, day, status); res.Status != http.StatusCreated {
			t.Fatalf("record %s: %d %s", day, res.Status, res.Body)
		}
	}
	// Wednesday and Friday of the same week are one weekly period.
	if res := record(p.PartnerA, weekly, "2024-01-03", "missed"); res.Status != http.StatusCreated {
		t.Fatalf("weekly record: %d %s", res.Status, res.Body)
	}
	res := record(p.PartnerA, weekly, "2024-01-05", "kept")
	var check store.CommitmentCheck
	res.JSON(t, &check)
	if res.Status != http.StatusOK || check.PeriodStart != "2024-01-01" {
		t.Errorf("second record in the same week: %d %s, want 200 for the period of Monday 2024-01-01", res.Status, res.Body)
	}
	var list struct {
		Commitments []store.Commitment `json:"commitments"`
		Overall     KeptTally          `json:"overall"`
		ByPartner   []AuthorTally      `json:"by_partner"`
	}
	p.Therapist.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/commitments", nil).JSON(t, &list)
	if len(list.Commitments) != 2 || *list.Commitments[0].KeptRate != 0.75 || *list.Commitments[1].KeptRate != 1 {
		t.Fatalf("commitments %+v", list.Commitments)
	}
	if list.Overall.Kept != 4 || list.Overall.Missed != 1 || *list.Overall.KeptRate != 0.8 {
		t.Errorf("overall %+v, want 4 kept of 5", list.Overall)
	}
	if len(list.ByPartner) != 2 || list.ByPartner[0].UserID != p.PartnerA.ID || list.ByPartner[0].Kept != 3 {
		t.Errorf("by partner %+v", list.ByPartner)
	}

	for _, tc := range []struct {
		name, day, field string
	}{
		{"before the commitment started", "2023-12-31", "day"},
		{"in the future", "2999-01-01", "day"},
		{"not a date", "yesterday", "day"},
	} {
		res := p.PartnerB.doInvalid(http.MethodPost, "/api/v1/commitments/"+id(daily)+"/checks", map[string]any{"day": tc.day, "status": "kept"})
		var body struct {
			Error errorBody `json:"error"`
		}
		res.JSON(t, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Error.Field != tc.field {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.name, res.Status, res.Body, tc.field)
		}
	}
	if res := p.PartnerB.doInvalid(http.MethodPost, "/api/v1/commitments/"+id(daily)+"/checks", map[string]any{"status": "maybe"}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("status maybe: %d", res.Status)
	}

	// Ending a commitment: only its author, once; its record stays.
	if res := p.PartnerB.do(http.MethodPost, "/api/v1/commitments/"+id(daily)+"/end", nil); res.Status != http.StatusForbidden {
		t.Errorf("the other partner ends a commitment: %d", res.Status)
	}
	res = p.PartnerA.do(http.MethodPost, "/api/v1/commitments/"+id(daily)+"/end", nil)
	var ended commitmentDetail
	res.JSON(t, &ended)
	if res.Status != http.StatusOK || ended.EndedOn == nil || *ended.EndedOn != today || len(ended.Checks) != 4 {
		t.Errorf("ending: %d %s", res.Status, res.Body)
	}
	if res := p.PartnerA.do(http.MethodPost, "/api/v1/commitments/"+id(daily)+"/end", nil); res.Status != http.StatusConflict {
		t.Errorf("ending twice: %d", res.Status)
	}
}

func TestCommitmentValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	path := "/api/v1/couples/" + id(w.A.CoupleID) + "/commitments"
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"text": "   ", "cadence": "daily"}, "text"},
		{map[string]any{"text": "Call at lunch", "cadence": "hourly"}, "cadence"},
		{map[string]any{"cadence": "weekly"}, "text"},
	} {
		res := w.A.PartnerA.doInvalid(http.MethodPost, path, tc.body)
		var body struct {
			Error errorBody `json:"error"`
		}
		res.JSON(t, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Error.Field != tc.field {
			t.Errorf("%v: %d %s, want 422 naming %s", tc.body, res.Status, res.Body, tc.field)
		}
	}
}
