package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/amendcare/amend/server/store"
)

// schedule asks Couple's partners to answer a questionnaire every N weeks from startsOn, straight
// in the store.
func (w *world) schedule(p *practice, key string, everyWeeks int, startsOn string) {
	w.t.Helper()
	if _, err := w.store.SetMeasureSchedule(context.Background(), p.ID, p.CoupleID, key, everyWeeks, &startsOn, p.Therapist.ID); err != nil {
		w.t.Fatal(err)
	}
}

func scheduleMatrix(couplePath pathBuilder) []matrixCase {
	return []matrixCase{
		{name: "list questionnaire schedules", object: "measure_schedule", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/measure-schedules", nil), relation: coupleRelation},
		{name: "list questionnaires due", object: "measure_schedule", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/measures-due", nil), relation: coupleRelation},
		{name: "schedule a questionnaire", object: "measure_schedule", action: "update", success: 200,
			request: couplePath(http.MethodPut, "/measure-schedules/phq9", map[string]any{"every_weeks": 4}), relation: coupleRelation},
		{name: "stop a questionnaire schedule", object: "measure_schedule", action: "update", success: 204,
			request: func(w *world, p *practice) (string, string, any) {
				w.schedule(p, "gad7", 2, "2030-01-06")
				return http.MethodDelete, "/api/v1/couples/" + id(p.CoupleID) + "/measure-schedules/gad7", nil
			}, relation: coupleRelation},
		{name: "read the partners' divergence", object: "divergence", action: "read", success: 200,
			request: couplePath(http.MethodGet, "/divergence", nil), relation: coupleRelation},
	}
}

func dueKeys(t *testing.T, reader *actor, coupleID int64) []string {
	t.Helper()
	var body struct {
		Due []store.DueMeasure `json:"due"`
	}
	res := reader.do(http.MethodGet, "/api/v1/couples/"+id(coupleID)+"/measures-due", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("%s lists what is due: %d %s", reader.Name, res.Status, res.Body)
	}
	res.JSON(t, &body)
	keys := []string{}
	for _, d := range body.Due {
		keys = append(keys, d.Key+"@"+d.DueOn)
	}
	return keys
}

func equalStrings(a, b []string) bool {
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

// TestScheduledQuestionnaireIsDueForEachPartnerUntilTheyAnswerIt schedules the PHQ-9 every two
// weeks: each partner sees it due from the start of the current period, answering it clears it for
// that partner alone, and the care team has nothing due.
func TestScheduledQuestionnaireIsDueForEachPartnerUntilTheyAnswerIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	today, err := w.store.PracticeToday(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	day, _ := time.Parse(time.DateOnly, today)
	// Started 17 days ago every two weeks: the current period began 3 days ago.
	start, periodStart := day.AddDate(0, 0, -17).Format(time.DateOnly), day.AddDate(0, 0, -3).Format(time.DateOnly)
	res := p.Therapist.do(http.MethodPut, "/api/v1/couples/"+id(p.CoupleID)+"/measure-schedules/phq9",
		map[string]any{"every_weeks": 2, "starts_on": start})
	var schedule store.MeasureSchedule
	res.JSON(t, &schedule)
	if res.Status != http.StatusOK || schedule.EveryWeeks != 2 || schedule.StartsOn != start {
		t.Fatalf("schedule: %d %s", res.Status, res.Body)
	}
	w.schedule(p, "csi4", 1, day.AddDate(0, 0, 1).Format(time.DateOnly)) // not begun yet
	// An answer before the current period does not count for it.
	if _, err := w.store.CreateMeasure(context.Background(), store.NewMeasure{PracticeID: p.ID, CoupleID: p.CoupleID, AuthorID: p.PartnerA.ID,
		Key: "phq9", Answers: phq9Answers(1, 0), Score: 8, Visibility: "therapist", TakenAt: day.AddDate(0, 0, -5).Add(12 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	want := []string{"phq9@" + periodStart}
	for _, reader := range []*actor{p.PartnerA, p.PartnerB} {
		if got := dueKeys(t, reader, p.CoupleID); !equalStrings(got, want) {
			t.Errorf("%s has due %v, want %v", reader.Name, got, want)
		}
	}
	if res := p.PartnerA.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/measures",
		map[string]any{"measure_key": "phq9", "answers": phq9Answers(1, 0)}); res.Status != http.StatusCreated {
		t.Fatalf("answer: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		reader *actor
		want   []string
	}{
		{p.PartnerA, []string{}},
		{p.PartnerB, want},
		{p.Therapist, []string{}},
	} {
		if got := dueKeys(t, tc.reader, p.CoupleID); !equalStrings(got, tc.want) {
			t.Errorf("%s has due %v after partner a answered, want %v", tc.reader.Name, got, tc.want)
		}
	}
	for _, reader := range []*actor{p.OtherTherapist, p.Admin, p.OtherPartner, w.B.PartnerA} {
		if res := reader.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/measures-due", nil); res.Status != http.StatusNotFound {
			t.Errorf("%s reads what is due for the couple: %d, want 404", reader.Name, res.Status)
		}
	}
	for _, tc := range []struct {
		name, key string
		body      any
		status    int
	}{
		{"an unknown questionnaire", "bdi2", map[string]any{"every_weeks": 2}, http.StatusNotFound},
		{"no interval", "gad7", map[string]any{}, http.StatusUnprocessableEntity},
		{"more than a year apart", "gad7", map[string]any{"every_weeks": 53}, http.StatusUnprocessableEntity},
		{"a start that is no date", "gad7", map[string]any{"every_weeks": 2, "starts_on": "soon"}, http.StatusUnprocessableEntity},
	} {
		if res := p.Therapist.doInvalid(http.MethodPut, "/api/v1/couples/"+id(p.CoupleID)+"/measure-schedules/"+tc.key, tc.body); res.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, res.Status, res.Body, tc.status)
		}
	}
	if res := p.Therapist.do(http.MethodDelete, "/api/v1/couples/"+id(p.CoupleID)+"/measure-schedules/phq9", nil); res.Status != http.StatusNoContent {
		t.Fatalf("stop: %d %s", res.Status, res.Body)
	}
	if got := dueKeys(t, p.PartnerB, p.CoupleID); len(got) != 0 {
		t.Errorf("still due after the schedule stopped: %v", got)
	}
}

// TestQuestionnaireRemindersTellOnlyThatSomethingIsWaiting: the daily run mails each partner with
// a scheduled questionnaire still to answer once per period, naming nothing clinical, not even the
// questionnaire; a partner who answered, the care team and other practices get nothing.
func TestQuestionnaireRemindersTellOnlyThatSomethingIsWaiting(t *testing.T) {
	t.Parallel()
	w := newMailWorld(t)
	p := w.A
	w.schedule(p, "phq9", 2, "2020-01-06")
	w.schedule(w.B, "gad7", 1, "2099-01-05") // not begun
	if res := p.PartnerB.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/measures",
		map[string]any{"measure_key": "phq9", "answers": phq9Answers(0, 0)}); res.Status != http.StatusCreated {
		t.Fatalf("answer: %d %s", res.Status, res.Body)
	}
	for range 2 {
		if err := w.mail.QueueMeasureReminders(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	w.pit.WaitFor(1, 30*time.Second)
	for _, tc := range []struct {
		who      *actor
		messages int
	}{{p.PartnerA, 1}, {p.PartnerB, 0}, {p.Therapist, 0}, {w.B.PartnerA, 0}, {w.B.PartnerB, 0}} {
		got := w.messagesTo(tc.who.Email)
		if len(got) != tc.messages {
			t.Errorf("%s got %d reminders, want %d", tc.who.Name, len(got), tc.messages)
		}
		for _, m := range got {
			whole := m.Subject + m.Text + m.HTML
			for _, clinical := range []string{"PHQ", "Patient Health", "questionnaire", "depress", "Questionnaire"} {
				if strings.Contains(whole, clinical) {
					t.Errorf("the reminder to %s says %q", tc.who.Name, clinical)
				}
			}
			if m.Subject != "Something is waiting for you in Amend" {
				t.Errorf("subject %q", m.Subject)
			}
		}
	}
	if n := w.countJobs(`args->>'type' = 'questionnaire_due'`); n != 1 {
		t.Errorf("%d reminder jobs queued by two runs, want 1", n)
	}
}
