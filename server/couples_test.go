package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/demo"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
	"github.com/amendcare/amend/server/store/dbtest"
)

// couplesMatrix covers the couples, exercise library and assignment endpoints.
func couplesMatrix() []matrixCase {
	couplePath := func(method, suffix string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/couples/" + id(p.CoupleID) + suffix, body
		}
	}
	cases := []matrixCase{
		{name: "list couples", object: "couple", action: "list", success: 200,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/practices/" + id(p.ID) + "/couples", nil
			}, relation: everyone(store.RelPractice)},
		{name: "open a couple's file", object: "couple", action: "create", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/practices/" + id(p.ID) + "/couples",
					map[string]any{"label": fmt.Sprintf("New couple %d", w.counter()), "concerns": []string{"lying"}, "therapists": []int64{p.Therapist.ID}}
			}, relation: everyone(store.RelPractice)},
		{name: "read a couple", object: "couple", action: "read", success: 200,
			request: couplePath(http.MethodGet, "", nil), relation: coupleRelation},
		{name: "update a couple", object: "couple", action: "update", success: 200,
			request: couplePath(http.MethodPatch, "", map[string]any{"label": "Renamed couple"}), relation: coupleRelation},
		{name: "set a care team", object: "care_team", action: "update", success: 200,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodPut, "/api/v1/couples/" + id(p.CoupleID) + "/care-team", map[string]any{"therapists": []int64{p.Therapist.ID}}
			}, relation: coupleRelation},
		{name: "invite a partner", object: "invite", action: "create", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				fresh := w.couple(p.ID, fmt.Sprintf("Fresh couple %d", w.counter()), p.Therapist.ID)
				return http.MethodPost, "/api/v1/couples/" + id(fresh) + "/invites",
					map[string]any{"seat": "a", "email": fmt.Sprintf("partner%d@x.test", w.counter())}
			},
			relation: func(p *practice, a *actor) string {
				if a == p.Therapist {
					return store.RelCareTeam
				}
				return store.RelPractice
			}},
	}
	cases = append(cases, exerciseMatrix()...)
	return append(cases, assignmentMatrix()...)
}

func TestOpeningACoupleSetsItsCareTeam(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	path := "/api/v1/practices/" + id(p.ID) + "/couples"
	cases := []struct {
		name  string
		by    *actor
		body  map[string]any
		want  int
		field string
		team  []int64
	}{
		{"a therapist is on the couples they open", p.OtherTherapist, map[string]any{"label": "Fern & Lee", "concerns": []string{"infidelity", "lying"}}, 201, "", []int64{p.OtherTherapist.ID}},
		{"and may add colleagues", p.OtherTherapist, map[string]any{"label": "Ash & Rowan", "therapists": []int64{p.Therapist.ID}}, 201, "", []int64{p.Therapist.ID, p.OtherTherapist.ID}},
		{"an administrator names the team", p.Admin, map[string]any{"label": "Birch & Quinn", "status": "paused", "therapists": []int64{p.Therapist.ID}}, 201, "", []int64{p.Therapist.ID}},
		{"an administrator must name someone", p.Admin, map[string]any{"label": "Oak & Sky"}, 422, "therapists", nil},
		{"the team is the practice's therapists", p.Admin, map[string]any{"label": "Oak & Sky", "therapists": []int64{w.B.Therapist.ID}}, 422, "therapists", nil},
		{"an administrator is not a therapist", p.Admin, map[string]any{"label": "Oak & Sky", "therapists": []int64{p.Admin.ID}}, 422, "therapists", nil},
		{"concerns come from the list", p.Therapist, map[string]any{"label": "Oak & Sky", "concerns": []string{"snoring"}}, 422, "concerns", nil},
		{"concerns are not repeated", p.Therapist, map[string]any{"label": "Oak & Sky", "concerns": []string{"lying", "lying"}}, 422, "concerns", nil},
		{"a label is required", p.Therapist, map[string]any{"label": "   "}, 422, "label", nil},
		{"statuses are known", p.Therapist, map[string]any{"label": "Oak & Sky", "status": "archived"}, 422, "status", nil},
		{"partners do not open couples", p.PartnerA, map[string]any{"label": "Us"}, 404, "", nil},
		{"another practice does not open couples here", w.B.Therapist, map[string]any{"label": "Them"}, 404, "", nil},
	}
	for _, tc := range cases {
		res := tc.by.doExpecting(tc.want, http.MethodPost, path, tc.body)
		var body struct {
			coupleView
			Error errorBody
		}
		_ = json.Unmarshal(res.Body, &body)
		if res.Status != tc.want || body.Error.Field != tc.field {
			t.Errorf("%s: got %d %s, want %d naming %q", tc.name, res.Status, res.Body, tc.want, tc.field)
			continue
		}
		if tc.want != http.StatusCreated {
			continue
		}
		var team []int64
		for _, m := range body.CareTeam {
			team = append(team, m.UserID)
		}
		slices.Sort(team)
		want := slices.Sorted(slices.Values(tc.team))
		if !slices.Equal(team, want) || body.Label != tc.body["label"] || len(body.Partners) != 0 {
			t.Errorf("%s: got %+v, want care team %v", tc.name, body.CoupleDetail, want)
		}
	}
}

