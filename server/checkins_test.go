package server

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/amendcare/amend/server/store"
)

// pastDay returns a distinct day long ago, so fixtures written straight to the store never
// collide with each other or with today's check-ins.
func (w *world) pastDay() string {
	return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(w.counter())).Format(store.DateLayout)
}

// checkin writes a check-in by author on day (today when empty) straight to the store.
func (w *world) checkin(p *practice, author *actor, day, visibility string, trust int) int64 {
	w.t.Helper()
	k, _, err := w.store.SaveCheckin(context.Background(), store.CheckinInput{PracticeID: p.ID, CoupleID: p.CoupleID,
		AuthorID: author.ID, Day: day, Trust: trust, Safety: trust, Feeling: "hopeful", Note: "note by " + author.Name,
		Visibility: &visibility})
	if err != nil {
		w.t.Fatal(err)
	}
	return k.ID
}

// sharedItemRelation models how a fixture actor stands to an item PartnerA wrote and shared with
// their partner.
func sharedItemRelation(p *practice, a *actor) string {
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

func trackingMatrix() []matrixCase {
	couplePath := func(method, suffix string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/couples/" + id(p.CoupleID) + suffix, body
		}
	}
	var cases []matrixCase
	cases = append(cases,
		matrixCase{name: "check in", object: "checkin", action: "create", success: 201,
			request:  couplePath(http.MethodPost, "/checkins", map[string]any{"trust": 5, "safety": 6}),
			relation: coupleRelation},
		matrixCase{name: "list check-ins", object: "checkin", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/checkins", nil), relation: coupleRelation},
		matrixCase{name: "read a shared check-in", object: "checkin", action: "read", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/checkins/" + id(w.checkin(p, p.PartnerA, w.pastDay(), "partner", 4)), nil
			}, relation: sharedItemRelation},
		matrixCase{name: "change a check-in's visibility", object: "checkin", action: "update", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPatch, "/api/v1/checkins/" + id(w.checkin(p, p.PartnerA, w.pastDay(), "partner", 4)),
					map[string]any{"visibility": "partner"}
			}, relation: sharedItemRelation},
	)
	cases = append(cases, commitmentMatrix(couplePath)...)
	cases = append(cases, measureMatrix(couplePath)...)
	cases = append(cases, matrixCase{name: "read progress", object: "progress", action: "read", success: 200,
		request: couplePath(http.MethodGet, "/progress", nil), relation: coupleRelation})
	cases = append(cases, scheduleMatrix(couplePath)...)
	cases = append(cases, planMatrix(couplePath)...)
	cases = append(cases, noteMatrix(couplePath)...)
	cases = append(cases, appointmentMatrix(couplePath)...)
	cases = append(cases, dataRightsMatrix(couplePath)...)
	return cases
}

