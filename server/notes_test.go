package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/amendcare/amend/server/store"
)

var completeSOAP = map[string]string{"subjective": "Both describe a calmer week.", "objective": "Took turns without interrupting.",
	"assessment": "Early repair under way.", "plan": "Continue the daily check-ins."}

// note writes a SOAP note by author on p's Couple straight to the store, signed when asked.
func (w *world) note(p *practice, author *actor, signed bool) int64 {
	w.t.Helper()
	ctx := context.Background()
	n, err := w.store.CreateNote(ctx, store.NewNote{PracticeID: p.ID, CoupleID: p.CoupleID, AuthorID: author.ID,
		Template: "soap", Sections: completeSOAP})
	if err != nil {
		w.t.Fatal(err)
	}
	if signed {
		if _, err := w.store.SignNote(ctx, p.ID, n.ID, func(string, store.Sections) error { return nil }); err != nil {
			w.t.Fatal(err)
		}
	}
	return n.ID
}

// liveSessionRow adds a live session of the couple straight to the database and returns its id.
func (w *world) liveSessionRow(p *practice, coupleID int64) int64 {
	w.t.Helper()
	var sessionID int64
	if err := w.store.DB().Get(&sessionID, `INSERT INTO live_sessions (practice_id, couple_id, mode, state)
		VALUES ($1, $2, 'turns', '{}') RETURNING id`, p.ID, coupleID); err != nil {
		w.t.Fatal(err)
	}
	return sessionID
}

// colleague adds a new therapist to the care team of p's Couple, next to p.Therapist.
func (w *world) colleague(p *practice) *actor {
	w.t.Helper()
	c := w.member(p.ID, "colleague", fmt.Sprintf("colleague%d@%d.test", w.counter(), p.ID), store.RoleTherapist)
	if err := w.store.SetCoupleCareTeam(context.Background(), p.ID, p.CoupleID, []int64{p.Therapist.ID, c.ID}); err != nil {
		w.t.Fatal(err)
	}
	return c
}

// ownNoteRelation models how a fixture actor stands to a note p.Therapist wrote.
func ownNoteRelation(p *practice, a *actor) string {
	if a == p.Therapist {
		return store.RelSelf
	}
	return coupleRelation(p, a)
}

func noteMatrix(couplePath pathBuilder) []matrixCase {
	own := func(signed bool) func(w *world, p *practice) string {
		return func(w *world, p *practice) string { return "/api/v1/notes/" + id(w.note(p, p.Therapist, signed)) }
	}
	colleagues := func(w *world, p *practice) string {
		return "/api/v1/notes/" + id(w.note(p, w.colleague(p), true))
	}
	return []matrixCase{
		{name: "write a note", object: "note", action: "create", success: 201,
			request:  couplePath(http.MethodPost, "/notes", map[string]any{"template": "dap", "sections": map[string]string{"data": "First session."}}),
			relation: coupleRelation},
		{name: "list notes", object: "note", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/notes", nil), relation: coupleRelation},
		{name: "read own note", object: "note", action: "read", success: 200,
			request:  func(w *world, p *practice) (string, string, any) { return http.MethodGet, own(false)(w, p), nil },
			relation: ownNoteRelation},
		{name: "read a colleague's note", object: "note", action: "read", success: 200,
			request:  func(w *world, p *practice) (string, string, any) { return http.MethodGet, colleagues(w, p), nil },
			relation: coupleRelation},
		{name: "edit a draft note", object: "note", action: "update", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPatch, own(false)(w, p), map[string]any{"sections": map[string]string{"plan": "Revisit step three."}}
			}, relation: ownNoteRelation},
		{name: "sign a note", object: "note", action: "sign", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, own(false)(w, p) + "/sign", nil
			},
			relation: ownNoteRelation},
		{name: "add an addendum to own note", object: "note", action: "addend", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, own(true)(w, p) + "/addenda", map[string]any{"text": "Corrected the date."}
			}, relation: ownNoteRelation},
		{name: "add an addendum to a colleague's note", object: "note", action: "addend", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, colleagues(w, p) + "/addenda", map[string]any{"text": "Seen and agreed."}
			}, relation: coupleRelation},
		{name: "read a note whose author left the care team", object: "note", action: "read", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/notes/" + id(w.handedOverNote(p)), nil
			}, relation: handedOverRelation},
		{name: "edit a draft note whose author left the care team", object: "note", action: "update", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPatch, "/api/v1/notes/" + id(w.handedOverNote(p)), map[string]any{"sections": map[string]string{"plan": "Hand over."}}
			}, relation: handedOverRelation},
	}
}