func TestCoupleListsShowOnlyCouplesTheCallerMayRead(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	paused := w.couple(p.ID, "Willow & Hart", p.Therapist.ID)
	pausedStatus := store.CouplePaused
	if err := w.store.UpdateCouple(t.Context(), p.ID, paused, store.CoupleChanges{Status: &pausedStatus}); err != nil {
		t.Fatal(err)
	}
	labels := func(a *actor, query string) []string {
		res := a.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/couples"+query, nil)
		if res.Status != http.StatusOK {
			return []string{fmt.Sprint(res.Status)}
		}
		var list struct{ Couples []store.CoupleDetail }
		res.JSON(t, &list)
		out := []string{}
		for _, c := range list.Couples {
			out = append(out, c.Label)
		}
		return out
	}
	cases := []struct {
		name  string
		by    *actor
		query string
		want  []string
	}{
		{"an administrator sees every couple", p.Admin, "", []string{"Couple A", "Other couple A", "Willow & Hart"}},
		{"a therapist sees their care team's couples", p.Therapist, "", []string{"Couple A", "Willow & Hart"}},
		{"another therapist sees theirs", p.OtherTherapist, "", []string{"Other couple A"}},
		{"a partner sees their own couple", p.PartnerB, "", []string{"Couple A"}},
		{"by status", p.Admin, "?status=paused", []string{"Willow & Hart"}},
		{"by therapist", p.Admin, "?therapist=" + id(p.OtherTherapist.ID), []string{"Other couple A"}},
		{"by part of the label, in any case", p.Admin, "?q=" + "willow", []string{"Willow & Hart"}},
		{"label search takes wildcards literally", p.Admin, "?q=%25", []string{}},
		{"another practice sees nothing here", w.B.Admin, "", []string{"404"}},
	}
	for _, tc := range cases {
		if got := labels(tc.by, tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	if res := p.Admin.doInvalid(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/couples?status=gone", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown status: got %d %s, want 422", res.Status, res.Body)
	}
}

func TestCoupleShowsPartnersCareTeamAndCounts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.assignStep(p, "apology", "a", "therapist")
	submitted := w.assignStep(p, "forgiveness", "b", "partner")
	w.submitStep(p, submitted)
	reviewed := w.assignStep(p, "counseling", "b", "therapist")
	w.submitStep(p, reviewed)
	if err := w.store.ReviewResponse(t.Context(), p.ID, reviewed, p.Therapist.ID, "Thank you."); err != nil {
		t.Fatal(err)
	}
	var c coupleView
	res := p.Therapist.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID), nil)
	if res.Status != http.StatusOK {
		t.Fatalf("read: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &c)
	wantPartners := []store.Partner{{UserID: p.PartnerA.ID, Name: p.PartnerA.Name, Seat: "a"}, {UserID: p.PartnerB.ID, Name: p.PartnerB.Name, Seat: "b"}}
	if !slices.Equal(c.Partners, wantPartners) || len(c.CareTeam) != 1 || c.CareTeam[0].UserID != p.Therapist.ID ||
		!slices.Equal(c.Concerns, []string{"infidelity"}) || c.Status != store.CoupleActive {
		t.Errorf("couple: %+v", c)
	}
	if c.Assignments != (assignmentCounts{Open: 1, Submitted: 1}) {
		t.Errorf("therapist counts: %+v, want 1 open and 1 submitted", c.Assignments)
	}
	// Partner a sees their own open work and b's shared submission, not b's therapist-only one.
	p.PartnerA.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID), nil).JSON(t, &c)
	if c.Assignments != (assignmentCounts{Open: 1, Submitted: 1}) {
		t.Errorf("partner a counts: %+v", c.Assignments)
	}
	p.Admin.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID), nil).JSON(t, &c)
	if c.Assignments != (assignmentCounts{}) || len(c.Partners) != 2 {
		t.Errorf("an administrator sees the couple's file but none of its clinical work: %+v", c)
	}
}

