package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"testing"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// builtinStep returns the built-in exercise with the given key as practice p sees it.
func (w *world) builtinStep(p *practice, key string) store.Exercise {
	w.t.Helper()
	exercises, err := w.store.Exercises(context.Background(), p.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range exercises {
		if e.Key != nil && *e.Key == key {
			return e
		}
	}
	w.t.Fatalf("no built-in exercise %q", key)
	return store.Exercise{}
}

// assignStep gives the built-in step to the partner in seat of p's Couple, with the response's
// visibility set, and returns the assignment id.
func (w *world) assignStep(p *practice, key, seat, visibility string) int64 {
	w.t.Helper()
	ctx := context.Background()
	ids, err := w.store.CreateAssignments(ctx, store.NewAssignment{PracticeID: p.ID, CoupleID: p.CoupleID,
		ExerciseID: w.builtinStep(p, key).ID, Seats: []string{seat}, AssignedBy: p.Therapist.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.store.SetResponseVisibility(ctx, p.ID, ids[0], visibility); err != nil {
		w.t.Fatal(err)
	}
	return ids[0]
}

// submitStep answers every field of the assignment's exercise acceptably and submits it.
func (w *world) submitStep(p *practice, assignmentID int64) {
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
	if err := w.store.SubmitResponse(ctx, p.ID, assignmentID, exerciseAnswers(e.Fields)); err != nil {
		w.t.Fatal(err)
	}
}

// exerciseAnswers builds a complete, acceptable answer for every field.
func exerciseAnswers(fields []library.Field) json.RawMessage {
	answers := map[string]any{}
	for _, f := range fields {
		switch f.Kind {
		case library.KindLongText, library.KindShortText:
			answers[f.Key] = "Written with care for " + f.Key
		case library.KindScale:
			low := 0
			if f.Min != nil {
				low = *f.Min
			}
			answers[f.Key] = low + 1
		case library.KindChecklist:
			answers[f.Key] = f.Options[:1]
		case library.KindList:
			n := 1
			if f.Min != nil && *f.Min > 1 {
				n = *f.Min
			}
			items := make([]string, n)
			for i := range items {
				items[i] = fmt.Sprintf("item %d", i+1)
			}
			answers[f.Key] = items
		}
	}
	data, _ := json.Marshal(answers)
	return data
}

// sharedResponseRelation models how a fixture actor stands to a response (or its assignment) that
// PartnerA of p's Couple wrote and shares with their partner.
func sharedResponseRelation(p *practice, a *actor) string {
	switch a {
	case p.PartnerA:
		return store.RelSelf
	case p.PartnerB:
		return store.RelPartner
	case p.Therapist:
		return store.RelCareTeam
	}
	return store.RelPractice
}

func assignmentMatrix() []matrixCase {
	shared := func(w *world, p *practice) int64 { return w.assignStep(p, "apology", "a", "partner") }
	submitted := func(w *world, p *practice) int64 {
		assignmentID := shared(w, p)
		w.submitStep(p, assignmentID)
		return assignmentID
	}
	at := func(method, suffix string, make func(*world, *practice) int64, body func(*world, *practice, int64) any) func(*world, *practice) (string, string, any) {
		return func(w *world, p *practice) (string, string, any) {
			assignmentID := make(w, p)
			var b any
			if body != nil {
				b = body(w, p, assignmentID)
			}
			return method, "/api/v1/assignments/" + id(assignmentID) + suffix, b
		}
	}
	fixed := func(v any) func(*world, *practice, int64) any { return func(*world, *practice, int64) any { return v } }
	return []matrixCase{
		{name: "list a couple's assignments", object: "assignment", action: "list", success: 200,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/couples/" + id(p.CoupleID) + "/assignments", nil
			}, relation: coupleRelation},
		{name: "assign an exercise", object: "assignment", action: "create", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/couples/" + id(p.CoupleID) + "/assignments",
					map[string]any{"exercise_id": w.builtinStep(p, "counseling").ID, "for": "both", "due_on": "2031-05-01"}
			}, relation: coupleRelation},
		{name: "read an assignment", object: "assignment", action: "read", success: 200,
			request: at(http.MethodGet, "", shared, nil), relation: sharedResponseRelation},
		{name: "reopen an assignment", object: "assignment", action: "reopen", success: 200,
			request: at(http.MethodPost, "/reopen", submitted, nil), relation: sharedResponseRelation},
		{name: "read a response", object: "response", action: "read", success: 200,
			request: at(http.MethodGet, "/response", shared, nil), relation: sharedResponseRelation},
		{name: "save a draft", object: "response", action: "write", success: 200,
			request:  at(http.MethodPut, "/draft", shared, fixed(map[string]any{"answers": map[string]any{"what_happened": "I lied."}})),
			relation: sharedResponseRelation},
		{name: "submit a response", object: "response", action: "submit", success: 200,
			request: at(http.MethodPost, "/submit", shared, func(w *world, p *practice, _ int64) any {
				return map[string]any{"answers": exerciseAnswers(w.builtinStep(p, "apology").Fields)}
			}), relation: sharedResponseRelation},
		{name: "choose who reads a response", object: "response", action: "share", success: 200,
			request:  at(http.MethodPut, "/visibility", shared, fixed(map[string]any{"visibility": "partner"})),
			relation: sharedResponseRelation},
		{name: "review a response", object: "response", action: "review", success: 200,
			request:  at(http.MethodPost, "/review", submitted, fixed(map[string]any{"feedback": "Thank you for this."})),
			relation: sharedResponseRelation},
		{name: "list comments", object: "comment", action: "list", success: 200,
			request: at(http.MethodGet, "/comments", shared, nil), relation: sharedResponseRelation},
		{name: "comment on a response", object: "comment", action: "create", success: 201,
			request: at(http.MethodPost, "/comments", shared, func(w *world, p *practice, assignmentID int64) any {
				k, err := w.store.AddComment(context.Background(), p.ID, assignmentID, p.Therapist.ID, nil, "What stood out to you?")
				if err != nil {
					w.t.Fatal(err)
				}
				return map[string]any{"body": "The part about sleep.", "parent_id": k.ID}
			}), relation: sharedResponseRelation},
	}
}

type assignmentBody struct {
	store.Assignment
	Exercise *store.Exercise `json:"exercise"`
	Response *store.Response `json:"response"`
}

func TestAssignmentGoesFromDraftToReviewAndBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	apology := w.builtinStep(p, "apology")
	res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/assignments",
		map[string]any{"exercise_id": apology.ID, "for": "both", "due_on": "2031-02-03", "note": "Take your time."})
	if res.Status != http.StatusCreated {
		t.Fatalf("assign: %d %s", res.Status, res.Body)
	}
	var created struct{ Assignments []store.Assignment }
	res.JSON(t, &created)
	if len(created.Assignments) != 2 || created.Assignments[0].AssigneeSeat != "a" || created.Assignments[1].AssigneeSeat != "b" {
		t.Fatalf("assigning to both should make one assignment per seat, got %+v", created.Assignments)
	}
	first := created.Assignments[0]
	if first.Status != store.StatusAssigned || first.DueOn == nil || *first.DueOn != "2031-02-03" ||
		first.Visibility != apology.DefaultVisibility || first.ExerciseVersion != 1 {
		t.Fatalf("new assignment: %+v", first)
	}
	path := "/api/v1/assignments/" + id(first.ID)
	status := func() string {
		var a assignmentBody
		res := p.Therapist.do(http.MethodGet, path, nil)
		res.JSON(t, &a)
		return a.Status
	}

	steps := []struct {
		name   string
		by     *actor
		method string
		suffix string
		body   any
		want   int
		field  string
		status string
	}{
		{"the other partner cannot write it", p.PartnerB, http.MethodPut, "/draft", map[string]any{"answers": map[string]any{}}, 404, "", store.StatusAssigned},
		{"the therapist cannot write it", p.Therapist, http.MethodPut, "/draft", map[string]any{"answers": map[string]any{}}, 403, "", store.StatusAssigned},
		{"a draft may leave required fields empty", p.PartnerA, http.MethodPut, "/draft", map[string]any{"answers": map[string]any{"what_happened": "I hid messages."}}, 200, "", store.StatusInProgress},
		{"a draft still checks what is written", p.PartnerA, http.MethodPut, "/draft", map[string]any{"answers": map[string]any{"read_back": []string{"not an option"}}}, 422, "answers.read_back", store.StatusInProgress},
		{"a draft rejects fields the exercise lacks", p.PartnerA, http.MethodPut, "/draft", map[string]any{"answers": map[string]any{"mood": "fine"}}, 422, "answers.mood", store.StatusInProgress},
		{"submitting names the first missing field", p.PartnerA, http.MethodPost, "/submit", map[string]any{}, 422, "answers.effect_on_partner", store.StatusInProgress},
		{"review waits for a submission", p.Therapist, http.MethodPost, "/review", map[string]any{"feedback": "Good start."}, 409, "", store.StatusInProgress},
		{"a complete response is submitted", p.PartnerA, http.MethodPost, "/submit", map[string]any{"answers": exerciseAnswers(apology.Fields)}, 200, "", store.StatusSubmitted},
		{"a submitted response takes no drafts", p.PartnerA, http.MethodPut, "/draft", map[string]any{"answers": map[string]any{}}, 409, "", store.StatusSubmitted},
		{"another therapist cannot review", p.OtherTherapist, http.MethodPost, "/review", map[string]any{"feedback": "Hm."}, 404, "", store.StatusSubmitted},
		{"the care team reviews with feedback", p.Therapist, http.MethodPost, "/review", map[string]any{"feedback": "This is honest and specific."}, 200, "", store.StatusReviewed},
		{"the partner cannot reopen", p.PartnerA, http.MethodPost, "/reopen", nil, 403, "", store.StatusReviewed},
		{"the care team reopens", p.Therapist, http.MethodPost, "/reopen", nil, 200, "", store.StatusReopened},
		{"a reopened response is drafted again", p.PartnerA, http.MethodPut, "/draft", map[string]any{"answers": map[string]any{"what_happened": "I hid messages for months."}}, 200, "", store.StatusInProgress},
		{"the saved draft is checked in full on submit", p.PartnerA, http.MethodPost, "/submit", map[string]any{}, 422, "answers.effect_on_partner", store.StatusInProgress},
		{"and submitted again", p.PartnerA, http.MethodPost, "/submit", map[string]any{"answers": exerciseAnswers(apology.Fields)}, 200, "", store.StatusSubmitted},
	}
	for _, step := range steps {
		res := step.by.do(step.method, path+step.suffix, step.body)
		if res.Status != step.want {
			t.Fatalf("%s: got %d %s, want %d", step.name, res.Status, res.Body, step.want)
		}
		if step.field != "" {
			var body struct{ Error errorBody }
			res.JSON(t, &body)
			if body.Error.Field != step.field {
				t.Fatalf("%s: error names %q, want %q (%s)", step.name, body.Error.Field, step.field, res.Body)
			}
		}
		if got := status(); got != step.status {
			t.Fatalf("%s: status %q, want %q", step.name, got, step.status)
		}
	}
	var final assignmentBody
	p.PartnerA.do(http.MethodGet, path, nil).JSON(t, &final)
	if final.Feedback != "This is honest and specific." || final.Response == nil || final.Response.SubmittedAt == nil {
		t.Fatalf("the partner should see the feedback and their submitted response: %+v", final)
	}
}

func TestAssigningChecksItsInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	theirs := w.therapistExercise(w.B)
	cases := []struct {
		name  string
		body  map[string]any
		want  int
		field string
	}{
		{"an exercise of another practice", map[string]any{"exercise_id": theirs, "for": "a"}, 422, "exercise_id"},
		{"a seat that does not exist", map[string]any{"exercise_id": w.builtinStep(p, "apology").ID, "for": "c"}, 422, "for"},
		{"a date that is not a date", map[string]any{"exercise_id": w.builtinStep(p, "apology").ID, "for": "a", "due_on": "next week"}, 422, "due_on"},
	}
	for _, tc := range cases {
		res := p.Therapist.doInvalid(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/assignments", tc.body)
		var body struct{ Error errorBody }
		res.JSON(t, &body)
		if res.Status != tc.want || body.Error.Field != tc.field {
			t.Errorf("%s: got %d %s, want %d naming %s", tc.name, res.Status, res.Body, tc.want, tc.field)
		}
	}
	// A seat nobody has taken yet cannot be given work.
	empty := w.couple(p.ID, "Waiting couple", p.Therapist.ID)
	res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(empty)+"/assignments",
		map[string]any{"exercise_id": w.builtinStep(p, "apology").ID, "for": "b"})
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("assigning to an empty seat: got %d %s, want 422", res.Status, res.Body)
	}
}