func TestCheckinOncePerDayEditsTheSameDay(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	path := "/api/v1/couples/" + id(p.CoupleID) + "/checkins"
	first := p.PartnerA.do(http.MethodPost, path, map[string]any{"trust": 3, "safety": 4, "feeling": "anxious", "note": "hard day"})
	if first.Status != http.StatusCreated {
		t.Fatalf("first check-in: %d %s", first.Status, first.Body)
	}
	var k1 store.Checkin
	first.JSON(t, &k1)
	if k1.Visibility != store.VisibilityTherapist {
		t.Errorf("default visibility %q, want therapist", k1.Visibility)
	}
	second := p.PartnerA.do(http.MethodPost, path, map[string]any{"trust": 6, "safety": 7, "feeling": "calm"})
	if second.Status != http.StatusOK {
		t.Fatalf("second check-in the same day: %d %s", second.Status, second.Body)
	}
	var k2 store.Checkin
	second.JSON(t, &k2)
	if k2.ID != k1.ID || k2.Trust != 6 || k2.Safety != 7 || k2.Feeling != "calm" || k2.Note != "" || k2.Day != k1.Day {
		t.Errorf("second check-in did not replace the first: %+v then %+v", k1, k2)
	}
	today, err := w.store.PracticeToday(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k1.Day != today {
		t.Errorf("check-in day %s, want the practice's today %s", k1.Day, today)
	}
	var list struct {
		Checkins []store.Checkin `json:"checkins"`
	}
	p.PartnerA.do(http.MethodGet, path, nil).JSON(t, &list)
	if len(list.Checkins) != 1 {
		t.Errorf("partner has %d check-ins after two the same day, want 1", len(list.Checkins))
	}
}

func TestCheckinDayFollowsThePracticeTimeZone(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	// Kiritimati is UTC+14: for most of the UTC day its calendar is a day ahead of UTC.
	if _, err := w.store.DB().Exec(`UPDATE practices SET time_zone = 'Pacific/Kiritimati' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	res := p.PartnerA.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/checkins", map[string]any{"trust": 5, "safety": 5})
	var k store.Checkin
	res.JSON(t, &k)
	loc, err := time.LoadLocation("Pacific/Kiritimati")
	if err != nil {
		t.Fatal(err)
	}
	before, after := time.Now().In(loc).Add(-time.Minute).Format(store.DateLayout), time.Now().In(loc).Format(store.DateLayout)
	if k.Day != before && k.Day != after {
		t.Errorf("check-in day %s, want the day in Kiritimati (%s)", k.Day, after)
	}
}

func TestCheckinValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	path := "/api/v1/couples/" + id(p.CoupleID) + "/checkins"
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"trust above ten", map[string]any{"trust": 11, "safety": 5}, "trust"},
		{"safety below zero", map[string]any{"trust": 5, "safety": -1}, "safety"},
		{"trust missing", map[string]any{"safety": 5}, "trust"},
		{"unknown feeling", map[string]any{"trust": 5, "safety": 5, "feeling": "fine-ish"}, "feeling"},
		{"unknown visibility", map[string]any{"trust": 5, "safety": 5, "visibility": "everyone"}, "visibility"},
	} {
		res := p.PartnerA.doInvalid(http.MethodPost, path, tc.body)
		var body struct {
			Error errorBody `json:"error"`
		}
		res.JSON(t, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Error.Field != tc.field {
			t.Errorf("%s: got %d field %q, want 422 naming %s", tc.name, res.Status, body.Error.Field, tc.field)
		}
	}
}

func TestCheckinContentChangesOnlyOnItsDayButVisibilityAlways(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	old := w.checkin(p, p.PartnerA, w.pastDay(), "therapist", 3)
	res := p.PartnerA.do(http.MethodPatch, "/api/v1/checkins/"+id(old), map[string]any{"trust": 9})
	if res.Status != http.StatusConflict {
		t.Errorf("changing an old check-in's trust: %d %s, want 409", res.Status, res.Body)
	}
	res = p.PartnerA.do(http.MethodPatch, "/api/v1/checkins/"+id(old), map[string]any{"visibility": "private"})
	var k store.Checkin
	res.JSON(t, &k)
	if res.Status != http.StatusOK || k.Visibility != "private" || k.Trust != 3 {
		t.Errorf("changing an old check-in's visibility: %d %s", res.Status, res.Body)
	}
	today := w.checkin(p, p.PartnerA, "", "therapist", 3)
	res = p.PartnerA.do(http.MethodPatch, "/api/v1/checkins/"+id(today), map[string]any{"trust": 8, "note": "better by evening"})
	res.JSON(t, &k)
	if res.Status != http.StatusOK || k.Trust != 8 || k.Note != "better by evening" || k.Safety != 3 {
		t.Errorf("changing today's check-in: %d %s", res.Status, res.Body)
	}
}

func TestCheckinVisibilityDecidesWhoSeesIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	private := w.checkin(p, p.PartnerA, w.pastDay(), "private", 1)
	therapist := w.checkin(p, p.PartnerA, w.pastDay(), "therapist", 2)
	shared := w.checkin(p, p.PartnerA, w.pastDay(), "partner", 3)
	for _, tc := range []struct {
		reader *actor
		sees   map[int64]bool
	}{
		{p.PartnerA, map[int64]bool{private: true, therapist: true, shared: true}},
		{p.PartnerB, map[int64]bool{shared: true}},
		{p.Therapist, map[int64]bool{therapist: true, shared: true}},
		{p.OtherTherapist, map[int64]bool{}},
		{p.Admin, map[int64]bool{}},
		{w.B.PartnerA, map[int64]bool{}},
	} {
		for _, k := range []int64{private, therapist, shared} {
			res := tc.reader.do(http.MethodGet, "/api/v1/checkins/"+id(k), nil)
			want := http.StatusNotFound
			if tc.sees[k] {
				want = http.StatusOK
			}
			if res.Status != want {
				t.Errorf("%s reads check-in %d: %d, want %d", tc.reader.Name, k, res.Status, want)
			}
		}
		res := tc.reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/checkins", nil)
		if res.Status != http.StatusOK {
			if len(tc.sees) > 0 || res.Status != http.StatusNotFound {
				t.Errorf("%s lists check-ins: %d %s", tc.reader.Name, res.Status, res.Body)
			}
			continue
		}
		var list struct {
			Checkins []store.Checkin `json:"checkins"`
			Streaks  []Streak        `json:"streaks"`
		}
		res.JSON(t, &list)
		got := map[int64]bool{}
		for _, k := range list.Checkins {
			got[k.ID] = true
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.sees) {
			t.Errorf("%s lists check-ins %v, want %v", tc.reader.Name, got, tc.sees)
		}
		if len(tc.sees) == 0 && len(list.Streaks) != 0 {
			t.Errorf("%s sees streaks %v of check-ins they may not read", tc.reader.Name, list.Streaks)
		}
	}
}

func TestStreaksCountConsecutiveReadableDays(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	ctx := context.Background()
	todayText, err := w.store.PracticeToday(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	today, _ := time.Parse(store.DateLayout, todayText)
	day := func(back int) string { return today.AddDate(0, 0, -back).Format(store.DateLayout) }
	// Partner A: three days up to yesterday, the middle one private; four days long ago.
	w.checkin(p, p.PartnerA, day(1), "partner", 5)
	w.checkin(p, p.PartnerA, day(2), "private", 5)
	w.checkin(p, p.PartnerA, day(3), "partner", 5)
	for back := 10; back < 14; back++ {
		w.checkin(p, p.PartnerA, day(back), "partner", 5)
	}
	streakFor := func(reader *actor) Streak {
		var list struct {
			Streaks []Streak `json:"streaks"`
		}
		reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/checkins", nil).JSON(t, &list)
		for _, s := range list.Streaks {
			if s.UserID == p.PartnerA.ID {
				return s
			}
		}
		t.Fatalf("%s sees no streak for partner a", reader.Name)
		return Streak{}
	}
	if got := streakFor(p.PartnerA); got.Current != 3 || got.Longest != 4 {
		t.Errorf("author's own streak %+v, want current 3 and longest 4", got)
	}
	// The other partner cannot see the private day, so for them the run is broken there.
	if got := streakFor(p.PartnerB); got.Current != 1 || got.Longest != 4 {
		t.Errorf("partner's view of the streak %+v, want current 1 and longest 4", got)
	}
}

func TestStreakOf(t *testing.T) {
	for _, tc := range []struct {
		name             string
		days             []string
		today            string
		current, longest int
	}{
		{"none", nil, "2025-03-10", 0, 0},
		{"today only", []string{"2025-03-10"}, "2025-03-10", 1, 1},
		{"up to yesterday still counts", []string{"2025-03-08", "2025-03-09"}, "2025-03-10", 2, 2},
		{"broken two days ago", []string{"2025-03-07", "2025-03-08"}, "2025-03-10", 0, 2},
		{"across a month end", []string{"2025-02-27", "2025-02-28", "2025-03-01"}, "2025-03-01", 3, 3},
		{"gap resets the run", []string{"2025-03-01", "2025-03-02", "2025-03-03", "2025-03-09", "2025-03-10"}, "2025-03-10", 2, 3},
	} {
		current, longest := streakOf(tc.days, tc.today)
		if current != tc.current || longest != tc.longest {
			t.Errorf("%s: got %d/%d, want %d/%d", tc.name, current, longest, tc.current, tc.longest)
		}
	}
}

func TestCheckinsAcrossPracticesAreNotFound(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	k := w.checkin(w.A, w.A.PartnerA, "", "partner", 5)
	for _, caller := range w.B.cast() {
		if res := caller.do(http.MethodGet, "/api/v1/checkins/"+id(k), nil); res.Status != http.StatusNotFound {
			t.Errorf("%s reads another practice's check-in: %d", caller.Name, res.Status)
		}
		if res := caller.do(http.MethodPost, "/api/v1/couples/"+id(w.A.CoupleID)+"/checkins", map[string]any{"trust": 1, "safety": 1}); res.Status != http.StatusNotFound {
			t.Errorf("%s checks in on another practice's couple: %d", caller.Name, res.Status)
		}
	}
}