// TestCoupleNamesItsPeopleWithTheCareTeamByName reads a couple whose care team's names sort
// against the order of their ids, on its page and in the caseload: partners come by seat and the
// care team by name, each with their name; another practice learns nothing.
func TestCoupleNamesItsPeopleWithTheCareTeamByName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	// "A other therapist" sorts before "A therapist", whose id is the smaller.
	if err := w.store.SetCoupleCareTeam(t.Context(), p.ID, p.CoupleID, []int64{p.Therapist.ID, p.OtherTherapist.ID}); err != nil {
		t.Fatal(err)
	}
	wantPartners := []store.Partner{{UserID: p.PartnerA.ID, Name: p.PartnerA.Name, Seat: "a"}, {UserID: p.PartnerB.ID, Name: p.PartnerB.Name, Seat: "b"}}
	wantCareTeam := []store.CareTeamMember{{UserID: p.OtherTherapist.ID, Name: p.OtherTherapist.Name}, {UserID: p.Therapist.ID, Name: p.Therapist.Name}}
	page := func(a *actor) (int, store.CoupleDetail) {
		var c coupleView
		res := a.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID), nil)
		if res.Status == http.StatusOK {
			res.JSON(t, &c)
		}
		return res.Status, c.CoupleDetail
	}
	caseload := func(a *actor) (int, store.CoupleDetail) {
		var list struct{ Couples []store.CoupleDetail }
		res := a.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/couples", nil)
		if res.Status != http.StatusOK {
			return res.Status, store.CoupleDetail{}
		}
		res.JSON(t, &list)
		for _, c := range list.Couples {
			if c.ID == p.CoupleID {
				return res.Status, c
			}
		}
		return http.StatusNotFound, store.CoupleDetail{}
	}
	cases := []struct {
		name       string
		read       func(*actor) (int, store.CoupleDetail)
		by         *actor
		wantStatus int
	}{
		{"the couple page, by the care team", page, p.Therapist, http.StatusOK},
		{"the couple page, by a partner", page, p.PartnerA, http.StatusOK},
		{"the caseload, by the care team's other member", caseload, p.OtherTherapist, http.StatusOK},
		{"the caseload, by an administrator", caseload, p.Admin, http.StatusOK},
		{"the couple page, by another practice", page, w.B.Admin, http.StatusNotFound},
		{"the caseload, by another practice", caseload, w.B.Therapist, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, c := tc.read(tc.by)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d", status, tc.wantStatus)
			}
			if status != http.StatusOK {
				return
			}
			if !slices.Equal(c.Partners, wantPartners) || !slices.Equal(c.CareTeam, wantCareTeam) {
				t.Errorf("partners %+v, care team %+v; want %+v and %+v", c.Partners, c.CareTeam, wantPartners, wantCareTeam)
			}
		})
	}
}

// closedCoupleStillTakes names the matrix cases whose change a closed couple's record still
// takes: the care team's closing clinical work, cancelling what is booked, recording who came,
// settling its accounts, and erasure.
var closedCoupleStillTakes = map[string]bool{
	"write a note": true, "edit a draft note": true, "sign a note": true,
	"add an addendum to own note": true, "add an addendum to a colleague's note": true,
	"cancel an appointment": true, "record attendance": true, "erase a couple": true,
	"charge an appointment": true, "void a charge": true, "record a payment": true, "say who pays": true,
}

