package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/amendcare/amend/server/store"
)

// plannedWork is one assignment in the demo: a built-in step given to a seat some days ago, how
// far the partner got, who may read it, and the conversation around it.
type plannedWork struct {
	step       string
	seat       string
	daysAgo    int
	dueInDays  int // 0: no due date
	note       string
	status     string // where the work has got to
	visibility string // "" keeps the step's default
	answers    map[string]any
	feedback   string
	comments   []string // alternating: the therapist, then the partner's reply
}

// coupleWork is the demo work per couple, by label.
var coupleWork = map[string][]plannedWork{
	"Rivera & Chen": {
		{step: "counseling", seat: "a", daysAgo: 40, status: store.StatusReviewed,
			answers: map[string]any{
				"hopes":              "I want us to find a way to talk about what I did without it turning into a fight every time.",
				"goals":              []string{"Be honest even when it is uncomfortable", "Learn to listen without defending myself", "Rebuild some everyday trust"},
				"first_topics":       []string{"What happened", "How we talk to each other"},
				"safety_in_sessions": 6,
			},
			feedback: "Thank you. Your second goal is a good place for us to start next week."},
		{step: "counseling", seat: "b", daysAgo: 40, status: store.StatusReviewed,
			answers: map[string]any{
				"hopes":              "I need to understand how this happened, and whether I can feel safe with Sam again.",
				"goals":              []string{"Get honest answers to my questions", "Sleep through the night again"},
				"first_topics":       []string{"What happened", "Looking after ourselves through this"},
				"worries":            "That I will say something in anger that I cannot take back.",
				"safety_in_sessions": 4,
			},
			feedback: "It makes sense to feel wary. We will go at a pace that keeps the room safe for you."},
		{step: "apology", seat: "a", daysAgo: 28, dueInDays: -21, status: store.StatusReviewed, visibility: "therapist",
			note: "Write it for Alex, not for me. We will read it together before you share it.",
			answers: map[string]any{
				"what_happened":     "For eight months I kept up a relationship with someone from work and lied about where I was.",
				"effect_on_partner": "Alex has stopped trusting their own memory of our last year. They check my phone and hate that they need to.",
				"what_will_change":  "I will tell Alex where I am without being asked, and I have changed teams so I no longer work with that person.",
				"apology":           "Alex, I am sorry. I lied to you for months and made you doubt yourself. You did nothing to deserve that.",
				"read_back":         []string{"It does not explain or justify what I did", "It says sorry without any conditions"},
			},
			feedback: "This is honest and it stays with Alex's experience. Ready to share in session when you are.",
			comments: []string{"What was hardest to put into words here?", "Writing that Alex had started to doubt themselves. I had not let myself see that before."}},
		{step: "being_specific", seat: "a", daysAgo: 14, dueInDays: -7, status: store.StatusSubmitted, visibility: "partner",
			answers: map[string]any{
				"facts":                 "It began at the spring conference and ended in November, when Alex found the messages.",
				"moments":               []string{"The conference in April", "Telling Alex I was working late in June", "The weekend away I called a training course"},
				"impact":                "Alex has to wonder about every late evening. Our weekends feel careful instead of easy.",
				"making_it_right":       "Answer every question Alex asks, for as long as they need to ask.",
				"openness_to_questions": 8,
			}},
		{step: "open_communication", seat: "b", daysAgo: 9, dueInDays: 5, status: store.StatusInProgress, visibility: "private",
			note: "Start the list whenever you are ready; nobody sees it until you choose to share it.",
			answers: map[string]any{
				"questions":   []string{"Did you ever think about telling me yourself?", "Were there others?"},
				"how_it_felt": "Like the floor went from under me.",
			}},
		{step: "forgiveness", seat: "b", daysAgo: 2, dueInDays: 12, status: store.StatusAssigned,
			note: "No hurry with this one. It is about where you are, not where you should be."},
	},
	"Novak & Adeyemi": {
		{step: "counseling", seat: "a", daysAgo: 35, status: store.StatusSubmitted,
			answers: map[string]any{
				"hopes":              "I keep making promises I do not keep. I want to understand why.",
				"goals":              []string{"Keep small promises first"},
				"safety_in_sessions": 7,
			}},
		{step: "counseling", seat: "b", daysAgo: 35, status: store.StatusSubmitted, visibility: "partner",
			answers: map[string]any{
				"hopes":              "To be able to count on Jordan again when it matters.",
				"goals":              []string{"Fewer last-minute cancellations", "Talk before things boil over"},
				"first_topics":       []string{"How we handle arguments"},
				"safety_in_sessions": 8,
			}},
		{step: "apology_plan", seat: "a", daysAgo: 21, status: store.StatusSubmitted, visibility: "private",
			answers: map[string]any{
				"key_points":          []string{"I missed your mother's hospital visit after promising to drive", "You had to cope with it alone"},
				"feelings_beforehand": []string{"Nervous", "Tempted to explain myself"},
				"rehearsal_notes":     "When I said it out loud I kept starting sentences with 'but'.",
				"readiness":           6,
			}},
		{step: "commitment", seat: "a", daysAgo: 12, dueInDays: -2, status: store.StatusReopened,
			answers: map[string]any{
				"commitments":  []string{"Be home for dinner on weeknights"},
				"checking_in":  "We will see how it goes.",
				"after_a_slip": "Say sorry.",
			},
			feedback: "Could you make the check-in concrete: when, and how long? Tayo asked for that in session."},
		{step: "commitment", seat: "b", daysAgo: 12, dueInDays: -2, status: store.StatusInProgress,
			answers: map[string]any{
				"commitments": []string{"Tell Jordan early when plans change on my side too"},
				"checking_in": "Sunday evenings, fifteen minutes, phones away.",
			}},
	},
	"Lindqvist & Moreau": {
		{step: "apology", seat: "a", daysAgo: 50, dueInDays: -36, status: store.StatusInProgress,
			note: "We paused before this was finished; pick it up again when sessions restart.",
			answers: map[string]any{
				"what_happened": "I told Claire the debts were paid off when they were not.",
			}},
	},
}