// TestResponsePrivacyForEveryAuthorReaderAndVisibility walks every combination of author (each
// partner), visibility and reader for reading the response and its assignment, the couple's
// assignment list and the couple's counts.
func TestResponsePrivacyForEveryAuthorReaderAndVisibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	type reader struct {
		name string
		who  func(author, other *actor) *actor
	}
	readers := []reader{
		{"author", func(author, _ *actor) *actor { return author }},
		{"other partner", func(_, other *actor) *actor { return other }},
		{"care-team therapist", func(_, _ *actor) *actor { return p.Therapist }},
		{"other therapist", func(_, _ *actor) *actor { return p.OtherTherapist }},
		{"admin", func(_, _ *actor) *actor { return p.Admin }},
		{"other practice", func(_, _ *actor) *actor { return w.B.Therapist }},
	}
	// expect says what a reader gets: the response (read), the assignment (assignment), the list
	// (list: 200 or 404, listed, response embedded), and the couple (couple: 200 or 404, counted).
	type expectation struct {
		response, assignment, list, couple int
		listed, embedded, counted          bool
	}
	expect := func(readerName, visibility string) expectation {
		switch readerName {
		case "author":
			return expectation{200, 200, 200, 200, true, true, true}
		case "other partner":
			if visibility == "partner" {
				return expectation{200, 200, 200, 200, true, true, true}
			}
			return expectation{404, 404, 200, 200, false, false, false}
		case "care-team therapist":
			if visibility == "private" {
				return expectation{404, 200, 200, 200, true, false, true}
			}
			return expectation{200, 200, 200, 200, true, true, true}
		case "admin":
			return expectation{404, 404, 404, 200, false, false, false}
		}
		return expectation{404, 404, 404, 404, false, false, false}
	}
	openCount := func(a *actor) (int, int) {
		res := a.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID), nil)
		var v coupleView
		if res.Status == http.StatusOK {
			res.JSON(t, &v)
		}
		return res.Status, v.Assignments.Open
	}
	for _, seat := range []string{"a", "b"} {
		author, other := p.PartnerA, p.PartnerB
		if seat == "b" {
			author, other = p.PartnerB, p.PartnerA
		}
		for _, visibility := range []string{"private", "therapist", "partner"} {
			before := map[string]int{}
			for _, r := range readers {
				_, before[r.name] = openCount(r.who(author, other))
			}
			assignmentID := w.assignStep(p, "counseling", seat, visibility)
			for _, r := range readers {
				t.Run(fmt.Sprintf("%s writes %s, %s reads", seat, visibility, r.name), func(t *testing.T) {
					reader, want := r.who(author, other), expect(r.name, visibility)
					if res := reader.do(http.MethodGet, "/api/v1/assignments/"+id(assignmentID)+"/response", nil); res.Status != want.response {
						t.Errorf("response: got %d %s, want %d", res.Status, res.Body, want.response)
					}
					res := reader.do(http.MethodGet, "/api/v1/assignments/"+id(assignmentID), nil)
					if res.Status != want.assignment {
						t.Errorf("assignment: got %d %s, want %d", res.Status, res.Body, want.assignment)
					}
					if res.Status == http.StatusOK {
						var a assignmentBody
						res.JSON(t, &a)
						if (a.Response != nil) != want.embedded {
							t.Errorf("assignment shows its response: %v, want %v", a.Response != nil, want.embedded)
						}
					}
					res = reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/assignments", nil)
					if res.Status != want.list {
						t.Errorf("list: got %d %s, want %d", res.Status, res.Body, want.list)
					}
					if res.Status == http.StatusOK {
						var list struct{ Assignments []assignmentBody }
						res.JSON(t, &list)
						listed, embedded := false, false
						for _, a := range list.Assignments {
							if a.ID == assignmentID {
								listed, embedded = true, a.Response != nil
							}
						}
						if listed != want.listed || embedded != want.embedded {
							t.Errorf("list: listed %v with response %v, want %v and %v", listed, embedded, want.listed, want.embedded)
						}
					}
					status, open := openCount(reader)
					if status != want.couple {
						t.Errorf("couple: got %d, want %d", status, want.couple)
					}
					if counted := open-before[r.name] == 1; status == http.StatusOK && counted != want.counted {
						t.Errorf("counts: open went from %d to %d, counted %v, want %v", before[r.name], open, counted, want.counted)
					}
				})
			}
		}
	}
}

func TestNarrowingVisibilityHidesAResponseAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	assignmentID := w.assignStep(p, "commitment", "a", "partner")
	w.submitStep(p, assignmentID)
	path := "/api/v1/assignments/" + id(assignmentID)
	if _, err := w.store.AddComment(context.Background(), p.ID, assignmentID, p.Therapist.ID, nil, "Clear and kind."); err != nil {
		t.Fatal(err)
	}
	changes := []struct {
		visibility      string
		partner, doctor int
	}{
		{"partner", 200, 200},
		{"therapist", 404, 200},
		{"private", 404, 404},
		{"partner", 200, 200},
	}
	for _, ch := range changes {
		if res := p.PartnerA.do(http.MethodPut, path+"/visibility", map[string]any{"visibility": ch.visibility}); res.Status != http.StatusOK {
			t.Fatalf("set %s: %d %s", ch.visibility, res.Status, res.Body)
		}
		for _, suffix := range []string{"/response", "/comments"} {
			if res := p.PartnerB.do(http.MethodGet, path+suffix, nil); res.Status != ch.partner {
				t.Errorf("%s: partner reads %s: got %d, want %d", ch.visibility, suffix, res.Status, ch.partner)
			}
			if res := p.Therapist.do(http.MethodGet, path+suffix, nil); res.Status != ch.doctor {
				t.Errorf("%s: therapist reads %s: got %d, want %d", ch.visibility, suffix, res.Status, ch.doctor)
			}
		}
	}
	// Only the author chooses who reads.
	if res := p.PartnerB.do(http.MethodPut, path+"/visibility", map[string]any{"visibility": "private"}); res.Status != http.StatusForbidden {
		t.Errorf("the other partner narrowing it: got %d, want 403", res.Status)
	}
	if res := p.Therapist.do(http.MethodPut, path+"/visibility", map[string]any{"visibility": "private"}); res.Status != http.StatusForbidden {
		t.Errorf("the therapist narrowing it: got %d, want 403", res.Status)
	}
}