// changesNothing lists the actions that only read.
var changesNothing = map[policy.Action]bool{"read": true, "list": true, "transcript": true, "summary": true, "export": true, "join": true,
	"download": true}

// setCouplesStatus sets the status of every couple of practice p, those a case made included.
func (w *world) setCouplesStatus(p *practice, status string) {
	w.t.Helper()
	if _, err := w.store.DB().Exec(`UPDATE couples SET status = $2 WHERE practice_id = $1`, p.ID, status); err != nil {
		w.t.Fatal(err)
	}
}

// TestClosedCoupleTakesOnlyClosingWorkUntilReopened walks every endpoint of the access matrix
// on a closed couple: reads and the clinical closing work answer as on an open couple, every
// other change to the couple's record answers 409 couple_closed, and the same change on the
// reopened couple succeeds. Callers the policy refuses (practice A's first, practice B's
// therapist) still get 404 or 403, never a 409 that tells them the couple exists.
func TestClosedCoupleTakesOnlyClosingWorkUntilReopened(t *testing.T) {
	for _, source := range matrixSources {
		for _, mc := range source() {
			t.Run(mc.name, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t)
				var allowedCaller, refusedCaller *actor
				for _, a := range w.A.cast() {
					if _, allowed := mc.expect(w, w.A, a); allowed && allowedCaller == nil {
						allowedCaller = a
					} else if !allowed && refusedCaller == nil {
						refusedCaller = a
					}
				}
				for _, caller := range []*actor{allowedCaller, refusedCaller, w.B.Therapist} {
					if caller == nil {
						continue
					}
					want, allowed := mc.expect(w, w.A, caller)
					method, path, body := mc.build(w, w.A, caller)
					ofCouple := !strings.HasPrefix(path, "/api/v1/practices/")
					w.setCouplesStatus(w.A, store.CoupleClosed)
					res := caller.do(method, path, body)
					w.setCouplesStatus(w.A, store.CoupleActive)
					if allowed && ofCouple && !changesNothing[mc.action] && !closedCoupleStillTakes[mc.name] {
						if res.Status != http.StatusConflict || res.ErrorCode() != fault.CoupleClosed {
							t.Errorf("%s %s %s on a closed couple: got %d %s, want 409 couple_closed", caller.Name, method, path, res.Status, res.Body)
						}
					} else if res.Status != want {
						t.Errorf("%s %s %s on a closed couple: got %d %s, want %d", caller.Name, method, path, res.Status, res.Body, want)
					}
					method, path, body = mc.build(w, w.A, caller)
					if res := caller.do(method, path, body); res.Status != want {
						t.Errorf("%s %s %s on the reopened couple: got %d %s, want %d", caller.Name, method, path, res.Status, res.Body, want)
					}
				}
			})
		}
	}
}

func TestClosedCoupleReopensOnlyByAStatusChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	couple := "/api/v1/couples/" + id(p.CoupleID)
	if res := p.Therapist.do(http.MethodPatch, couple, map[string]any{"status": "closed"}); res.Status != http.StatusOK {
		t.Fatalf("close: %d %s", res.Status, res.Body)
	}
	for _, ch := range []struct {
		name string
		by   *actor
		body map[string]any
	}{
		{"renaming", p.Therapist, map[string]any{"label": "New name"}},
		{"closing again", p.Admin, map[string]any{"status": "closed"}},
		{"renaming while closing", p.Admin, map[string]any{"status": "closed", "label": "New name"}},
	} {
		if res := ch.by.do(http.MethodPatch, couple, ch.body); res.Status != http.StatusConflict || res.ErrorCode() != fault.CoupleClosed {
			t.Errorf("%s a closed couple: got %d %s, want 409 couple_closed", ch.name, res.Status, res.Body)
		}
	}
	if res := p.OtherTherapist.do(http.MethodPatch, couple, map[string]any{"status": "active"}); res.Status != http.StatusNotFound {
		t.Errorf("a therapist off the care team reopens the couple: %d, want 404", res.Status)
	}
	// Reopening, with a rename in the same request, unlocks the couple.
	res := p.Therapist.do(http.MethodPatch, couple, map[string]any{"status": "paused", "label": "Reopened couple"})
	if res.Status != http.StatusOK {
		t.Fatalf("reopen: %d %s", res.Status, res.Body)
	}
	var c coupleView
	res.JSON(t, &c)
	if c.Status != store.CouplePaused || c.Label != "Reopened couple" {
		t.Errorf("reopened couple: %+v", c)
	}
	if res := p.PartnerA.do(http.MethodPost, couple+"/checkins", map[string]any{"trust": 5, "safety": 6}); res.Status != http.StatusCreated {
		t.Errorf("a paused couple's partner checks in: %d %s", res.Status, res.Body)
	}
}

