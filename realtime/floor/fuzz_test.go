package floor

import (
	"testing"
	"time"
)

// FuzzDecide reads its input as a session: the first byte picks the mode, then every four bytes
// are one command (actor, type, a field selector, seconds to wait before it). The floor's
// invariants are checked after every step.
func FuzzDecide(f *testing.F) {
	actors := append(allActors, Actor{UserID: 99, Role: "guest"})
	types := append(allCommandTypes, "shout")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		mode := []string{ModeTurns, ModeListener}[data[0]%2]
		checker := newStepChecker(t, "fuzz input", NewState(mode, 0, 0))
		for step := data[1:]; len(step) >= 4 && checker.steps < 64; step = step[4:] {
			actor := actors[int(step[0])%len(actors)]
			cmd := Command{ID: "f", Type: types[int(step[1])%len(types)]}
			field := int(step[2])
			switch cmd.Type {
			case CommandSay, CommandDraft, CommandParaphrase, CommandModerator:
				cmd.Text = texts[field%len(texts)]
			case CommandConfirm:
				cmd.OK = []*bool{nil, yes(), no()}[field%3]
			case CommandGrant:
				cmd.Seat = seats[field%len(seats)]
			case CommandExtend:
				cmd.Seconds = durations[field%len(durations)]
			case CommandMode:
				cmd.Mode = modes[field%len(modes)]
			case CommandSettings:
				cmd.TurnSeconds = durations[field%len(durations)]
				cmd.MinBreakSeconds = durations[field/len(durations)%len(durations)]
			case CommandPause:
				cmd.Reason = texts[field%3]
			}
			checker.step(actor, cmd, time.Duration(step[3])*time.Second)
		}
	})
}