// handedOverNote has p.Therapist write a draft note on p's Couple, then hands the couple's care
// over to p.OtherTherapist.
func (w *world) handedOverNote(p *practice) int64 {
	w.t.Helper()
	n := w.note(p, p.Therapist, false)
	if err := w.store.SetCoupleCareTeam(context.Background(), p.ID, p.CoupleID, []int64{p.OtherTherapist.ID}); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// handedOverRelation models how a fixture actor stands to a note of handedOverNote: its author is
// off the care team and stands to it like anyone else in the practice.
func handedOverRelation(p *practice, a *actor) string {
	switch a {
	case p.OtherTherapist:
		return store.RelCareTeam
	case p.PartnerA, p.PartnerB:
		return store.RelCouple
	}
	return store.RelPractice
}

func TestTherapistOffTheCareTeamLosesTheirNotesUntilBackOnIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	draft := "/api/v1/notes/" + id(w.note(p, p.Therapist, false))
	signed := "/api/v1/notes/" + id(w.note(p, p.Therapist, true))
	list := "/api/v1/couples/" + id(p.CoupleID) + "/notes"
	careTeam := func(therapists ...*actor) {
		t.Helper()
		ids := make([]int64, len(therapists))
		for i, a := range therapists {
			ids[i] = a.ID
		}
		if res := p.Admin.do(http.MethodPut, "/api/v1/couples/"+id(p.CoupleID)+"/care-team", map[string]any{"therapists": ids}); res.Status != http.StatusOK {
			t.Fatalf("set the care team: %d %s", res.Status, res.Body)
		}
	}
	requests := []struct {
		name   string
		method string
		path   string
		body   any
		onTeam int // the author's answer while on the care team
	}{
		{"reads the draft", http.MethodGet, draft, nil, http.StatusOK},
		{"reads the signed note", http.MethodGet, signed, nil, http.StatusOK},
		{"lists the couple's notes", http.MethodGet, list, nil, http.StatusOK},
		{"edits the draft", http.MethodPatch, draft, map[string]any{"sections": completeSOAP}, http.StatusOK},
		{"adds an addendum", http.MethodPost, signed + "/addenda", map[string]any{"text": "One more thing."}, http.StatusCreated},
		{"signs the draft", http.MethodPost, draft + "/sign", nil, http.StatusOK},
	}
	careTeam(p.OtherTherapist)
	for _, r := range requests {
		if res := p.Therapist.do(r.method, r.path, r.body); res.Status != http.StatusNotFound {
			t.Errorf("off the care team, the author %s: got %d %s, want 404", r.name, res.Status, res.Body)
		}
	}
	// The note stays the author's, and the colleague now caring for the couple reads it but
	// may not edit someone else's draft.
	var n store.Note
	if res := p.OtherTherapist.do(http.MethodGet, draft, nil); res.Status != http.StatusOK {
		t.Fatalf("the new care team reads the note: %d %s", res.Status, res.Body)
	} else if res.JSON(t, &n); n.AuthorID != p.Therapist.ID {
		t.Errorf("the note's author became %d, want %d", n.AuthorID, p.Therapist.ID)
	}
	if res := p.OtherTherapist.do(http.MethodPatch, draft, map[string]any{"sections": map[string]string{"plan": "Mine now."}}); res.Status != http.StatusForbidden {
		t.Errorf("the new care team edits the author's draft: %d %s, want 403", res.Status, res.Body)
	}
	careTeam(p.Therapist, p.OtherTherapist)
	for _, r := range requests {
		if res := p.Therapist.do(r.method, r.path, r.body); res.Status != r.onTeam {
			t.Errorf("back on the care team, the author %s: got %d %s, want %d", r.name, res.Status, res.Body, r.onTeam)
		}
	}
}