func TestPartnerInviteSeatsThePartnerInTheCouple(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	coupleID := w.couple(p.ID, "Maple & Stone", p.Therapist.ID)
	path := "/api/v1/couples/" + id(coupleID) + "/invites"
	cases := []struct {
		name string
		by   *actor
		body map[string]any
		want int
	}{
		{"another therapist cannot see the couple", p.OtherTherapist, map[string]any{"seat": "a", "email": "x@x.test"}, 404},
		{"a partner of another couple cannot see it", p.PartnerA, map[string]any{"seat": "a", "email": "x@x.test"}, 404},
		{"another practice cannot see it", w.B.Admin, map[string]any{"seat": "a", "email": "x@x.test"}, 404},
		{"seats are a and b", p.Therapist, map[string]any{"seat": "c", "email": "x@x.test"}, 422},
	}
	for _, tc := range cases {
		if res := tc.by.doExpecting(tc.want, http.MethodPost, path, tc.body); res.Status != tc.want {
			t.Errorf("%s: got %d %s, want %d", tc.name, res.Status, res.Body, tc.want)
		}
	}
	res := p.Therapist.do(http.MethodPost, path, map[string]any{"seat": "b", "email": "Robin@Example.TEST"})
	if res.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", res.Status, res.Body)
	}
	var inv inviteCreated
	res.JSON(t, &inv)
	if inv.Invite.Role != store.RoleClient || inv.Invite.CoupleID == nil || *inv.Invite.CoupleID != coupleID ||
		inv.Invite.Seat == nil || *inv.Invite.Seat != "b" || inv.Invite.Email != "robin@example.test" {
		t.Fatalf("invite: %+v", inv.Invite)
	}
	res = w.request(http.MethodPost, "/api/v1/invites/"+inv.Token+"/accept",
		map[string]any{"name": "Robin Vale", "password": "a long enough passphrase"}, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("accept: %d %s", res.Status, res.Body)
	}
	var c coupleView
	p.Admin.do(http.MethodGet, "/api/v1/couples/"+id(coupleID), nil).JSON(t, &c)
	if len(c.Partners) != 1 || c.Partners[0].Name != "Robin Vale" || c.Partners[0].Seat != "b" {
		t.Fatalf("the partner should hold seat b: %+v", c.Partners)
	}
	if res := p.Admin.do(http.MethodPost, path, map[string]any{"seat": "b", "email": "someone@else.test"}); res.Status != http.StatusConflict {
		t.Errorf("inviting to a taken seat: got %d %s, want 409", res.Status, res.Body)
	}
}

// loadDemo loads the demo data into a fresh database and returns its store, the demo practice
// and its couples.
func loadDemo(t *testing.T) (*store.Store, int64, []store.CoupleDetail) {
	t.Helper()
	st := store.New(dbtest.New(t))
	ctx := t.Context()
	if _, err := demo.Load(ctx, st, testHash()); err != nil {
		t.Fatal(err)
	}
	// The demo practice is the only one, so Bootstrap finds it rather than creating another.
	practiceID, _, created, err := st.Bootstrap(ctx, demo.PracticeName, "admin@demo.amend.test", testHash())
	if err != nil || created {
		t.Fatalf("find the demo practice: created %v, %v", created, err)
	}
	couples, err := st.Couples(ctx, practiceID, 0, store.CoupleFilter{})
	if err != nil || len(couples) == 0 {
		t.Fatalf("demo couples: %v %v", couples, err)
	}
	return st, practiceID, couples
}