func TestCommentsAreFeedbackAndTheAuthorsReplies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	assignmentID := w.assignStep(p, "apology", "a", "therapist")
	w.submitStep(p, assignmentID)
	path := "/api/v1/assignments/" + id(assignmentID) + "/comments"

	res := p.Therapist.do(http.MethodPost, path, map[string]any{"body": "  What made the second part hard to write?  "})
	if res.Status != http.StatusCreated {
		t.Fatalf("therapist comment: %d %s", res.Status, res.Body)
	}
	var feedback store.Comment
	res.JSON(t, &feedback)
	if feedback.Body != "What made the second part hard to write?" || feedback.AuthorName != p.Therapist.Name {
		t.Fatalf("comment: %+v", feedback)
	}
	otherAssignment := w.assignStep(p, "apology", "a", "therapist")
	elsewhere, err := w.store.AddComment(context.Background(), p.ID, otherAssignment, p.Therapist.ID, nil, "Elsewhere.")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		by    *actor
		body  map[string]any
		want  int
		field string
	}{
		{"the author replies to feedback", p.PartnerA, map[string]any{"body": "Saying it out loud.", "parent_id": feedback.ID}, 201, ""},
		{"the author does not start a thread", p.PartnerA, map[string]any{"body": "Hello"}, 422, "parent_id"},
		{"a reply belongs to a comment on this response", p.PartnerA, map[string]any{"body": "Hi", "parent_id": elsewhere.ID}, 422, "parent_id"},
		{"an empty comment is refused", p.Therapist, map[string]any{"body": "   "}, 422, "body"},
		{"the other partner cannot see it to comment", p.PartnerB, map[string]any{"body": "Me too", "parent_id": feedback.ID}, 404, ""},
		{"another therapist cannot see it to comment", p.OtherTherapist, map[string]any{"body": "Note"}, 404, ""},
		{"an administrator cannot see it to comment", p.Admin, map[string]any{"body": "Note"}, 404, ""},
	}
	for _, tc := range cases {
		res := tc.by.do(http.MethodPost, path, tc.body)
		var body struct{ Error errorBody }
		_ = json.Unmarshal(res.Body, &body)
		if res.Status != tc.want || body.Error.Field != tc.field {
			t.Errorf("%s: got %d %s, want %d naming %q", tc.name, res.Status, res.Body, tc.want, tc.field)
		}
	}
	var list struct{ Comments []store.Comment }
	p.PartnerA.do(http.MethodGet, path, nil).JSON(t, &list)
	if len(list.Comments) != 2 || list.Comments[1].ParentID == nil || *list.Comments[1].ParentID != feedback.ID {
		t.Fatalf("the author should see the feedback and their reply: %+v", list.Comments)
	}
}

