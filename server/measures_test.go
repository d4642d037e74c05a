package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/amendcare/amend/server/store"
)

// csi4Answers answers the CSI-4 with a total of 4*value capped per item.
func csi4Answers(value int) map[string]int {
	return map[string]int{"happiness": value, "warm_comfortable": value, "rewarding": value, "satisfied": value}
}

// measure stores a CSI-4 by author straight in the store.
func (w *world) measure(p *practice, author *actor, visibility string, value int, takenAt time.Time) int64 {
	w.t.Helper()
	m, err := w.store.CreateMeasure(context.Background(), store.NewMeasure{PracticeID: p.ID, CoupleID: p.CoupleID,
		AuthorID: author.ID, Key: "csi4", Answers: csi4Answers(value), Score: 4 * value, Visibility: visibility, TakenAt: takenAt})
	if err != nil {
		w.t.Fatal(err)
	}
	return m.ID
}

func measureMatrix(couplePath pathBuilder) []matrixCase {
	fresh := func(w *world, p *practice) string {
		return "/api/v1/measures/" + id(w.measure(p, p.PartnerA, "partner", 3, time.Time{}))
	}
	return []matrixCase{
		{name: "take the CSI-4", object: "measure", action: "create", success: 201,
			request:  couplePath(http.MethodPost, "/measures", map[string]any{"measure_key": "csi4", "answers": csi4Answers(3)}),
			relation: coupleRelation},
		{name: "list measures", object: "measure", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/measures", nil), relation: coupleRelation},
		{name: "read a shared measure", object: "measure", action: "read", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodGet, fresh(w, p), nil
			}, relation: sharedItemRelation},
		{name: "change a measure's visibility", object: "measure", action: "update", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPatch, fresh(w, p), map[string]any{"visibility": "therapist"}
			}, relation: sharedItemRelation},
	}
}

func TestCSI4IsScoredWithItsCutoff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	path := "/api/v1/couples/" + id(w.A.CoupleID) + "/measures"
	for _, tc := range []struct {
		answers map[string]int
		score   int
		below   bool
	}{
		{map[string]int{"happiness": 6, "warm_comfortable": 5, "rewarding": 5, "satisfied": 5}, 21, false},
		{map[string]int{"happiness": 3, "warm_comfortable": 4, "rewarding": 3, "satisfied": 4}, 14, false},
		{map[string]int{"happiness": 3, "warm_comfortable": 4, "rewarding": 3, "satisfied": 3}, 13, true},
		{csi4Answers(0), 0, true},
	} {
		res := w.A.PartnerB.do(http.MethodPost, path, map[string]any{"measure_key": "csi4", "answers": tc.answers})
		var m store.Measure
		res.JSON(t, &m)
		if res.Status != http.StatusCreated || m.Score != tc.score || m.BelowCutoff != tc.below || m.Visibility != "therapist" {
			t.Errorf("%v: %d %s, want score %d below=%v", tc.answers, res.Status, res.Body, tc.score, tc.below)
		}
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"unknown questionnaire", map[string]any{"measure_key": "phq9", "answers": csi4Answers(1)}, "measure_key"},
		{"item out of range", map[string]any{"measure_key": "csi4", "answers": map[string]int{"happiness": 7, "warm_comfortable": 1, "rewarding": 1, "satisfied": 1}}, "answers.happiness"},
		{"item missing", map[string]any{"measure_key": "csi4", "answers": map[string]int{"happiness": 1, "warm_comfortable": 1, "rewarding": 1}}, "answers.satisfied"},
		{"unknown item", map[string]any{"measure_key": "csi4", "answers": map[string]int{"happiness": 1, "warm_comfortable": 1, "rewarding": 1, "satisfied": 1, "extra": 1}}, "answers.extra"},
	} {
		res := w.A.PartnerB.doInvalid(http.MethodPost, path, tc.body)
		var body struct {
			Error apiError `json:"error"`
		}
		res.JSON(t, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Error.Field != tc.field {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.name, res.Status, res.Body, tc.field)
		}
	}
}

func TestMeasureListsRespectVisibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	private := w.measure(p, p.PartnerA, "private", 1, time.Time{})
	therapist := w.measure(p, p.PartnerA, "therapist", 2, time.Time{})
	shared := w.measure(p, p.PartnerA, "partner", 3, time.Time{})
	for _, tc := range []struct {
		reader *actor
		want   []int64
	}{
		{p.PartnerA, []int64{private, therapist, shared}},
		{p.PartnerB, []int64{shared}},
		{p.Therapist, []int64{therapist, shared}},
	} {
		var list struct {
			Measures []store.Measure `json:"measures"`
		}
		tc.reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/measures", nil).JSON(t, &list)
		var got []int64
		for _, m := range list.Measures {
			got = append(got, m.ID)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s lists %v, want %v", tc.reader.Name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s lists %v, want %v", tc.reader.Name, got, tc.want)
			}
		}
	}
	for _, reader := range []*actor{p.OtherTherapist, p.Admin, w.B.Therapist} {
		if res := reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/measures", nil); res.Status != http.StatusNotFound {
			t.Errorf("%s lists measures: %d", reader.Name, res.Status)
		}
	}
	if res := p.PartnerB.do(http.MethodGet, "/api/v1/measures/"+id(therapist), nil); res.Status != http.StatusNotFound {
		t.Errorf("the other partner reads a therapist-only measure: %d", res.Status)
	}
}
