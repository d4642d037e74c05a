package realtime

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/amendcare/amend/realtime/floor"
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
	Start floor.State  `json:"start"`
	Steps []goldenStep `json:"steps"`
}

type goldenStep struct {
	Event floor.Event `json:"event"`
	State floor.State `json:"state"`
}

// recorder drives a session through Decide and Apply like room, keeping what happened.
type recorder struct {
	t   *testing.T
	seq goldenSequence
	s   floor.State
	now time.Time
}

func record(t *testing.T, name string, start floor.State) *recorder {
	return &recorder{t: t, seq: goldenSequence{Name: name, Start: start}, s: start, now: start0}
}

// start0 is the sessions' first instant.
var start0 = time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)

func (r *recorder) wait(d time.Duration) *recorder { r.now = r.now.Add(d); return r }

func (r *recorder) do(actor floor.Actor, cmd floor.Command) *recorder {
	r.t.Helper()
	cmd.ID = "golden"
	events, err := floor.Decide(r.s, cmd, actor, r.now)
	if err != nil {
		r.t.Fatalf("%s: %s by %s refused: %v", r.seq.Name, cmd.Type, actor.Role, err)
	}
	for _, e := range events {
		e.Seq = r.s.Seq + 1
		r.s = floor.Apply(r.s, e)
		r.seq.Steps = append(r.seq.Steps, goldenStep{Event: e, State: r.s})
	}
	return r
}

// goldenSequences are sessions that pass through every event type Apply folds.
func goldenSequences(t *testing.T) []goldenSequence {
	say := func(text string) floor.Command { return floor.Command{Type: floor.CommandSay, Text: text} }
	turns := record(t, "moderated turns with a pause, a timer and an end", floor.NewState(floor.ModeTurns, 60, 30)).
		do(chair, floor.Command{Type: floor.CommandGrant, Seat: floor.SeatA}).
		wait(5*time.Second).do(partnerA, say("I want to start with last week.")).
		do(partnerB, floor.Command{Type: floor.CommandRequestFloor}).
		wait(10*time.Second).do(timer, floor.Command{Type: floor.CommandSpokenInterruption, Seat: floor.SeatB}).
		do(chair, floor.Command{Type: floor.CommandExtend, Seconds: 30}).
		wait(20*time.Second).do(partnerB, floor.Command{Type: floor.CommandPause, Reason: "I need a minute."}).
		do(partnerA, floor.Command{Type: floor.CommandReady}).
		wait(40*time.Second).do(chair, floor.Command{Type: floor.CommandResume}).
		do(partnerA, floor.Command{Type: floor.CommandYield}).
		wait(61*time.Second).do(timer, floor.Command{Type: floor.CommandTick}).
		do(chair, floor.Command{Type: floor.CommandSettings, TurnSeconds: 90, MinBreakSeconds: 60}).
		do(chair, floor.Command{Type: floor.CommandGrant, Seat: floor.SeatA}).
		do(partnerB, floor.Command{Type: floor.CommandRequestFloor}).
		wait(2*time.Second).do(chair, floor.Command{Type: floor.CommandSkip}).
		wait(3*time.Second).do(chair, floor.Command{Type: floor.CommandRevoke}).
		do(chair, floor.Command{Type: floor.CommandModerator, Text: "Let us take stock."}).
		do(chair, floor.Command{Type: floor.CommandEnd})
	listener := record(t, "speaker and listener with a rejected paraphrase", floor.NewState(floor.ModeListener, 120, 60)).
		do(chair, floor.Command{Type: floor.CommandGrant, Seat: floor.SeatB}).
		wait(4*time.Second).do(partnerB, say("I felt alone that evening.")).
		do(partnerB, floor.Command{Type: floor.CommandYield}).
		wait(2*time.Second).do(partnerA, floor.Command{Type: floor.CommandParaphrase, Text: "You were angry."}).
		do(partnerB, floor.Command{Type: floor.CommandConfirm, OK: no()}).
		do(partnerA, floor.Command{Type: floor.CommandParaphrase, Text: "You felt left out."}).
		do(partnerB, floor.Command{Type: floor.CommandMore}).
		wait(121*time.Second).do(timer, floor.Command{Type: floor.CommandTick}).
		do(partnerA, floor.Command{Type: floor.CommandParaphrase, Text: "You felt alone."}).
		do(partnerB, floor.Command{Type: floor.CommandConfirm, OK: yes()}).
		do(chair, floor.Command{Type: floor.CommandMode, Mode: floor.ModeTurns}).
		do(chair, floor.Command{Type: floor.CommandPause}).
		wait(61*time.Second).do(chair, floor.Command{Type: floor.CommandResume}).
		do(chair, floor.Command{Type: floor.CommandEnd})
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

// TestAppendEventSaysWhatEncodingJSONSays checks the fast event encoder against encoding/json on
// every event of the golden sequences, which between them have every event type.
func TestAppendEventSaysWhatEncodingJSONSays(t *testing.T) {
	for _, seq := range goldenSequences(t) {
		for _, step := range seq.Steps {
			want := encodingJSON(t, step.Event)
			if got := AppendEvent(nil, step.Event); !bytes.Equal(got, want) {
				t.Errorf("%s: %s encodes as\n%s\nwant\n%s", seq.Name, step.Event.Type, got, want)
			}
		}
	}
}