// A response kept private is done for the partner alone: it reads as done_private, it is not
// counted as waiting for review, and there is nothing of it for the care team to review. Shared
// with the therapist later, it is handed in for review like any other.
func TestPrivateAnswerIsDoneNotWaitingForReview(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	private := w.assignStep(p, "apology", "a", "private")
	w.submitStep(p, private)
	shared := w.assignStep(p, "being_specific", "a", "therapist")
	w.submitStep(p, shared)

	waiting := func() int {
		t.Helper()
		var view coupleView
		p.Therapist.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID), nil).JSON(t, &view)
		return view.Assignments.Submitted
	}
	for _, tc := range []struct {
		reader *actor
		status int
		want   string
	}{
		{p.PartnerA, http.StatusOK, "done_private"},
		{p.Therapist, http.StatusOK, "done_private"},
		{p.PartnerB, http.StatusNotFound, ""},
		{p.OtherTherapist, http.StatusNotFound, ""},
	} {
		res := tc.reader.do(http.MethodGet, "/api/v1/assignments/"+id(private), nil)
		var got store.Assignment
		res.JSON(t, &got)
		if res.Status != tc.status || got.Status != tc.want {
			t.Errorf("%s reads the private answer's assignment: %d status %q, want %d %q", tc.reader.Name, res.Status, got.Status, tc.status, tc.want)
		}
	}
	if n := waiting(); n != 1 {
		t.Errorf("the couple shows %d waiting for review, want 1 (the shared answer only)", n)
	}
	if res := p.Therapist.do(http.MethodPost, "/api/v1/assignments/"+id(private)+"/review", map[string]any{"feedback": "Well done."}); res.Status == http.StatusOK {
		t.Errorf("the therapist reviews a private answer: %d %s", res.Status, res.Body)
	}
	if res := p.PartnerA.do(http.MethodPut, "/api/v1/assignments/"+id(private)+"/visibility", map[string]any{"visibility": "therapist"}); res.Status != http.StatusOK {
		t.Fatalf("sharing the answer with the therapist: %d %s", res.Status, res.Body)
	}
	if n := waiting(); n != 2 {
		t.Errorf("after sharing, the couple shows %d waiting for review, want 2", n)
	}
}

// A draft saved while the response is being handed in never overwrites the handed-in answers:
// whichever comes second, the submission wins or the draft is refused as a conflict.
func TestDraftsRacingASubmissionNeverOverwriteIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	apology := w.builtinStep(p, "apology")
	submitted := exerciseAnswers(apology.Fields)
	ctx := t.Context()
	for round := range 5 {
		res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/assignments",
			map[string]any{"exercise_id": apology.ID, "for": "a"})
		var created struct{ Assignments []store.Assignment }
		res.JSON(t, &created)
		if res.Status != http.StatusCreated || len(created.Assignments) != 1 {
			t.Fatalf("assign: %d %s", res.Status, res.Body)
		}
		assignmentID := created.Assignments[0].ID
		errs := make(chan error, 9)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				draft := json.RawMessage(`{"what_happened": "draft ` + strconv.Itoa(i) + `"}`)
				if err := w.store.SaveDraft(ctx, p.ID, assignmentID, draft); err != nil && fault.ErrorCode(err) != fault.Conflict {
					errs <- err
				}
			})
		}
		wg.Go(func() {
			if err := w.store.SubmitResponse(ctx, p.ID, assignmentID, submitted); err != nil {
				errs <- err
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
		response, err := w.store.ResponseByAssignment(ctx, p.ID, assignmentID)
		if err != nil {
			t.Fatal(err)
		}
		var got, want map[string]any
		if err := json.Unmarshal(response.Answers, &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(submitted, &want); err != nil {
			t.Fatal(err)
		}
		if response.SubmittedAt == nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: the handed-in response reads %s (submitted at %v), want the submitted answers", round, response.Answers, response.SubmittedAt)
		}
	}
}
