package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// trackingPlan is how a demo couple's six weeks of daily tracking went: where each partner's
// trust and safety started and ended, how reliably they checked in and kept their word.
type trackingPlan struct {
	// startA/endA and startB/endB are the trust levels at the start and end of the six weeks.
	startA, endA, startB, endB int
	// skipEvery leaves out every n-th day of check-ins, as real people do.
	skipEvery   int
	commitments []demoCommitment
	// csi4 holds each partner's CSI-4 answers at 6, 4, 2 and 0 weeks ago: one value per item.
	csi4A, csi4B [4]int
	notes        map[int]string // days ago -> a check-in note of partner a
}

type demoCommitment struct {
	seat    string
	text    string
	cadence string
	// keptFrom is the share of periods kept at the start; it grows to keptTo by the end.
	keptFrom, keptTo float64
	missNote         string
}

var trackingPlans = map[string]trackingPlan{
	"Rivera & Chen": {
		startA: 4, endA: 6, startB: 2, endB: 5, skipEvery: 9,
		commitments: []demoCommitment{
			{"a", "Text Alex when I leave work and when plans change", store.CadenceDaily, 0.6, 0.95,
				"No message when the meeting ran late."},
			{"a", "Leave my phone unlocked on the kitchen table in the evenings", store.CadenceDaily, 0.7, 1, ""},
			{"b", "Say when I need a pause instead of leaving the room", store.CadenceWeekly, 0.5, 1,
				"Walked out during Thursday's talk."},
		},
		csi4A: [4]int{2, 2, 3, 3}, csi4B: [4]int{1, 1, 2, 3},
		notes: map[int]string{
			40: "Hard to face the week ahead.", 33: "We talked for an hour without shouting.",
			21: "The apology session was heavy but it helped.", 7: "A normal evening together. Felt strange and good.",
		},
	},
	"Novak & Adeyemi": {
		startA: 5, endA: 7, startB: 3, endB: 6, skipEvery: 6,
		commitments: []demoCommitment{
			{"a", "Be home for dinner on the days I say I will be", store.CadenceDaily, 0.5, 0.85,
				"Stayed out with the team again."},
			{"a", "Plan one evening a week for the two of us, and keep it", store.CadenceWeekly, 0.4, 1, "Cancelled at the last minute."},
			{"b", "Tell Jordan when something worries me instead of keeping score", store.CadenceWeekly, 0.6, 1, ""},
		},
		csi4A: [4]int{3, 3, 3, 4}, csi4B: [4]int{2, 2, 3, 3},
		notes: map[int]string{38: "Missed dinner again and felt the distance.", 12: "Our first proper evening out in months."},
	},
	"Lindqvist & Moreau": {
		startA: 4, endA: 4, startB: 3, endB: 3, skipEvery: 3,
		csi4A: [4]int{2, 2, 2, 2}, csi4B: [4]int{1, 2, 1, 2},
	},
}

const trackingDays = 42

// loadTracking gives the demo couples six weeks of check-ins, commitments kept and missed, a
// CSI-4 every two weeks, next week's appointments and a signed clinical note.
func loadTracking(ctx context.Context, st *store.Store, practiceID int64) error {
	today, err := practiceToday(ctx, st, practiceID)
	if err != nil {
		return err
	}
	couples, err := st.Couples(ctx, practiceID, 0, store.CoupleFilter{})
	if err != nil {
		return err
	}
	for slot, couple := range couples {
		plan, ok := trackingPlans[couple.Label]
		if !ok {
			continue
		}
		seats := map[string]int64{}
		for _, p := range couple.Partners {
			seats[p.Seat] = p.UserID
		}
		if err := addCheckins(ctx, st, couple, seats, plan, today); err != nil {
			return fmt.Errorf("demo check-ins for %s: %w", couple.Label, err)
		}
		if err := addCommitments(ctx, st, couple, seats, plan, today); err != nil {
			return fmt.Errorf("demo commitments for %s: %w", couple.Label, err)
		}
		if err := addMeasures(ctx, st, couple, seats, plan, today); err != nil {
			return fmt.Errorf("demo measures for %s: %w", couple.Label, err)
		}
		if couple.Status != "active" {
			continue
		}
		if err := addAppointments(ctx, st, couple, today, slot); err != nil {
			return fmt.Errorf("demo appointments for %s: %w", couple.Label, err)
		}
	}
	return addNotes(ctx, st, couples, today)
}

