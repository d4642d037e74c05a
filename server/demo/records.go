package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// recordsCouple is the demo couple whose file shows the records a practice keeps beyond the
// exercises: consents and intakes, a signed treatment plan, PHQ-9 and GAD-7 series, and accounts.
// The browser tests work on the other couples' files, so this one's content is its own.
const recordsCouple = "Novak & Adeyemi"

var seatsInOrder = []string{"a", "b"}

// questionnaireLevels is each partner's answer to every item of the PHQ-9 and GAD-7 six, four
// and two weeks ago: both ease as the weeks go by. Item 9 of the PHQ-9 is always "not at all".
var questionnaireLevels = map[string][3]int{"a": {2, 1, 1}, "b": {1, 1, 0}}

// loadRecords gives the records couple their forms, plan, questionnaires and accounts.
func loadRecords(ctx context.Context, st *store.Store, practiceID int64) error {
	today, err := practiceToday(ctx, st, practiceID)
	if err != nil {
		return err
	}
	couples, err := st.Couples(ctx, practiceID, 0, store.CoupleFilter{})
	if err != nil {
		return err
	}
	for _, couple := range couples {
		if couple.Label != recordsCouple {
			continue
		}
		seats := map[string]int64{}
		for _, p := range couple.Partners {
			seats[p.Seat] = p.UserID
		}
		therapist := couple.CareTeam[0].UserID
		for _, step := range []struct {
			what string
			load func() error
		}{
			{"forms", func() error { return addForms(ctx, st, couple, therapist, today) }},
			{"treatment plan", func() error { return addPlan(ctx, st, couple, therapist, seats, today) }},
			{"questionnaires", func() error { return addQuestionnaires(ctx, st, couple, seats, today) }},
			{"accounts", func() error { return addAccounts(ctx, st, couple, therapist, seats, today) }},
		} {
			if err := step.load(); err != nil {
				return fmt.Errorf("demo %s for %s: %w", step.what, couple.Label, err)
			}
		}
	}
	return nil
}

// addForms sends the consent to both partners, who signed it five weeks ago, and the intake to
// both: partner a has begun it, partner b has not opened it yet.
func addForms(ctx context.Context, st *store.Store, couple store.CoupleDetail, therapist int64, today time.Time) error {
	send := func(key string) ([]int64, error) {
		f, _ := library.FormByKey(key)
		return st.CreateForms(ctx, store.NewForms{PracticeID: couple.PracticeID, CoupleID: couple.ID, BuiltinKey: &key,
			Content: store.FormContent{Title: f.Title, Body: f.Body, Signature: f.Signature, Fields: f.Fields},
			Seats:   seatsInOrder, SentBy: therapist})
	}
	consents, err := send("couples_consent")
	if err != nil {
		return err
	}
	consent, _ := library.FormByKey("couples_consent")
	read, _ := json.Marshal(map[string]any{"questions_answered": consent.Fields[0].Options})
	names := map[string]string{}
	for _, p := range couple.Partners {
		names[p.Seat] = p.Name
	}
	// CreateForms answers the forms' ids in the order of the seats it was given.
	for i, formID := range consents {
		sig := &library.Signature{Name: names[seatsInOrder[i]], At: today.AddDate(0, 0, -36).Add(time.Duration(18+i) * time.Hour),
			Address: "192.0.2.10"}
		if err := st.AnswerForm(ctx, couple.PracticeID, formID, store.FormAnswers{Answers: read, Final: true, Signature: sig}); err != nil {
			return err
		}
	}
	intakes, err := send("partner_intake")
	if err != nil {
		return err
	}
	begun, _ := json.Marshal(map[string]any{"hopes": "To keep the small promises first, so the big ones mean something again.",
		"commitment": 8})
	return st.AnswerForm(ctx, couple.PracticeID, intakes[0], store.FormAnswers{Answers: begun})
}

