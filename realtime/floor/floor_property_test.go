package floor

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	allCommandTypes = []string{
		CommandSay, CommandDraft, CommandRequestFloor, CommandYield, CommandParaphrase, CommandConfirm,
		CommandMore, CommandGrant, CommandRevoke, CommandExtend, CommandSkip, CommandPause, CommandReady,
		CommandResume, CommandEnd, CommandModerator, CommandMode, CommandSettings, CommandTick,
	}
	partnerCommandTypes = []string{
		CommandSay, CommandDraft, CommandRequestFloor, CommandYield, CommandParaphrase, CommandConfirm, CommandMore,
	}
	allEventTypes = []string{
		EventUtterance, EventModerator, EventFloorRequested, EventFloorGranted, EventFloorYielded,
		EventFloorRevoked, EventFloorSkipped, EventFloorExpired, EventParaphrase, EventParaphraseConfirmed,
		EventParaphraseRejected, EventMore, EventTurnExtended, EventPaused, EventReady, EventResumed,
		EventModeChanged, EventSettingsChanged, EventEnded,
	}
	allActors = []Actor{chair, partnerA, partnerB, timer}
	allCodes  = []string{CodeNotYourTurn, CodePaused, CodeNotAllowed, CodeBadRequest, CodeEnded, CodeConflict}
	texts     = []string{"", " ", "I hear you.", "ça va \u2028 <ok> \"quoted\"\n", "bad \xff byte", strings.Repeat("x", MaxTextLength+1)}
	seats     = []string{"", SeatA, SeatB, "c"}
	modes     = []string{"", ModeTurns, ModeListener, "chaos"}
	durations = []int{0, -1, 5, 10, 45, 600, 3600, 4000}
)

// stepChecker follows a session through random commands and asserts the floor's invariants
// after every step. It is shared by the property test and the fuzz target.
type stepChecker struct {
	t     testing.TB
	s     State
	now   time.Time
	buf   []byte
	steps int
	name  string         // says how to reproduce the session
	seen  map[string]int // accepted events by type, to show the exploration reaches every rule
}

func newStepChecker(t testing.TB, name string, s State) *stepChecker {
	return &stepChecker{t: t, name: name, s: s, now: start, seen: make(map[string]int)}
}

func (c *stepChecker) step(actor Actor, cmd Command, advance time.Duration) {
	t := c.t
	t.Helper()
	c.steps++
	c.now = c.now.Add(advance)
	pre := c.s
	untouched := pre
	untouched.Queue, untouched.Ready = slices.Clone(pre.Queue), slices.Clone(pre.Ready)

	events, err := Decide(pre, cmd, actor, c.now)
	// What the session timer had due comes first; the checks below are about the command's own
	// events, decided against the session as the timer left it.
	fromTimer, found := expire(pre, c.now)
	own := events
	if err == nil {
		if len(events) < len(fromTimer) || len(fromTimer) > 0 && !reflect.DeepEqual(events[:len(fromTimer)], fromTimer) {
			c.fail("%s by %s: events %v do not start with what the timer had due %v", cmd.Type, actor.Role, events, fromTimer)
		}
		own = events[len(fromTimer):]
	}

	if err != nil {
		var refusal *Error
		if !errors.As(err, &refusal) || !slices.Contains(allCodes, refusal.Code) || refusal.Message == "" {
			c.fail("%s by %s: error %v is not a known refusal", cmd.Type, actor.Role, err)
		}
		if events != nil {
			c.fail("refusal with events %v", events)
		}
	}
	accepted := err == nil
	if pre.Ended && (accepted || err.(*Error).Code != CodeEnded) {
		c.fail("%s by %s after the end: events %v, error %v", cmd.Type, actor.Role, events, err)
	}
	if found.Paused && !allowedWhilePaused(cmd.Type) && (accepted || len(events) > 0) {
		c.fail("%s by %s accepted while paused", cmd.Type, actor.Role)
	}
	if (Ephemeral(cmd.Type) || cmd.Type == CommandTick) && len(own) > 0 {
		c.fail("a %s produced events of its own %v", cmd.Type, own)
	}
	if cmd.Type == CommandSay && accepted && (string(actor.Role) != found.Holder || len(own) != 1) {
		c.fail("say by %s accepted while %q held the floor", actor.Role, found.Holder)
	}
	if cmd.Type == CommandSay && !accepted && actor.Role != RoleChair && string(actor.Role) != found.Holder &&
		err.(*Error).Code == CodeConflict {
		c.fail("a non-holder's say was refused as a conflict, not out of turn")
	}
	if cmd.Type == CommandTick && actor.Role == RoleSystem && !pre.Ended && !accepted {
		c.fail("a tick was refused: %v", err)
	}

	s := pre
	for i, e := range events {
		if e.Seq != pre.Seq+int64(i)+1 {
			c.fail("event %d has seq %d after %d", i, e.Seq, pre.Seq)
		}
		if e.Type == EventUtterance && (e.Seat != found.Holder || e.Seat != string(actor.Role)) {
			c.fail("utterance from %q while %q held the floor", e.Seat, found.Holder)
		}
		if i >= len(events)-len(own) && (!e.At.Equal(c.now) || e.Actor != actor) {
			c.fail("event %+v does not carry the command's time and actor", e)
		}
		if i < len(events)-len(own) && (e.At.After(c.now) || e.Actor != timer) {
			c.fail("the timer's event %+v is not the timer's or is dated after the command", e)
		}
		if timed(s) && !s.Paused && e.At.After(s.Deadline) {
			c.fail("event %+v is dated after the running turn's deadline %v", e, s.Deadline)
		}
		c.checkEncoding(e)
		c.seen[e.Type]++
		next := Apply(s, e)
		if again := Apply(s, e); !reflect.DeepEqual(next, again) {
			c.fail("Apply gave two results for %+v", e)
		}
		s = next
		c.checkState(s)
	}
	if !reflect.DeepEqual(pre, untouched) {
		c.fail("Decide or Apply changed the state it was given")
	}
	if s.TalkMillis.A < pre.TalkMillis.A || s.TalkMillis.B < pre.TalkMillis.B {
		c.fail("talk time went down: %+v -> %+v", pre.TalkMillis, s.TalkMillis)
	}
	c.checkTalkWithinTurn(s)
	if due, ok := NextDeadline(s); ok {
		tick, err := Decide(s, Command{Type: CommandTick}, timer, due)
		if err != nil || len(tick) == 0 {
			c.fail("a tick at the next deadline %v did nothing (%v)", due, err)
		}
	}
	c.s = s
}