func TestDemoShowsCouplesWorkInEveryStatusAndVisibility(t *testing.T) {
	t.Parallel()
	st, _, couples := loadDemo(t)
	ctx := t.Context()
	statuses, visibilities := map[string]int{}, map[string]int{}
	oldest := time.Now()
	for _, c := range couples {
		work, err := st.CoupleAssignments(ctx, c.PracticeID, c.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range work {
			statuses[a.Status]++
			visibilities[a.Visibility]++
			if a.CreatedAt.Before(oldest) {
				oldest = a.CreatedAt
			}
		}
	}
	for _, s := range []string{store.StatusAssigned, store.StatusInProgress, store.StatusSubmitted, store.StatusReviewed, store.StatusReopened} {
		if statuses[s] == 0 {
			t.Errorf("the demo has no %s assignment: %v", s, statuses)
		}
	}
	for _, v := range []string{"private", "therapist", "partner"} {
		if visibilities[v] == 0 {
			t.Errorf("the demo has no %s response: %v", v, visibilities)
		}
	}
	if time.Since(oldest) < 21*24*time.Hour {
		t.Errorf("the demo's work should span several weeks; the oldest is from %v", oldest)
	}
}

// TestConcernsAreServedFromOneList: the server's list of concerns is what GET /concerns answers
// every signed-in person, what docs/api.yaml enumerates, and the most a couple's file takes.
func TestConcernsAreServedFromOneList(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	want := library.ConcernList()
	for _, tc := range []struct {
		name   string
		who    *actor
		status int
	}{
		{"an administrator reads them", w.A.Admin, http.StatusOK},
		{"a therapist reads them", w.A.Therapist, http.StatusOK},
		{"front desk reads them", w.A.FrontDesk, http.StatusOK},
		{"a partner reads them", w.A.PartnerA, http.StatusOK},
		{"another practice reads the same list", w.B.Therapist, http.StatusOK},
		{"no one signed in is refused", nil, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var res *response
			if tc.who == nil {
				res = w.request(http.MethodGet, "/api/v1/concerns", nil, nil)
			} else {
				res = tc.who.do(http.MethodGet, "/api/v1/concerns", nil)
			}
			if res.Status != tc.status {
				t.Fatalf("got %d %s, want %d", res.Status, res.Body, tc.status)
			}
			if tc.status != http.StatusOK {
				return
			}
			var got struct{ Concerns []library.Concern }
			res.JSON(t, &got)
			if !slices.Equal(got.Concerns, want) {
				t.Errorf("got %v, want %v", got.Concerns, want)
			}
		})
	}

	t.Run("docs/api.yaml enumerates the same keys and limits a file to them", func(t *testing.T) {
		doc, err := contractDocument()
		if err != nil {
			t.Fatal(err)
		}
		var enum []string
		for _, v := range doc.Components.Schemas["Concern"].Value.Enum {
			enum = append(enum, fmt.Sprint(v))
		}
		if !slices.Equal(enum, library.Concerns()) {
			t.Errorf("Concern enum %v, want %v", enum, library.Concerns())
		}
		for _, op := range []struct{ path, method string }{{"/practices/{pid}/couples", "POST"}, {"/couples/{id}", "PATCH"}} {
			body := doc.Paths.Value(op.path).GetOperation(op.method).RequestBody.Value.Content.Get("application/json").Schema.Value
			if max := body.Properties["concerns"].Value.MaxItems; max == nil || *max != uint64(len(want)) {
				t.Errorf("%s %s: concerns maxItems %v, want %d", op.method, op.path, max, len(want))
			}
		}
	})

	t.Run("a file takes no more concerns than the list holds", func(t *testing.T) {
		tooMany := append(library.Concerns(), library.Concerns()[0])
		res := w.A.Therapist.doInvalid(http.MethodPatch, "/api/v1/couples/"+id(w.A.CoupleID), map[string]any{"concerns": tooMany})
		wantMessage := fmt.Sprintf("must be at most %d items", len(want))
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), wantMessage) {
			t.Errorf("got %d %s, want 422 saying %q", res.Status, res.Body, wantMessage)
		}
	})
}