// practiceToday is the start of today in the practice's time zone.
func practiceToday(ctx context.Context, st *store.Store, practiceID int64) (time.Time, error) {
	practice, err := st.PracticeByID(ctx, practiceID)
	if err != nil {
		return time.Time{}, err
	}
	loc, err := time.LoadLocation(practice.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	todayText, err := st.PracticeToday(ctx, practiceID)
	if err != nil {
		return time.Time{}, err
	}
	return time.ParseInLocation(store.DateLayout, todayText, loc)
}

// wobble is a small, repeatable day-to-day variation in -2..2.
func wobble(day, seed int) int { return (day*7+seed*3)%5 - 2 }

func clamp(v, low, high int) int { return max(low, min(high, v)) }

// trend is a level moving from start to end over the six weeks, as of daysAgo.
func trend(start, end, daysAgo int) int {
	return start + (end-start)*(trackingDays-daysAgo)/trackingDays
}

func addCheckins(ctx context.Context, st *store.Store, couple store.CoupleDetail, seats map[string]int64, plan trackingPlan, today time.Time) error {
	words := library.FeelingWords()
	for seed, seat := range []string{"a", "b"} {
		start, end := plan.startA, plan.endA
		if seat == "b" {
			start, end = plan.startB, plan.endB
		}
		for daysAgo := trackingDays; daysAgo >= 1; daysAgo-- {
			if plan.skipEvery > 0 && (daysAgo+seed)%plan.skipEvery == 0 {
				continue
			}
			trust := clamp(trend(start, end, daysAgo)+wobble(daysAgo, seed)/2, 0, 10)
			safety := clamp(trust+1+wobble(daysAgo, seed+1)/2, 0, 10)
			// Low days lean to the harder words at the end of the list, good days to the start.
			word := words[clamp((10-trust)*len(words)/11+wobble(daysAgo, seed), 0, len(words)-1)]
			visibility := store.VisibilityTherapist
			switch {
			case daysAgo%11 == 0:
				visibility = store.VisibilityPrivate
			case daysAgo%4 == 0:
				visibility = store.VisibilityPartner
			}
			note := ""
			if seat == "a" {
				note = plan.notes[daysAgo]
			}
			if _, _, err := st.SaveCheckin(ctx, store.CheckinInput{PracticeID: couple.PracticeID, CoupleID: couple.ID,
				AuthorID: seats[seat], Day: today.AddDate(0, 0, -daysAgo).Format(store.DateLayout), Trust: trust,
				Safety: safety, Feeling: word, Note: note, Visibility: &visibility}); err != nil {
				return err
			}
		}
	}
	return nil
}

func addCommitments(ctx context.Context, st *store.Store, couple store.CoupleDetail, seats map[string]int64, plan trackingPlan, today time.Time) error {
	other := map[string]string{"a": "b", "b": "a"}
	for i, c := range plan.commitments {
		start := today.AddDate(0, 0, -trackingDays)
		m, err := st.CreateCommitment(ctx, store.NewCommitment{PracticeID: couple.PracticeID, CoupleID: couple.ID,
			AuthorID: seats[c.seat], Text: c.text, Cadence: c.cadence, StartsOn: start.Format(store.DateLayout)})
		if err != nil {
			return err
		}
		step := 1
		if c.cadence == store.CadenceWeekly {
			step = 7
		}
		for daysAgo := trackingDays; daysAgo >= 1; daysAgo -= step {
			share := c.keptFrom + (c.keptTo-c.keptFrom)*float64(trackingDays-daysAgo)/trackingDays
			// A repeatable pseudo-random draw in [0, 1) decides kept or missed.
			draw := float64((daysAgo*37+i*11)%100) / 100
			kept := draw < share
			note := ""
			if !kept {
				note = c.missNote
			}
			if _, _, err := st.RecordCheck(ctx, store.CheckInput{PracticeID: couple.PracticeID, CommitmentID: m.ID,
				RecordedBy: seats[other[c.seat]], Day: today.AddDate(0, 0, -daysAgo).Format(store.DateLayout),
				Kept: kept, Note: note}); err != nil {
				return err
			}
		}
	}
	return nil
}

func addMeasures(ctx context.Context, st *store.Store, couple store.CoupleDetail, seats map[string]int64, plan trackingPlan, today time.Time) error {
	csi4, _ := library.MeasureByKey("csi4")
	for seat, levels := range map[string][4]int{"a": plan.csi4A, "b": plan.csi4B} {
		for i, level := range levels {
			answers := store.Answers{}
			for j, item := range csi4.Items {
				answers[item.Key] = clamp(level+wobble(i, j)/2, item.Min, item.Max)
			}
			score, err := csi4.Score(answers)
			if err != nil {
				return err
			}
			takenAt := today.AddDate(0, 0, -trackingDays+14*i).Add(19 * time.Hour)
			if i == len(levels)-1 {
				takenAt = today.Add(-5 * time.Hour)
			}
			if _, err := st.CreateMeasure(ctx, store.NewMeasure{PracticeID: couple.PracticeID, CoupleID: couple.ID,
				AuthorID: seats[seat], Key: csi4.Key, Answers: answers, Score: score,
				Visibility: store.VisibilityTherapist, TakenAt: takenAt}); err != nil {
				return err
			}
		}
	}
	return nil
}

// addAppointments books the couple's sessions next week, one couple per morning slot, so a
// therapist on two care teams is never booked twice.
func addAppointments(ctx context.Context, st *store.Store, couple store.CoupleDetail, today time.Time, slot int) error {
	nextMonday := today.AddDate(0, 0, 7-(int(today.Weekday())+6)%7)
	for _, day := range []int{1, 3} { // Tuesday and Thursday
		start := nextMonday.AddDate(0, 0, day).Add(time.Duration(10+2*slot) * time.Hour)
		if _, err := st.CreateAppointment(ctx, store.NewAppointment{PracticeID: couple.PracticeID, CoupleID: couple.ID,
			TherapistID: couple.CareTeam[0].UserID, StartsAt: start, EndsAt: start.Add(50 * time.Minute),
			TimeZone: today.Location().String(), CreatedBy: couple.CareTeam[0].UserID}); err != nil {
			return err
		}
	}
	return nil
}

// addNotes writes last week's signed session note, with an addendum, and a draft for the first couple.
func addNotes(ctx context.Context, st *store.Store, couples []store.CoupleDetail, today time.Time) error {
	for _, couple := range couples {
		if couple.Label != "Rivera & Chen" {
			continue
		}
		therapist := couple.CareTeam[0].UserID
		signed, err := st.CreateNote(ctx, store.NewNote{PracticeID: couple.PracticeID, CoupleID: couple.ID, AuthorID: therapist,
			Template: "soap", Sections: store.Sections{
				"subjective": "Alex reports sleeping better and fewer intrusive thoughts in the evenings. Sam says the daily messages feel like a chore some days but wants to keep them.",
				"objective":  "Both stayed in the room for the full session. Alex raised two new questions; Sam answered without defending. Alex's CSI-4 has risen since intake.",
				"assessment": "Repair is under way and the check-in routine is holding. Alex's safety still drops after late evenings.",
				"plan":       "Continue daily check-ins. Start the questions exercise with Alex. Practise asking for a pause in session next week.",
			}})
		if err != nil {
			return err
		}
		if _, err := st.SignNote(ctx, couple.PracticeID, signed.ID, func(string, store.Sections) error { return nil }); err != nil {
			return err
		}
		if _, err := st.AddAddendum(ctx, couple.PracticeID, signed.ID, therapist,
			"Alex emailed after the session to say the pause practice felt important; I will open with it next time."); err != nil {
			return err
		}
		if _, err := st.CreateNote(ctx, store.NewNote{PracticeID: couple.PracticeID, CoupleID: couple.ID, AuthorID: therapist,
			Template: "dap", Sections: store.Sections{"data": "Preparing for next week: review the questions list if Alex chooses to bring it."}}); err != nil {
			return err
		}
	}
	return nil
}