// loadCoupleWork gives the demo couples assignments in every status, with responses of each
// visibility and some feedback, spread over the past weeks.
func loadCoupleWork(ctx context.Context, st *store.Store, practiceID int64, now time.Time) error {
	couples, err := st.Couples(ctx, practiceID, 0, store.CoupleFilter{})
	if err != nil {
		return err
	}
	exercises, err := st.Exercises(ctx, practiceID)
	if err != nil {
		return err
	}
	steps := map[string]int64{}
	for _, e := range exercises {
		if e.Key != nil {
			steps[*e.Key] = e.ID
		}
	}
	for _, couple := range couples {
		partners := map[string]int64{}
		for _, p := range couple.Partners {
			partners[p.Seat] = p.UserID
		}
		therapist := couple.CareTeam[0].UserID
		for _, work := range coupleWork[couple.Label] {
			if err := addWork(ctx, st, couple, steps[work.step], therapist, partners[work.seat], work, now); err != nil {
				return fmt.Errorf("demo work for %s (%s): %w", couple.Label, work.step, err)
			}
		}
	}
	return nil
}

func addWork(ctx context.Context, st *store.Store, couple store.CoupleDetail, exerciseID, therapist, partner int64, work plannedWork, now time.Time) error {
	assignedAt := now.AddDate(0, 0, -work.daysAgo)
	in := store.NewAssignment{PracticeID: couple.PracticeID, CoupleID: couple.ID, ExerciseID: exerciseID,
		Seats: []string{work.seat}, Note: work.note, AssignedBy: therapist}
	if work.dueInDays != 0 {
		due := now.AddDate(0, 0, work.dueInDays).Format(time.DateOnly)
		in.DueOn = &due
	}
	ids, err := st.CreateAssignments(ctx, in)
	if err != nil {
		return err
	}
	id := ids[0]
	if work.visibility != "" {
		if _, err := st.SetResponseVisibility(ctx, couple.PracticeID, id, work.visibility); err != nil {
			return err
		}
	}
	history := store.AssignmentHistory{AssignedAt: assignedAt}
	if work.answers != nil {
		answers, err := json.Marshal(work.answers)
		if err != nil {
			return err
		}
		if err := st.SaveDraft(ctx, couple.PracticeID, id, answers); err != nil {
			return err
		}
	}
	switch work.status {
	case store.StatusSubmitted, store.StatusReviewed, store.StatusReopened:
		if err := st.SubmitResponse(ctx, couple.PracticeID, id, nil); err != nil {
			return err
		}
		history.SubmittedAt = assignedAt.AddDate(0, 0, 4)
	}
	if work.feedback != "" {
		if err := st.ReviewResponse(ctx, couple.PracticeID, id, therapist, work.feedback); err != nil {
			return err
		}
		history.ReviewedAt = assignedAt.AddDate(0, 0, 6)
	}
	if work.status == store.StatusReopened {
		if err := st.ReopenAssignment(ctx, couple.PracticeID, id); err != nil {
			return err
		}
	}
	var parent *int64
	for i, body := range work.comments {
		author := therapist
		if i%2 == 1 {
			author = partner
		}
		c, err := st.AddComment(ctx, couple.PracticeID, id, author, parent, body)
		if err != nil {
			return err
		}
		parent = &c.ID
	}
	return st.DateAssignment(ctx, couple.PracticeID, id, history)
}