func (c *stepChecker) fail(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("%s, step %d: "+format, append([]any{c.name, c.steps}, args...)...)
}

// checkState asserts what must hold in every state.
func (c *stepChecker) checkState(s State) {
	t := c.t
	t.Helper()
	if s.Holder != "" && s.Holder != SeatA && s.Holder != SeatB {
		c.fail("holder %q is not a seat", s.Holder)
	}
	if slices.Contains(s.Queue, s.Holder) && s.Holder != "" {
		c.fail("holder %q is also queued %v", s.Holder, s.Queue)
	}
	if len(s.Queue) > 2 || len(s.Queue) == 2 && s.Queue[0] == s.Queue[1] {
		c.fail("queue %v has duplicates", s.Queue)
	}
	if (s.Phase != "") != (s.Mode == ModeListener && s.Holder != "") {
		c.fail("phase %q in mode %s with holder %q", s.Phase, s.Mode, s.Holder)
	}
	if s.Paused && !s.Deadline.IsZero() {
		c.fail("the turn clock runs during a pause")
	}
	if s.Ended && (s.Holder != "" || s.Paused || len(s.Queue) > 0) {
		c.fail("an ended session still has a floor: %+v", s)
	}
}

// checkTalkWithinTurn asserts that a turn's talk time never exceeds the turn: in turns mode the
// running turn counts, however late it is read, at most up to its deadline (its length, plus
// its extensions, from when it started or resumed).
func (c *stepChecker) checkTalkWithinTurn(s State) {
	c.t.Helper()
	if s.Mode != ModeTurns || !timed(s) || s.Paused || s.HeldSince.IsZero() {
		return
	}
	turn := s.Deadline.Sub(s.HeldSince)
	for _, later := range []time.Time{c.now, s.Deadline, s.Deadline.Add(time.Hour)} {
		counted := TalkTime(s, s.Holder, later) - time.Duration(s.TalkMillis.Of(s.Holder))*time.Millisecond
		if counted > turn {
			c.fail("read at %v, the running turn counts %v of talk, beyond its %v", later, counted, turn)
		}
	}
}

// checkEncoding asserts that every event survives JSON, the form it is stored and sent in.
func (c *stepChecker) checkEncoding(e Event) {
	c.t.Helper()
	var err error
	if c.buf, err = json.Marshal(e); err != nil {
		c.fail("event %+v does not encode: %v", e, err)
	}
	var back Event
	if err := json.Unmarshal(c.buf, &back); err != nil {
		c.fail("event encodes to invalid JSON %s: %v", c.buf, err)
	}
	if !reflect.DeepEqual(back, e) {
		c.fail("event changed through JSON:\n got %+v\nwant %+v", back, e)
	}
}

