package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/amendcare/amend/fault"
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
		{"unknown questionnaire", map[string]any{"measure_key": "bdi2", "answers": csi4Answers(1)}, "measure_key"},
		{"item out of range", map[string]any{"measure_key": "csi4", "answers": map[string]int{"happiness": 7, "warm_comfortable": 1, "rewarding": 1, "satisfied": 1}}, "answers.happiness"},
		{"item missing", map[string]any{"measure_key": "csi4", "answers": map[string]int{"happiness": 1, "warm_comfortable": 1, "rewarding": 1}}, "answers.satisfied"},
		{"unknown item", map[string]any{"measure_key": "csi4", "answers": map[string]int{"happiness": 1, "warm_comfortable": 1, "rewarding": 1, "satisfied": 1, "extra": 1}}, "answers.extra"},
	} {
		res := w.A.PartnerB.doInvalid(http.MethodPost, path, tc.body)
		var body struct {
			Error errorBody `json:"error"`
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

// phq9Answers answers the PHQ-9's first eight items with each and item 9 with selfHarm.
func phq9Answers(each, selfHarm int) map[string]int {
	answers := map[string]int{}
	for _, key := range []string{"interest", "down", "sleep", "tired", "appetite", "failure", "concentrating", "moving"} {
		answers[key] = each
	}
	answers["self_harm"] = selfHarm
	return answers
}

// TestPHQ9IsReadByItsAuthorAndTheCareTeamOnly: a PHQ-9 is scored and banded as published, goes to
// the care team with its safety flag when item 9 is above zero, and never reaches the other
// partner: not in lists, progress, divergence nor exports, and it cannot be shared or hidden.
func TestPHQ9IsReadByItsAuthorAndTheCareTeamOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	couple := "/api/v1/couples/" + id(p.CoupleID)
	for _, visibility := range []string{"partner", "private"} {
		res := p.PartnerA.do(http.MethodPost, couple+"/measures", map[string]any{"measure_key": "phq9", "answers": phq9Answers(1, 1), "visibility": visibility})
		if res.Status != http.StatusUnprocessableEntity || res.ErrorCode() != fault.Invalid {
			t.Errorf("a PHQ-9 made %s: %d %s, want 422", visibility, res.Status, res.Body)
		}
	}
	res := p.PartnerA.do(http.MethodPost, couple+"/measures", map[string]any{"measure_key": "phq9", "answers": phq9Answers(2, 1)})
	var m store.Measure
	res.JSON(t, &m)
	if res.Status != http.StatusCreated || m.Score != 17 || m.Band != "Moderately severe" || !m.SafetyFlag || m.Visibility != "therapist" || m.BelowCutoff {
		t.Fatalf("take the PHQ-9: %d %s", res.Status, res.Body)
	}
	gad := createdID(t, p.PartnerB.do(http.MethodPost, couple+"/measures", map[string]any{"measure_key": "gad7",
		"answers": map[string]int{"nervous": 3, "control_worrying": 3, "worrying": 2, "relaxing": 2, "restless": 1, "irritable": 1, "afraid": 0}}),
		http.StatusCreated, "GAD-7")
	if res := p.PartnerA.do(http.MethodPatch, "/api/v1/measures/"+id(m.ID), map[string]any{"visibility": "partner"}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("share a PHQ-9 with the other partner: %d %s, want 422", res.Status, res.Body)
	}

	for _, tc := range []struct {
		reader *actor
		want   []int64
	}{
		{p.PartnerA, []int64{m.ID}},
		{p.PartnerB, []int64{gad}},
		{p.Therapist, []int64{m.ID, gad}},
	} {
		var list struct {
			Measures []store.Measure `json:"measures"`
		}
		tc.reader.do(http.MethodGet, couple+"/measures", nil).JSON(t, &list)
		var got []int64
		for _, listed := range list.Measures {
			got = append(got, listed.ID)
			if listed.ID == m.ID && !listed.SafetyFlag {
				t.Errorf("%s sees the PHQ-9 without its safety flag", tc.reader.Name)
			}
		}
		if len(got) != len(tc.want) || got[0] != tc.want[0] || got[len(got)-1] != tc.want[len(tc.want)-1] {
			t.Errorf("%s lists %v, want %v", tc.reader.Name, got, tc.want)
		}

		var progress Progress
		tc.reader.do(http.MethodGet, couple+"/progress", nil).JSON(t, &progress)
		seen := 0
		for _, pp := range progress.Partners {
			seen += len(pp.Measures)
		}
		if seen != len(tc.want) {
			t.Errorf("%s sees %d scores in progress, want %d", tc.reader.Name, seen, len(tc.want))
		}

		var export CoupleRecord
		tc.reader.do(http.MethodGet, couple+"/export", nil).JSON(t, &export)
		if len(export.Measures) != len(tc.want) {
			t.Errorf("%s exports %d measures, want %d", tc.reader.Name, len(export.Measures), len(tc.want))
		}
	}
	if res := p.PartnerB.do(http.MethodGet, "/api/v1/measures/"+id(m.ID), nil); res.Status != http.StatusNotFound {
		t.Errorf("the other partner opens the PHQ-9: %d, want 404", res.Status)
	}
	var progress Progress
	p.Therapist.do(http.MethodGet, couple+"/progress", nil).JSON(t, &progress)
	var lines []float64
	for _, q := range progress.Questionnaires {
		if q.Key == "phq9" {
			for _, th := range q.Thresholds {
				lines = append(lines, th.Value)
			}
		}
	}
	if len(progress.Questionnaires) != 3 || len(lines) != 4 || lines[0] != 5 || lines[3] != 20 {
		t.Errorf("questionnaires %+v: want the PHQ-9's band lines at 5, 10, 15 and 20", progress.Questionnaires)
	}
}
