package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/amendcare/amend/server/store"
)

func TestProgressShowsOnlyWhatTheReaderMaySee(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	ctx := context.Background()
	// Partner A: one check-in of each visibility; partner B: one shared.
	w.checkin(p, p.PartnerA, "2024-05-01", "private", 1)
	w.checkin(p, p.PartnerA, "2024-05-02", "therapist", 2)
	w.checkin(p, p.PartnerA, "2024-05-03", "partner", 3)
	w.checkin(p, p.PartnerB, "2024-05-01", "partner", 7)
	w.measure(p, p.PartnerA, "private", 1, time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC))
	w.measure(p, p.PartnerA, "therapist", 2, time.Date(2024, 5, 15, 9, 0, 0, 0, time.UTC))
	w.measure(p, p.PartnerB, "partner", 4, time.Date(2024, 5, 15, 9, 0, 0, 0, time.UTC))
	// Partner A's commitment, kept twice and missed once in the week of 2024-04-29, kept in the next.
	m := w.commitment(p, p.PartnerA, store.CadenceDaily, "2024-04-29")
	for day, kept := range map[string]bool{"2024-04-29": true, "2024-04-30": true, "2024-05-01": false, "2024-05-06": true} {
		if _, _, err := w.store.RecordCheck(ctx, store.CheckInput{PracticeID: p.ID, CommitmentID: m, RecordedBy: p.PartnerB.ID, Day: day, Kept: kept}); err != nil {
			t.Fatal(err)
		}
	}
	// Exercises: partner A completes one of two; partner B keeps theirs private.
	done := w.assignStep(p, "apology", "a", "therapist")
	w.submitStep(p, done)
	w.assignStep(p, "being_specific", "a", "therapist")
	w.assignStep(p, "open_communication", "b", "private")

	type series struct {
		checkinTrust []int
		measures     []int
		exercises    int // total assignments counted
	}
	for _, tc := range []struct {
		reader *actor
		a, b   series
	}{
		{p.PartnerA, series{[]int{1, 2, 3}, []int{4, 8}, 2}, series{[]int{7}, []int{16}, 0}},
		{p.PartnerB, series{[]int{3}, nil, 0}, series{[]int{7}, []int{16}, 1}},
		{p.Therapist, series{[]int{2, 3}, []int{8}, 2}, series{[]int{7}, []int{16}, 1}},
	} {
		res := tc.reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/progress", nil)
		var got Progress
		res.JSON(t, &got)
		if res.Status != http.StatusOK || len(got.Partners) != 2 {
			t.Fatalf("%s: %d %s", tc.reader.Name, res.Status, res.Body)
		}
		for i, want := range []series{tc.a, tc.b} {
			pp := got.Partners[i]
			var trust, scores []int
			for _, k := range pp.Checkins {
				trust = append(trust, k.Trust)
			}
			for _, m := range pp.Measures {
				scores = append(scores, m.Score)
			}
			if !equalInts(trust, want.checkinTrust) || !equalInts(scores, want.measures) || pp.Exercises.Total != want.exercises {
				t.Errorf("%s sees seat %s: trust %v measures %v exercises %d; want %v %v %d",
					tc.reader.Name, pp.Seat, trust, scores, pp.Exercises.Total, want.checkinTrust, want.measures, want.exercises)
			}
		}
		kept := got.Partners[0].Commitments
		if kept.Done != 3 || kept.Total != 4 || len(kept.Weeks) != 2 || kept.Weeks[0].WeekStart != "2024-04-29" ||
			kept.Weeks[0].Done != 2 || kept.Weeks[0].Total != 3 || *kept.Weeks[1].Rate != 1 {
			t.Errorf("%s sees partner a's kept rate %+v", tc.reader.Name, kept)
		}
	}
	var forA Progress
	p.PartnerA.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/progress", nil).JSON(t, &forA)
	if ex := forA.Partners[0].Exercises; ex.Done != 1 || ex.Total != 2 || *ex.Rate != 0.5 {
		t.Errorf("partner a's exercise completion %+v, want 1 of 2", ex)
	}
	if forA.Partners[0].Measures[0].BelowCutoff != true || len(forA.Questionnaires) != 3 || forA.Questionnaires[0].Cutoff != 13.5 ||
		forA.Questionnaires[0].Thresholds[0].Value != 13.5 {
		t.Errorf("measures and cut-off: %+v %+v", forA.Partners[0].Measures, forA.Questionnaires)
	}
	for _, reader := range []*actor{p.Admin, p.OtherTherapist, p.OtherPartner, w.B.Therapist} {
		if res := reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/progress", nil); res.Status != http.StatusNotFound {
			t.Errorf("%s reads progress: %d", reader.Name, res.Status)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDemoHasSixWeeksOfTrackingWorthCharting(t *testing.T) {
	t.Parallel()
	st, practiceID, couples := loadDemo(t)
	ctx := t.Context()
	today, err := st.PracticeToday(ctx, practiceID)
	if err != nil {
		t.Fatal(err)
	}
	signedNotes, upcoming := 0, 0
	for _, c := range couples {
		checkins, err := st.ProgressCheckins(ctx, practiceID, c.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		measures, err := st.ProgressMeasures(ctx, practiceID, c.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		kept, err := st.ProgressCommitments(ctx, practiceID, c.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		csi4 := 0
		for _, m := range measures {
			if m.Key == "csi4" {
				csi4++
			}
		}
		if len(checkins) < 50 || checkins[0].Day > time.Now().AddDate(0, 0, -40).Format(store.DateLayout) || csi4 != 8 {
			t.Errorf("%s: %d check-ins, %d CSI-4 answers", c.Label, len(checkins), csi4)
		}
		for _, k := range checkins {
			if k.Day >= today {
				t.Errorf("%s: a demo check-in is dated %s, not before today %s", c.Label, k.Day, today)
			}
		}
		if c.Status == "active" && len(kept) < 6 {
			t.Errorf("%s: commitment records span %d author-weeks", c.Label, len(kept))
		}
		appointments, err := st.CoupleAppointments(ctx, practiceID, c.ID, store.AppointmentFilter{From: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		upcoming += len(appointments)
		notes, err := st.Notes(ctx, practiceID, c.ID, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			if n.SignedAt != nil {
				signedNotes++
			}
		}
	}
	if upcoming < 4 || signedNotes != 1 {
		t.Errorf("demo has %d upcoming appointments and %d signed notes", upcoming, signedNotes)
	}
}

// An exercise due in a week that has not begun is not yet a week of completion: the chart
// counts weeks up to the current one only, whoever reads it.
func TestExerciseCompletionLeavesOutWeeksNotYetBegun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	ctx := context.Background()
	today, err := w.store.PracticeToday(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	day, err := time.Parse(time.DateOnly, today)
	if err != nil {
		t.Fatal(err)
	}
	assign := func(key, seat string, due time.Time) int64 {
		dueOn := due.Format(time.DateOnly)
		ids, err := w.store.CreateAssignments(ctx, store.NewAssignment{PracticeID: p.ID, CoupleID: p.CoupleID,
			ExerciseID: w.builtinStep(p, key).ID, Seats: []string{seat}, DueOn: &dueOn, AssignedBy: p.Therapist.ID})
		if err != nil {
			t.Fatal(err)
		}
		return ids[0]
	}
	// Due today and not done; due in two weeks, one handed in early and one not.
	assign("apology", "a", day)
	w.submitStep(p, assign("being_specific", "a", day.AddDate(0, 0, 14)))
	assign("open_communication", "b", day.AddDate(0, 0, 14))

	for _, tc := range []struct {
		reader    *actor
		wantWeeks int // weeks counted for partner a
		status    int
	}{
		{p.Therapist, 1, http.StatusOK},
		{p.PartnerA, 1, http.StatusOK},
		{p.OtherTherapist, 0, http.StatusNotFound},
	} {
		res := tc.reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/progress", nil)
		if res.Status != tc.status {
			t.Fatalf("%s reads progress: %d %s", tc.reader.Name, res.Status, res.Body)
		}
		if tc.status != http.StatusOK {
			continue
		}
		var got Progress
		res.JSON(t, &got)
		for _, pp := range got.Partners {
			for _, week := range pp.Exercises.Weeks {
				if week.WeekStart > got.Today {
					t.Errorf("%s sees seat %s's week of %s, after today %s", tc.reader.Name, pp.Seat, week.WeekStart, got.Today)
				}
			}
		}
		if a := got.Partners[0].Exercises; len(a.Weeks) != tc.wantWeeks || a.Done != 0 || a.Total != 1 {
			t.Errorf("%s sees seat a's exercise completion %+v, want only this week's one exercise, not done", tc.reader.Name, a)
		}
	}
}