// addPlan writes the couple's treatment plan, reviewed with them and signed four weeks ago, and
// acknowledged by both partners.
func addPlan(ctx context.Context, st *store.Store, couple store.CoupleDetail, therapist int64, seats map[string]int64, today time.Time) error {
	day := func(days int) *string {
		d := today.AddDate(0, 0, days).Format(store.DateLayout)
		return &d
	}
	plan, err := st.CreatePlanDraft(ctx, couple.PracticeID, couple.ID, therapist, store.PlanContent{
		Problems: []string{"Repeated broken promises have worn down trust in everyday plans.",
			"Worries are kept to oneself until they come out as arguments."},
		Goals: []store.PlanGoal{
			{Text: "Make everyday promises reliable again.", TargetOn: day(56),
				Objectives: []store.PlanObjective{
					{Text: "Jordan keeps at least nine in ten dinner commitments for four weeks in a row.",
						Measure: "Commitment record", TargetOn: day(28)},
					{Text: "Both partners rate trust at 6 or more on four weekly check-ins in a row.",
						Measure: "Weekly trust check-in", TargetOn: day(42)},
				},
				Interventions: []string{"Commitment tracking reviewed at the start of each session.",
					"Repair conversation after each missed commitment, in session."}},
			{Text: "Raise worries early and calmly.", TargetOn: day(70),
				Objectives: []store.PlanObjective{{Text: "Tayo names a worry in the weekly talk at least three weeks in four.",
					Measure: "Self-report in session", TargetOn: day(42)}},
				Interventions: []string{"Speaker-listener practice in live sessions."}},
		},
		ReviewOn: day(28), ReviewedWithCoupleOn: day(-29),
	})
	if err != nil {
		return err
	}
	if _, err := st.SignPlan(ctx, couple.PracticeID, plan.ID, therapist, func(store.PlanContent) error { return nil }); err != nil {
		return err
	}
	for _, seat := range []string{"a", "b"} {
		if _, err := st.AcknowledgePlan(ctx, couple.PracticeID, plan.ID, seats[seat]); err != nil {
			return err
		}
	}
	return nil
}

// addQuestionnaires records each partner's PHQ-9 and GAD-7 six, four and two weeks ago.
func addQuestionnaires(ctx context.Context, st *store.Store, couple store.CoupleDetail, seats map[string]int64, today time.Time) error {
	for _, key := range []string{"phq9", "gad7"} {
		q, _ := library.MeasureByKey(key)
		for seat, levels := range questionnaireLevels {
			for i, level := range levels {
				answers := store.Answers{}
				for j, item := range q.Items {
					answers[item.Key] = clamp(level+wobble(i, j)/2, item.Min, item.Max)
				}
				if q.SafetyItem != "" {
					answers[q.SafetyItem] = 0
				}
				score, err := q.Score(answers)
				if err != nil {
					return err
				}
				takenAt := today.AddDate(0, 0, -42+14*i).Add(20 * time.Hour)
				if _, err := st.CreateMeasure(ctx, store.NewMeasure{PracticeID: couple.PracticeID, CoupleID: couple.ID,
					AuthorID: seats[seat], Key: key, Answers: answers, Score: score,
					Visibility: store.VisibilityTherapist, TakenAt: takenAt}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// addAccounts books the couple's last three weekly sessions, records them attended (which charges
// each at the practice's fee) and a payment by partner b towards them.
func addAccounts(ctx context.Context, st *store.Store, couple store.CoupleDetail, therapist int64, seats map[string]int64, today time.Time) error {
	now := time.Now()
	for weeksAgo := 3; weeksAgo >= 1; weeksAgo-- {
		start := today.AddDate(0, 0, -7*weeksAgo).Add(17 * time.Hour)
		a, err := st.CreateAppointment(ctx, store.NewAppointment{PracticeID: couple.PracticeID, CoupleID: couple.ID,
			TherapistID: therapist, StartsAt: start, EndsAt: start.Add(50 * time.Minute),
			TimeZone: today.Location().String(), CreatedBy: therapist})
		if err != nil {
			return err
		}
		if _, err := st.RecordAttendance(ctx, couple.PracticeID, a.ID, store.AttendanceAttended, now); err != nil {
			return err
		}
	}
	method, payer := "card", seats["b"]
	_, err := st.RecordEntry(ctx, couple.PracticeID, store.NewEntry{CoupleID: couple.ID, PayerID: &payer,
		Kind: store.EntryPayment, AmountCents: 30000, Method: &method, Reference: "Card ending 4242",
		PostedOn: today.AddDate(0, 0, -7).Format(store.DateLayout)})
	return err
}
