package server

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// sampleExercise is a practice exercise as an author sends it.
func sampleExercise(title string) map[string]any {
	return map[string]any{
		"title": title, "summary": "A short look back at the week.", "who": "each_separately",
		"default_visibility": "therapist",
		"fields": []map[string]any{
			{"key": "moment", "kind": "long_text", "label": "A moment you felt closer", "required": true},
			{"key": "closeness", "kind": "scale", "label": "How close did you feel?", "required": true, "min": 1, "max": 5},
		},
	}
}

// therapistExercise creates a practice exercise in p straight in the store and returns its id.
func (w *world) therapistExercise(p *practice) int64 {
	w.t.Helper()
	one, five := 1, 5
	exerciseID, err := w.store.CreateExercise(context.Background(), p.ID, p.Therapist.ID, store.ExerciseContent{
		Title: "Weekly look back", Who: library.WhoEachSeparately, DefaultVisibility: library.VisibilityTherapist,
		Fields: []library.Field{
			{Key: "moment", Kind: library.KindLongText, Label: "A moment you felt closer", Required: true},
			{Key: "closeness", Kind: library.KindScale, Label: "How close did you feel?", Min: &one, Max: &five},
		}})
	if err != nil {
		w.t.Fatal(err)
	}
	return exerciseID
}

func exerciseMatrix() []matrixCase {
	return []matrixCase{
		{name: "list the exercise library", object: "exercise", action: "list", success: 200,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/practices/" + id(p.ID) + "/exercises", nil
			}, relation: everyone(store.RelPractice)},
		{name: "read a built-in step", object: "exercise", action: "read", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/practices/" + id(p.ID) + "/exercises/" + id(w.builtinStep(p, "forgiveness").ID), nil
			}, relation: everyone(store.RelPractice)},
		{name: "write a practice exercise", object: "exercise", action: "create", success: 201,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/practices/" + id(p.ID) + "/exercises", sampleExercise("Weekly look back")
			}, relation: everyone(store.RelPractice)},
		{name: "revise a practice exercise", object: "exercise", action: "update", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPut, "/api/v1/practices/" + id(p.ID) + "/exercises/" + id(w.therapistExercise(p)),
					sampleExercise("Weekly look back, revised")
			}, relation: everyone(store.RelPractice)},
	}
}

func TestLibraryStartsWithTheElevenSteps(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var list struct{ Exercises []store.Exercise }
	res := w.A.PartnerA.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/exercises", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("list: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &list)
	steps := library.Steps()
	if len(list.Exercises) != len(steps) {
		t.Fatalf("library has %d exercises, want the %d built-in steps", len(list.Exercises), len(steps))
	}
	for i, step := range steps {
		got := list.Exercises[i]
		if !got.BuiltIn || got.PracticeID != nil || got.Key == nil || *got.Key != step.Key || got.Step == nil || *got.Step != step.Step ||
			got.Title != step.Title || got.Summary != step.Summary || got.Who != step.Who ||
			got.DefaultVisibility != step.DefaultVisibility || !reflect.DeepEqual([]library.Field(got.Fields), step.Fields) {
			t.Errorf("step %d in the database differs from the library: %+v", step.Step, got)
		}
	}
}