// randomCommand builds a command that is often valid and sometimes not.
func randomCommand(rng *rand.Rand) (Actor, Command, time.Duration) {
	actor := allActors[rng.IntN(len(allActors))]
	cmd := Command{ID: "c", Type: allCommandTypes[rng.IntN(len(allCommandTypes))]}
	if rng.IntN(2) == 0 { // the partners talk more than the chair steps in
		cmd.Type = partnerCommandTypes[rng.IntN(len(partnerCommandTypes))]
	}
	// An early end, or constant breaks and mode switches, would leave little of the floor to explore.
	for cmd.Type == CommandEnd && rng.IntN(40) > 0 ||
		(cmd.Type == CommandPause || cmd.Type == CommandMode) && rng.IntN(4) > 0 {
		cmd.Type = allCommandTypes[rng.IntN(len(allCommandTypes))]
	}
	if rng.IntN(3) > 0 { // mostly let partners act for themselves and the timer tick
		switch cmd.Type {
		case CommandSay, CommandDraft, CommandRequestFloor, CommandYield, CommandParaphrase,
			CommandConfirm, CommandMore, CommandReady:
			actor = []Actor{partnerA, partnerB}[rng.IntN(2)]
		case CommandTick:
			actor = timer
		default:
			actor = chair
		}
	}
	switch cmd.Type {
	case CommandSay, CommandDraft, CommandParaphrase, CommandModerator:
		cmd.Text = texts[rng.IntN(len(texts))]
		if rng.IntN(2) == 0 {
			cmd.Text = "I hear you."
		}
	case CommandConfirm:
		if n := rng.IntN(5); n > 0 {
			ok := n > 2
			cmd.OK = &ok
		}
	case CommandGrant:
		cmd.Seat = seats[rng.IntN(len(seats))]
	case CommandExtend:
		cmd.Seconds = durations[rng.IntN(len(durations))]
	case CommandMode:
		cmd.Mode = modes[rng.IntN(len(modes))]
	case CommandSettings:
		cmd.TurnSeconds = durations[rng.IntN(len(durations))]
		cmd.MinBreakSeconds = durations[rng.IntN(len(durations))]
	case CommandPause:
		cmd.Reason = texts[rng.IntN(3)]
	}
	advance := time.Duration(rng.IntN(90_000)) * time.Millisecond
	return actor, cmd, advance
}

func TestFloorInvariantsHoldOverRandomSessions(t *testing.T) {
	sessions, steps := 400, 250
	if testing.Short() {
		sessions = 50
	}
	seen := make(map[string]int)
	for seed := range uint64(sessions) {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		mode := []string{ModeTurns, ModeListener}[seed%2]
		checker := newStepChecker(t, fmt.Sprintf("seed %d", seed), NewState(mode, 30+rng.IntN(120), 10+rng.IntN(60)))
		for range steps {
			actor, cmd, advance := randomCommand(rng)
			checker.step(actor, cmd, advance)
		}
		for eventType, n := range checker.seen {
			seen[eventType] += n
		}
	}
	t.Logf("accepted events by type: %v", seen)
	for _, eventType := range allEventTypes {
		if seen[eventType] == 0 {
			t.Errorf("no random session produced a %s event", eventType)
		}
	}
}

func TestReplayingEventsRebuildsState(t *testing.T) {
	total := 0
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		live := NewState(ModeListener, 60, 20)
		var log []Event
		now := start
		for range 300 {
			actor, cmd, advance := randomCommand(rng)
			now = now.Add(advance)
			events, err := Decide(live, cmd, actor, now)
			if err != nil {
				continue
			}
			for _, e := range events {
				data, err := json.Marshal(e)
				if err != nil {
					t.Fatal(err)
				}
				var stored Event
				if err := json.Unmarshal(data, &stored); err != nil {
					t.Fatal(err)
				}
				log = append(log, stored)
				live = Apply(live, e)
			}
		}
		replayed := NewState(ModeListener, 60, 20)
		for _, e := range log {
			replayed = Apply(replayed, e)
		}
		if !reflect.DeepEqual(replayed, live) {
			t.Fatalf("seed %d: replaying %d stored events gave\n%+v\nwant\n%+v", seed, len(log), replayed, live)
		}
		total += len(log)
	}
	if total < 500 {
		t.Fatalf("only %d events were accepted; the random sessions explore too little", total)
	}
}
