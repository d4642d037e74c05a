package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/store"
)

// liveLine is one step of the demo's past live session: who sends what, and when (minutes in).
type liveLine struct {
	minute float64
	role   floor.Role
	cmd    floor.Command
}

func ok(v bool) *bool { return &v }

// pastSession is a speaker–listener conversation from last week: the hurt partner speaks, the
// other paraphrases until it lands, and the floor changes hands.
var pastSession = []liveLine{
	{0, floor.RoleChair, floor.Command{Type: floor.CommandModerator, Text: "Welcome back. Today we practise listening: one speaks, the other says back what they heard."}},
	{0.5, floor.RoleChair, floor.Command{Type: floor.CommandGrant, Seat: "b"}},
	{1, floor.RoleB, floor.Command{Type: floor.CommandSay, Text: "When your phone is face down on the table, I start wondering what is on it, and then I hate that I wonder."}},
	{1.5, floor.RoleA, floor.Command{Type: floor.CommandSay, Text: "That is not fair, I only—"}},
	{2, floor.RoleB, floor.Command{Type: floor.CommandSay, Text: "I want to stop checking. I need it to feel like there is nothing to find."}},
	{2.25, floor.RoleB, floor.Command{Type: floor.CommandYield}},
	{3, floor.RoleA, floor.Command{Type: floor.CommandParaphrase, Text: "You feel suspicious when I hide my phone."}},
	{3.5, floor.RoleB, floor.Command{Type: floor.CommandConfirm, OK: ok(false)}},
	{4, floor.RoleA, floor.Command{Type: floor.CommandParaphrase, Text: "When my phone is turned over, the worry comes back, and you dislike feeling it. You want things open enough that the worry has nowhere to go."}},
	{4.5, floor.RoleB, floor.Command{Type: floor.CommandConfirm, OK: ok(true)}},
	{5, floor.RoleA, floor.Command{Type: floor.CommandSay, Text: "I can leave it face up, and tell you when a message is from someone you might worry about."}},
	{6, floor.RoleA, floor.Command{Type: floor.CommandYield}},
	{6.5, floor.RoleB, floor.Command{Type: floor.CommandParaphrase, Text: "You will keep your phone in view and tell me first, before I have to ask."}},
	{7, floor.RoleA, floor.Command{Type: floor.CommandConfirm, OK: ok(true)}},
	{8, floor.RoleChair, floor.Command{Type: floor.CommandModerator, Text: "Thank you both. Notice how the second paraphrase landed: it named the feeling, not just the event."}},
	{8.5, floor.RoleChair, floor.Command{Type: floor.CommandEnd}},
}

// loadLive records one finished live session for the first active couple, played through the
// same state machine and event log a real session uses.
func loadLive(ctx context.Context, st *store.Store, practiceID int64, now time.Time) error {
	couples, err := st.Couples(ctx, practiceID, 0, store.CoupleFilter{Status: "active"})
	if err != nil || len(couples) == 0 {
		return err
	}
	couple := couples[0]
	if len(couple.CareTeam) == 0 || len(couple.Partners) < 2 {
		return fmt.Errorf("demo couple %d lacks a care team or partners", couple.ID)
	}
	users := map[floor.Role]int64{floor.RoleChair: couple.CareTeam[0].UserID}
	for _, p := range couple.Partners {
		users[floor.Role(p.Seat)] = p.UserID
	}
	log := realtime.NewLog(st.DB())
	session, err := log.Create(ctx, realtime.NewSession{PracticeID: practiceID, CoupleID: couple.ID,
		CreatedBy: users[floor.RoleChair], Mode: floor.ModeListener})
	if err != nil {
		return err
	}
	start := now.AddDate(0, 0, -7).Truncate(time.Hour)
	for i, line := range pastSession {
		line.cmd.ID = fmt.Sprintf("demo-%d", i)
		at := start.Add(time.Duration(line.minute * float64(time.Minute)))
		_, err := log.Execute(ctx, session.ID, line.cmd, floor.Actor{UserID: users[line.role], Role: line.role}, at)
		var refused *floor.Error
		if errors.As(err, &refused) && refused.Code == floor.CodeNotYourTurn {
			continue // the interruption the floor blocked, as it would be live
		}
		if err != nil {
			return fmt.Errorf("demo live session step %d: %w", i, err)
		}
	}
	return nil
}
