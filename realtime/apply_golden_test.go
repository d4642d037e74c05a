package realtime

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"
)

// The web app folds events into a state by a copy of Apply (frontend/src/lib/live.ts). This
// file of event sequences, each event with the state Apply makes of it, keeps the two the same:
// the Go test below writes it (go test ./realtime -run TestApplyGolden -update) and otherwise
// checks it; live.golden.test.ts replays it through the TypeScript copy.
const applyGoldenFile = "testdata/apply.golden.json"

var updateGolden = flag.Bool("update", false, "rewrite "+applyGoldenFile+" from the floor rules")

// goldenSequence is a session driven from its first state: every event and the state after it.
type goldenSequence struct {
	Name  string       `json:"name"`
	Start State        `json:"start"`
	Steps []goldenStep `json:"steps"`
}

type goldenStep struct {
	Event Event `json:"event"`
	State State `json:"state"`
}

// recorder drives a session through Decide and Apply like room, keeping what happened.
type recorder struct {
	t   *testing.T
	seq goldenSequence
	s   State
	now time.Time
}

func record(t *testing.T, name string, start State) *recorder {
	return &recorder{t: t, seq: goldenSequence{Name: name, Start: start}, s: start, now: start0}
}

// start0 is the sessions' first instant.
var start0 = time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)

func (r *recorder) wait(d time.Duration) *recorder { r.now = r.now.Add(d); return r }

func (r *recorder) do(actor Actor, cmd Command) *recorder {
	r.t.Helper()
	cmd.ID = "golden"
	events, err := Decide(r.s, cmd, actor, r.now)
	if err != nil {
		r.t.Fatalf("%s: %s by %s refused: %v", r.seq.Name, cmd.Type, actor.Role, err)
	}
	for _, e := range events {
		e.Seq = r.s.Seq + 1
		r.s = Apply(r.s, e)
		r.seq.Steps = append(r.seq.Steps, goldenStep{Event: e, State: r.s})
	}
	return r
}

// goldenSequences are sessions that pass through every event type Apply folds.
func goldenSequences(t *testing.T) []goldenSequence {
	say := func(text string) Command { return Command{Type: CommandSay, Text: text} }
	turns := record(t, "moderated turns with a pause, a timer and an end", NewState(ModeTurns, 60, 30)).
		do(chair, Command{Type: CommandGrant, Seat: SeatA}).
		wait(5*time.Second).do(partnerA, say("I want to start with last week.")).
		do(partnerB, Command{Type: CommandRequestFloor}).
		wait(10*time.Second).do(timer, Command{Type: CommandSpokenInterruption, Seat: SeatB}).
		do(chair, Command{Type: CommandExtend, Seconds: 30}).
		wait(20*time.Second).do(partnerB, Command{Type: CommandPause, Reason: "I need a minute."}).
		do(partnerA, Command{Type: CommandReady}).
		wait(40*time.Second).do(chair, Command{Type: CommandResume}).
		do(partnerA, Command{Type: CommandYield}).
		wait(61*time.Second).do(timer, Command{Type: CommandTick}).
		do(chair, Command{Type: CommandSettings, TurnSeconds: 90, MinBreakSeconds: 60}).
		do(chair, Command{Type: CommandGrant, Seat: SeatA}).
		do(partnerB, Command{Type: CommandRequestFloor}).
		wait(2*time.Second).do(chair, Command{Type: CommandSkip}).
		wait(3*time.Second).do(chair, Command{Type: CommandRevoke}).
		do(chair, Command{Type: CommandModerator, Text: "Let us take stock."}).
		do(chair, Command{Type: CommandEnd})
	listener := record(t, "speaker and listener with a rejected paraphrase", NewState(ModeListener, 120, 60)).
		do(chair, Command{Type: CommandGrant, Seat: SeatB}).
		wait(4*time.Second).do(partnerB, say("I felt alone that evening.")).
		do(partnerB, Command{Type: CommandYield}).
		wait(2*time.Second).do(partnerA, Command{Type: CommandParaphrase, Text: "You were angry."}).
		do(partnerB, Command{Type: CommandConfirm, OK: no()}).
		do(partnerA, Command{Type: CommandParaphrase, Text: "You felt left out."}).
		do(partnerB, Command{Type: CommandMore}).
		wait(121*time.Second).do(timer, Command{Type: CommandTick}).
		do(partnerA, Command{Type: CommandParaphrase, Text: "You felt alone."}).
		do(partnerB, Command{Type: CommandConfirm, OK: yes()}).
		do(chair, Command{Type: CommandMode, Mode: ModeTurns}).
		do(chair, Command{Type: CommandPause}).
		wait(61*time.Second).do(chair, Command{Type: CommandResume}).
		do(chair, Command{Type: CommandEnd})
	return []goldenSequence{turns.seq, listener.seq}
}

// TestApplyGoldenFileIsCurrent checks the committed sequences against the floor rules, or
// rewrites them with -update.
func TestApplyGoldenFileIsCurrent(t *testing.T) {
	got, err := json.MarshalIndent(goldenSequences(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *updateGolden {
		if err := os.WriteFile(applyGoldenFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(applyGoldenFile)
	if err != nil {
		t.Fatalf("%v (write it with go test ./realtime -run TestApplyGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date with Apply: run go test ./realtime -run TestApplyGolden -update, then the web app's tests", applyGoldenFile)
	}
}