func TestRevisingAnExerciseKeepsTheVersionAlreadyAssigned(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	res := p.Therapist.do(http.MethodPost, "/api/v1/practices/"+id(p.ID)+"/exercises", sampleExercise("Weekly look back"))
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var exercise store.Exercise
	res.JSON(t, &exercise)
	if exercise.Version != 1 || exercise.BuiltIn || exercise.PracticeID == nil || *exercise.PracticeID != p.ID {
		t.Fatalf("new exercise: %+v", exercise)
	}
	assign := func() int64 {
		res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/assignments",
			map[string]any{"exercise_id": exercise.ID, "for": "a"})
		if res.Status != http.StatusCreated {
			t.Fatalf("assign: %d %s", res.Status, res.Body)
		}
		var created struct{ Assignments []store.Assignment }
		res.JSON(t, &created)
		return created.Assignments[0].ID
	}
	early := assign()

	revised := sampleExercise("Weekly look back")
	revised["fields"] = []map[string]any{{"key": "thanks", "kind": "short_text", "label": "Something to thank your partner for", "required": true}}
	res = p.Admin.do(http.MethodPut, "/api/v1/practices/"+id(p.ID)+"/exercises/"+id(exercise.ID), revised)
	if res.Status != http.StatusOK {
		t.Fatalf("revise: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &exercise)
	if exercise.Version != 2 || exercise.Fields[0].Key != "thanks" {
		t.Fatalf("revised exercise: %+v", exercise)
	}
	late := assign()

	for _, tc := range []struct {
		assignmentID int64
		version      int
		field        string
	}{{early, 1, "moment"}, {late, 2, "thanks"}} {
		var a assignmentBody
		p.PartnerA.do(http.MethodGet, "/api/v1/assignments/"+id(tc.assignmentID), nil).JSON(t, &a)
		if a.ExerciseVersion != tc.version || a.Exercise == nil || a.Exercise.Version != tc.version || a.Exercise.Fields[0].Key != tc.field {
			t.Errorf("assignment %d should keep version %d: %+v", tc.assignmentID, tc.version, a)
		}
		// Answers are checked against the assignment's own version.
		answers := map[string]any{"answers": map[string]any{tc.field: "Yes"}}
		if tc.field == "moment" {
			answers = map[string]any{"answers": map[string]any{"moment": "The walk on Sunday.", "closeness": 4}}
		}
		if res := p.PartnerA.do(http.MethodPost, "/api/v1/assignments/"+id(tc.assignmentID)+"/submit", answers); res.Status != http.StatusOK {
			t.Errorf("submit against version %d: %d %s", tc.version, res.Status, res.Body)
		}
	}
	var old store.Exercise
	p.PartnerB.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/exercises/"+id(exercise.ID)+"?version=1", nil).JSON(t, &old)
	if old.Version != 1 || old.CurrentVersion != 2 || old.Fields[0].Key != "moment" {
		t.Errorf("version 1 should still be readable: %+v", old)
	}
}

func TestExerciseDefinitionsAreCheckedFieldByField(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	with := func(change func(map[string]any)) map[string]any {
		e := sampleExercise("Checked")
		change(e)
		return e
	}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"no fields", with(func(e map[string]any) { e["fields"] = []any{} }), "fields"},
		{"a key that is not snake_case", with(func(e map[string]any) {
			e["fields"] = []map[string]any{{"key": "Bad Key", "kind": "long_text", "label": "L"}}
		}), "fields[0].key"},
		{"a checklist without options", with(func(e map[string]any) {
			e["fields"] = []map[string]any{{"key": "pick", "kind": "checklist", "label": "L"}}
		}), "fields[0].options"},
		{"an unknown audience", with(func(e map[string]any) { e["who"] = "everyone" }), "who"},
		{"an unknown visibility", with(func(e map[string]any) { e["default_visibility"] = "public" }), "default_visibility"},
		{"a blank title", with(func(e map[string]any) { e["title"] = "  " }), "title"},
	}
	for _, tc := range cases {
		res := w.A.Therapist.doInvalid(http.MethodPost, "/api/v1/practices/"+id(w.A.ID)+"/exercises", tc.body)
		var body struct{ Error errorBody }
		_ = json.Unmarshal(res.Body, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Error.Field != tc.field {
			t.Errorf("%s: got %d %s, want 422 naming %s", tc.name, res.Status, res.Body, tc.field)
		}
	}
}

func TestExercisesStayWithTheirPractice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ours := w.therapistExercise(w.A)
	builtIn := w.builtinStep(w.A, "apology").ID
	cases := []struct {
		name   string
		by     *actor
		method string
		path   string
		body   any
		want   int
	}{
		{"practice B reads it through its own practice", w.B.Therapist, http.MethodGet, "/api/v1/practices/" + id(w.B.ID) + "/exercises/" + id(ours), nil, 404},
		{"practice B reads it through practice A", w.B.Therapist, http.MethodGet, "/api/v1/practices/" + id(w.A.ID) + "/exercises/" + id(ours), nil, 404},
		{"practice B revises it", w.B.Admin, http.MethodPut, "/api/v1/practices/" + id(w.B.ID) + "/exercises/" + id(ours), sampleExercise("Taken"), 404},
		{"a partner cannot write exercises", w.A.PartnerA, http.MethodPut, "/api/v1/practices/" + id(w.A.ID) + "/exercises/" + id(ours), sampleExercise("Mine"), 403},
		{"built-in steps are not edited", w.A.Therapist, http.MethodPut, "/api/v1/practices/" + id(w.A.ID) + "/exercises/" + id(builtIn), sampleExercise("Renamed"), 409},
		{"practice B shares the built-in steps", w.B.PartnerA, http.MethodGet, "/api/v1/practices/" + id(w.B.ID) + "/exercises/" + id(builtIn), nil, 200},
	}
	for _, tc := range cases {
		if res := tc.by.do(tc.method, tc.path, tc.body); res.Status != tc.want {
			t.Errorf("%s: got %d %s, want %d", tc.name, res.Status, res.Body, tc.want)
		}
	}
	var list struct{ Exercises []store.Exercise }
	w.B.Therapist.do(http.MethodGet, "/api/v1/practices/"+id(w.B.ID)+"/exercises", nil).JSON(t, &list)
	for _, e := range list.Exercises {
		if e.ID == ours {
			t.Errorf("practice B's library lists practice A's exercise")
		}
	}
}

func TestExerciseVersionsCannotBeRewritten(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	exerciseID := w.therapistExercise(w.A)
	if _, err := w.store.DB().Exec(`UPDATE exercise_versions SET title = 'Rewritten' WHERE exercise_id = $1`, exerciseID); err == nil {
		t.Fatal("an exercise version's content changed in place; it must only gain new versions")
	}
	// Its author's account going away only clears the authorship.
	if _, err := w.store.DB().Exec(`UPDATE exercise_versions SET created_by = NULL WHERE exercise_id = $1`, exerciseID); err != nil {
		t.Fatalf("clearing the author: %v", err)
	}
}