func TestSignedNoteIsLockedAndTakesAddenda(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	session := w.liveSessionRow(p, p.CoupleID)
	res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/notes",
		map[string]any{"template": "soap", "live_session_id": session, "sections": map[string]string{"subjective": "Tense start."}})
	var n store.Note
	res.JSON(t, &n)
	if res.Status != http.StatusCreated || n.LiveSessionID == nil || *n.LiveSessionID != session {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	path := "/api/v1/notes/" + id(n.ID)
	if res := p.Therapist.do(http.MethodPost, path+"/addenda", map[string]any{"text": "too early"}); res.Status != http.StatusConflict {
		t.Errorf("addendum on a draft: %d, want 409", res.Status)
	}
	res = p.Therapist.do(http.MethodPost, path+"/sign", nil)
	var body struct {
		Error errorBody `json:"error"`
	}
	res.JSON(t, &body)
	if res.Status != http.StatusUnprocessableEntity || body.Error.Field != "sections.objective" {
		t.Errorf("signing an incomplete note: %d %s, want 422 naming sections.objective", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPatch, path, map[string]any{"sections": completeSOAP}); res.Status != http.StatusOK {
		t.Fatalf("complete the draft: %d %s", res.Status, res.Body)
	}
	res = p.Therapist.do(http.MethodPost, path+"/sign", nil)
	res.JSON(t, &n)
	if res.Status != http.StatusOK || n.SignedAt == nil {
		t.Fatalf("sign: %d %s", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPatch, path, map[string]any{"sections": map[string]string{"plan": "changed"}}); res.Status != http.StatusConflict {
		t.Errorf("editing a signed note: %d, want 409", res.Status)
	}
	if res := p.Therapist.do(http.MethodPost, path+"/sign", nil); res.Status != http.StatusConflict {
		t.Errorf("signing twice: %d, want 409", res.Status)
	}
	if res := p.Therapist.do(http.MethodPost, path+"/addenda", map[string]any{"text": "The plan also covers the weekend."}); res.Status != http.StatusCreated {
		t.Errorf("addendum: %d %s", res.Status, res.Body)
	}
	p.Therapist.do(http.MethodGet, path, nil).JSON(t, &n)
	if n.Sections["plan"] != completeSOAP["plan"] || len(n.Addenda) != 1 {
		t.Errorf("after the addendum: %+v", n)
	}
	var list struct {
		Notes []store.Note `json:"notes"`
	}
	p.Therapist.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/notes?live_session_id="+id(session), nil).JSON(t, &list)
	if len(list.Notes) != 1 {
		t.Errorf("notes of the live session: %d", len(list.Notes))
	}
	p.Therapist.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/notes?live_session_id="+id(session+1000), nil).JSON(t, &list)
	if len(list.Notes) != 0 {
		t.Errorf("notes of another live session: %d", len(list.Notes))
	}
}

func TestNotesAreHiddenFromPartnersAndAdministrators(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	n := w.note(p, p.Therapist, true)
	for _, reader := range []*actor{p.PartnerA, p.PartnerB, p.Admin, p.OtherTherapist, p.OtherPartner, w.B.Admin, w.B.Therapist} {
		for _, path := range []string{"/api/v1/notes/" + id(n), "/api/v1/couples/" + id(p.CoupleID) + "/notes"} {
			if res := reader.do(http.MethodGet, path, nil); res.Status != http.StatusNotFound {
				t.Errorf("%s GET %s: %d, want 404", reader.Name, path, res.Status)
			}
		}
		if res := reader.do(http.MethodPost, "/api/v1/notes/"+id(n)+"/addenda", map[string]any{"text": "x"}); res.Status != http.StatusNotFound {
			t.Errorf("%s adds an addendum: %d, want 404", reader.Name, res.Status)
		}
	}
}

func TestNoteValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	path := "/api/v1/couples/" + id(w.A.CoupleID) + "/notes"
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"template": "narrative"}, "template"},
		{map[string]any{"template": "dap", "sections": map[string]string{"subjective": "x"}}, "sections.subjective"},
		{map[string]any{"template": "soap", "live_session_id": 0}, "live_session_id"},
		{map[string]any{"template": "soap", "live_session_id": w.liveSessionRow(w.A, w.A.OtherCoupleID)}, "live_session_id"},
	} {
		res := w.A.Therapist.doInvalid(http.MethodPost, path, tc.body)
		var body struct {
			Error errorBody `json:"error"`
		}
		res.JSON(t, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Error.Field != tc.field {
			t.Errorf("%v: %d %s, want 422 naming %s", tc.body, res.Status, res.Body, tc.field)
		}
	}
}

// A note's sections read in its template's order in the printable export, by their labels;
// a reader who may not open notes gets none.
func TestExportedNoteSectionsFollowTheTemplateOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.note(p, p.Therapist, true)
	inOrder := []string{"<th>Subjective</th>", "<th>Objective</th>", "<th>Assessment</th>", "<th>Plan</th>"}
	for _, tc := range []struct {
		reader    *actor
		wantNotes bool
	}{
		{p.Therapist, true},
		{p.PartnerA, false},
	} {
		page := tc.reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/export.html", nil)
		if page.Status != http.StatusOK {
			t.Fatalf("%s: printable export %d %s", tc.reader.Name, page.Status, page.Body)
		}
		body := string(page.Body)
		at := -1
		for _, heading := range inOrder {
			next := strings.Index(body, heading)
			if !tc.wantNotes {
				if next >= 0 {
					t.Errorf("%s's export shows the note section %s", tc.reader.Name, heading)
				}
				continue
			}
			if next <= at {
				t.Errorf("%s's export shows %s at %d, not after the section before it (%d)", tc.reader.Name, heading, next, at)
			}
			at = next
		}
	}
}

// A refusal is a sentence a person can act on: it names the field as a person reads it (a note's
// section, an exercise's question), never as its API path, starts with a capital, and still carries
// the field's path for the screen to point at.
func TestRefusalsAreSentencesThatNameTheFieldInWords(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	draft := "/api/v1/notes/" + id(w.note(p, p.Therapist, false))
	signed := "/api/v1/notes/" + id(w.note(p, p.Therapist, true))
	if res := p.Therapist.do(http.MethodPatch, draft, map[string]any{"sections": map[string]string{"subjective": "Calmer."}}); res.Status != http.StatusOK {
		t.Fatalf("emptying the draft: %d %s", res.Status, res.Body)
	}
	assignment := "/api/v1/assignments/" + id(w.assignStep(p, "apology", "a", "therapist"))
	invites := "/api/v1/practices/" + id(p.ID) + "/invites"
	for _, tc := range []struct {
		name    string
		caller  *actor
		path    string
		body    any
		status  int
		field   string
		message string
	}{
		{"a section left empty stops the signing", p.Therapist, draft + "/sign", nil, http.StatusUnprocessableEntity,
			"sections.objective", "Write the objective before signing."},
		{"a section the template lacks", p.Therapist, "/api/v1/couples/" + id(p.CoupleID) + "/notes", map[string]any{"template": "soap", "sections": map[string]string{"summary": "x"}},
			http.StatusUnprocessableEntity, "sections.summary", "Summary is not a section of the SOAP template."},
		{"an unanswered question stops the handing in", p.PartnerA, assignment + "/submit", map[string]any{"answers": map[string]any{"what_happened": "I hid messages."}},
			http.StatusUnprocessableEntity, "answers.effect_on_partner", "Answer “How it has affected your partner” before handing this in."},
		{"an answer of the wrong kind", p.PartnerA, assignment + "/submit", map[string]any{"answers": map[string]any{"what_happened": 5}},
			http.StatusUnprocessableEntity, "answers.what_happened", "“What you did, in plain words” must be text."},
		{"a request field that fails its rule", p.Admin, invites, map[string]any{"email": "not an address", "role": "therapist"},
			http.StatusUnprocessableEntity, "email", "Email must be an email address."},
		{"a request field of the wrong type", p.Admin, invites, map[string]any{"email": 5, "role": "therapist"},
			http.StatusUnprocessableEntity, "email", "Email must be a string."},
		{"a locked note", p.Therapist, signed + "/sign", nil, http.StatusConflict, "", "This note is signed and locked; add an addendum instead."},
		{"another practice's therapist learns nothing", p.OtherTherapist, draft + "/sign", nil, http.StatusNotFound, "", "We could not find that."},
	} {
		// Each request is refused on purpose; the contract check still checks every answer.
		res := tc.caller.doInvalid(http.MethodPost, tc.path, tc.body)
		var body struct {
			Error errorBody `json:"error"`
		}
		res.JSON(t, &body)
		if res.Status != tc.status || body.Error.Message != tc.message || body.Error.Field != tc.field {
			t.Errorf("%s: %d %q (field %q), want %d %q (field %q)", tc.name, res.Status, body.Error.Message, body.Error.Field,
				tc.status, tc.message, tc.field)
		}
	}
}
