package floor

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	chair    = Actor{UserID: 10, Role: RoleChair}
	partnerA = Actor{UserID: 11, Role: RoleA}
	partnerB = Actor{UserID: 12, Role: RoleB}
	timer    = Actor{Role: RoleSystem}
	start    = time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)
)

func yes() *bool { ok := true; return &ok }
func no() *bool  { ok := false; return &ok }

// room drives a session through Decide and Apply on a clock the test moves by hand.
type room struct {
	t   *testing.T
	s   State
	now time.Time
}

func newRoom(t *testing.T, mode string) *room {
	t.Helper()
	return &room{t: t, s: NewState(mode, 0, 0), now: start}
}

func (r *room) wait(d time.Duration) { r.now = r.now.Add(d) }

// do runs a command that must be accepted and returns the types of the events it caused.
func (r *room) do(actor Actor, cmd Command) []string {
	r.t.Helper()
	events, err := Decide(r.s, cmd, actor, r.now)
	if err != nil {
		r.t.Fatalf("%s by %s: unexpected refusal %v", cmd.Type, actor.Role, err)
	}
	types := make([]string, 0, len(events))
	for _, e := range events {
		r.s = Apply(r.s, e)
		types = append(types, e.Type)
	}
	return types
}

// events runs an accepted command and returns its events.
func (r *room) events(actor Actor, cmd Command) []Event {
	r.t.Helper()
	events, err := Decide(r.s, cmd, actor, r.now)
	if err != nil {
		r.t.Fatalf("%s by %s: unexpected refusal %v", cmd.Type, actor.Role, err)
	}
	for _, e := range events {
		r.s = Apply(r.s, e)
	}
	return events
}

// refused runs a command that must be refused with code, and checks it caused nothing.
func (r *room) refused(actor Actor, cmd Command, code string) {
	r.t.Helper()
	events, err := Decide(r.s, cmd, actor, r.now)
	var refusal *Error
	if !errors.As(err, &refusal) {
		r.t.Fatalf("%s by %s: want refusal %q, got events %v and error %v", cmd.Type, actor.Role, code, events, err)
	}
	if refusal.Code != code {
		r.t.Fatalf("%s by %s: want code %q, got %q (%s)", cmd.Type, actor.Role, code, refusal.Code, refusal.Message)
	}
	if events != nil {
		r.t.Fatalf("%s by %s: a refusal came with events %v", cmd.Type, actor.Role, events)
	}
	if refusal.Message == "" {
		r.t.Fatalf("%s by %s: refusal %q has no message", cmd.Type, actor.Role, code)
	}
}

func (r *room) wantHolder(seat string) {
	r.t.Helper()
	if r.s.Holder != seat {
		r.t.Fatalf("holder = %q, want %q", r.s.Holder, seat)
	}
}

func (r *room) wantPhase(phase string) {
	r.t.Helper()
	if r.s.Phase != phase {
		r.t.Fatalf("phase = %q, want %q", r.s.Phase, phase)
	}
}

func wantTypes(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("events = %v, want %v", got, want)
	}
}

func say(text string) Command        { return Command{ID: "m", Type: CommandSay, Text: text} }
func cmd(commandType string) Command { return Command{ID: "m", Type: commandType} }
func grant(seat string) Command      { return Command{ID: "m", Type: CommandGrant, Seat: seat} }
func confirm(ok *bool) Command       { return Command{ID: "m", Type: CommandConfirm, OK: ok} }
func paraphrase(text string) Command { return Command{ID: "m", Type: CommandParaphrase, Text: text} }

func TestNewStateDefaults(t *testing.T) {
	s := NewState("anything", 0, -5)
	if s.Mode != ModeTurns || s.TurnSeconds != DefaultTurnSeconds || s.MinBreakSeconds != DefaultMinBreakSeconds {
		t.Fatalf("NewState with invalid values = %+v, want turns with default durations", s)
	}
	s = NewState(ModeListener, 90, 30)
	if s.Mode != ModeListener || s.TurnSeconds != 90 || s.MinBreakSeconds != 30 || s.Seq != 0 || s.Holder != "" {
		t.Fatalf("NewState(listener, 90, 30) = %+v", s)
	}
}

func TestOnlyHolderSayBecomesUtterance(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	events := r.events(partnerA, say("I want to start with what happened on Friday."))
	if len(events) != 1 || events[0].Type != EventUtterance || events[0].Seat != SeatA ||
		events[0].Text != "I want to start with what happened on Friday." || events[0].Actor != partnerA {
		t.Fatalf("say by the holder gave %+v, want one utterance from seat a", events)
	}
	if r.s.Utterances != (Tally{A: 1}) {
		t.Fatalf("utterances = %+v, want a:1", r.s.Utterances)
	}
}

func TestPartnerOutOfTurnIsRejected(t *testing.T) {
	tests := []struct {
		name   string
		holder string
		actor  Actor
		code   string
	}{
		{"other partner while a holds", SeatA, partnerB, CodeNotYourTurn},
		{"either partner while the floor is free", "", partnerA, CodeNotYourTurn},
		{"chair never says", SeatA, chair, CodeNotAllowed},
		{"timer never says", SeatA, timer, CodeNotAllowed},
		{"unknown role", SeatA, Actor{UserID: 99, Role: "guest"}, CodeNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, ModeTurns)
			if tt.holder != "" {
				r.do(chair, grant(tt.holder))
			}
			r.refused(tt.actor, say("Can I just say something?"), tt.code)
			r.refused(tt.actor, Command{Type: CommandDraft, Text: "Can I"}, tt.code)
			if r.s.Utterances != (Tally{}) {
				t.Fatalf("a refused say was counted: %+v", r.s.Utterances)
			}
		})
	}
}

func TestDraftIsEphemeralAndOnlyFromHolder(t *testing.T) {
	if !Ephemeral(CommandDraft) || Ephemeral(CommandSay) {
		t.Fatal("only drafts are ephemeral")
	}
	r := newRoom(t, ModeTurns)
	r.s.ShowDrafts = true
	r.do(chair, grant(SeatB))
	before := r.s
	events, err := Decide(r.s, Command{Type: CommandDraft, Text: "I felt"}, partnerB, r.now)
	if err != nil || events != nil {
		t.Fatalf("holder's draft = %v, %v; want accepted with no events", events, err)
	}
	if !reflect.DeepEqual(before, r.s) {
		t.Fatal("a draft changed the state")
	}
	r.refused(partnerA, Command{Type: CommandDraft, Text: "But"}, CodeNotYourTurn)
}

func TestDraftIsRefusedUnlessTheSessionShowsTyping(t *testing.T) {
	tests := []struct {
		name       string
		showDrafts bool
		mode       string
		actor      Actor
		code       string
	}{
		{"the holder's draft is refused when typing is not shown", false, ModeTurns, partnerB, CodeNotAllowed},
		{"the speaker's draft is refused when typing is not shown", false, ModeListener, partnerB, CodeNotAllowed},
		{"the holder's draft is accepted when typing is shown", true, ModeTurns, partnerB, ""},
		{"the other partner's draft is refused as out of turn either way", false, ModeTurns, partnerA, CodeNotYourTurn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, tt.mode)
			r.s.ShowDrafts = tt.showDrafts
			r.do(chair, grant(SeatB))
			draft := Command{Type: CommandDraft, Text: "I felt"}
			if tt.code != "" {
				r.refused(tt.actor, draft, tt.code)
				return
			}
			if events, err := Decide(r.s, draft, tt.actor, r.now); err != nil || events != nil {
				t.Fatalf("draft = %v, %v; want accepted with no events", events, err)
			}
		})
	}
}

func TestRequestFloorQueuesInOrderWithoutDuplicates(t *testing.T) {
	r := newRoom(t, ModeTurns)
	wantTypes(t, r.do(partnerB, cmd(CommandRequestFloor)), EventFloorRequested)
	wantTypes(t, r.do(partnerA, cmd(CommandRequestFloor)), EventFloorRequested)
	if !reflect.DeepEqual(r.s.Queue, []string{SeatB, SeatA}) {
		t.Fatalf("queue = %v, want [b a]", r.s.Queue)
	}
	r.refused(partnerB, cmd(CommandRequestFloor), CodeConflict)
	r.refused(chair, cmd(CommandRequestFloor), CodeNotAllowed)

	r.do(chair, grant(SeatA))
	if !reflect.DeepEqual(r.s.Queue, []string{SeatB}) {
		t.Fatalf("queue after granting a = %v, want [b]", r.s.Queue)
	}
	r.refused(partnerA, cmd(CommandRequestFloor), CodeConflict)
}

func TestYieldPassesFloorToQueueHead(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	r.do(partnerB, cmd(CommandRequestFloor))
	wantTypes(t, r.do(partnerA, cmd(CommandYield)), EventFloorYielded, EventFloorGranted)
	r.wantHolder(SeatB)
	if len(r.s.Queue) != 0 {
		t.Fatalf("queue = %v, want empty", r.s.Queue)
	}
	r.refused(partnerA, cmd(CommandYield), CodeNotYourTurn)

	wantTypes(t, r.do(partnerB, cmd(CommandYield)), EventFloorYielded)
	r.wantHolder("")
	if !r.s.Deadline.IsZero() {
		t.Fatal("a free floor has a turn deadline")
	}
}

func TestChairGrantRevokeAndSkip(t *testing.T) {
	t.Run("grant moves the floor", func(t *testing.T) {
		r := newRoom(t, ModeTurns)
		r.do(chair, grant(SeatA))
		r.wantHolder(SeatA)
		if want := start.Add(DefaultTurnSeconds * time.Second); !r.s.Deadline.Equal(want) {
			t.Fatalf("deadline = %v, want %v", r.s.Deadline, want)
		}
		r.do(chair, grant(SeatB))
		r.wantHolder(SeatB)
		r.refused(chair, grant(SeatB), CodeConflict)
		r.refused(chair, grant("c"), CodeBadRequest)
	})
	t.Run("revoke passes to the queue head", func(t *testing.T) {
		r := newRoom(t, ModeTurns)
		r.do(chair, grant(SeatA))
		r.do(partnerB, cmd(CommandRequestFloor))
		wantTypes(t, r.do(chair, cmd(CommandRevoke)), EventFloorRevoked, EventFloorGranted)
		r.wantHolder(SeatB)
		wantTypes(t, r.do(chair, cmd(CommandRevoke)), EventFloorRevoked)
		r.wantHolder("")
		r.refused(chair, cmd(CommandRevoke), CodeConflict)
	})
	t.Run("skip prefers the queue head", func(t *testing.T) {
		r := newRoom(t, ModeTurns)
		r.do(partnerB, cmd(CommandRequestFloor))
		wantTypes(t, r.do(chair, cmd(CommandSkip)), EventFloorGranted)
		r.wantHolder(SeatB)
	})
	t.Run("skip falls back to the other partner", func(t *testing.T) {
		r := newRoom(t, ModeTurns)
		r.do(chair, grant(SeatA))
		wantTypes(t, r.do(chair, cmd(CommandSkip)), EventFloorSkipped, EventFloorGranted)
		r.wantHolder(SeatB)
	})
	t.Run("skip with no one to pass to", func(t *testing.T) {
		r := newRoom(t, ModeTurns)
		r.refused(chair, cmd(CommandSkip), CodeConflict)
	})
}

func TestPartnerCannotUseChairCommands(t *testing.T) {
	chairOnly := []Command{
		grant(SeatA), cmd(CommandRevoke), cmd(CommandExtend), cmd(CommandSkip), cmd(CommandResume),
		cmd(CommandEnd), {ID: "m", Type: CommandModerator, Text: "Let's slow down."},
		{ID: "m", Type: CommandMode, Mode: ModeListener}, {ID: "m", Type: CommandSettings, TurnSeconds: 60},
	}
	for _, c := range chairOnly {
		t.Run(c.Type, func(t *testing.T) {
			r := newRoom(t, ModeTurns)
			r.do(chair, grant(SeatA))
			r.refused(partnerA, c, CodeNotAllowed)
			r.refused(partnerB, c, CodeNotAllowed)
			r.refused(timer, c, CodeNotAllowed)
		})
	}
}

func TestChairCannotActForPartners(t *testing.T) {
	partnerOnly := []Command{
		say("hello"), {Type: CommandDraft, Text: "hel"}, cmd(CommandRequestFloor), cmd(CommandYield),
		paraphrase("You said"), confirm(yes()), cmd(CommandMore), cmd(CommandReady), cmd(CommandTick),
	}
	for _, c := range partnerOnly {
		t.Run(c.Type, func(t *testing.T) {
			r := newRoom(t, ModeListener)
			r.do(chair, grant(SeatA))
			r.refused(chair, c, CodeNotAllowed)
		})
	}
}

func TestInvalidFieldsAreBadRequests(t *testing.T) {
	tests := []struct {
		name  string
		actor Actor
		cmd   Command
	}{
		{"empty say", partnerA, say("")},
		{"blank say", partnerA, say(" \n\t ")},
		{"say over the limit", partnerA, say(strings.Repeat("é", MaxTextLength+1))},
		{"say with broken UTF-8", partnerA, say("caf\xe9")},
		{"draft over the limit", partnerA, Command{Type: CommandDraft, Text: strings.Repeat("x", MaxTextLength+1)}},
		{"empty moderator message", chair, Command{ID: "m", Type: CommandModerator}},
		{"grant without seat", chair, cmd(CommandGrant)},
		{"negative extension", chair, Command{ID: "m", Type: CommandExtend, Seconds: -30}},
		{"extension over an hour", chair, Command{ID: "m", Type: CommandExtend, Seconds: 3601}},
		{"unknown mode", chair, Command{ID: "m", Type: CommandMode, Mode: "debate"}},
		{"settings without values", chair, cmd(CommandSettings)},
		{"turn too short", chair, Command{ID: "m", Type: CommandSettings, TurnSeconds: 5}},
		{"break too long", chair, Command{ID: "m", Type: CommandSettings, MinBreakSeconds: 7200}},
		{"pause reason over the limit", partnerB, Command{ID: "m", Type: CommandPause, Reason: strings.Repeat("x", MaxReasonLength+1)}},
		{"unknown command", chair, cmd("shout")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoom(t, ModeTurns)
			r.do(chair, grant(SeatA))
			r.refused(tt.actor, tt.cmd, CodeBadRequest)
		})
	}
	t.Run("text at the limit is accepted", func(t *testing.T) {
		r := newRoom(t, ModeTurns)
		r.do(chair, grant(SeatA))
		r.do(partnerA, say(strings.Repeat("é", MaxTextLength)))
	})
	t.Run("confirm without ok", func(t *testing.T) {
		r := newRoom(t, ModeListener)
		r.do(chair, grant(SeatA))
		r.refused(partnerA, confirm(nil), CodeBadRequest)
	})
}

func TestTurnExpiresOnTickAndPassesToQueueHead(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	r.do(partnerB, cmd(CommandRequestFloor))

	r.wait(DefaultTurnSeconds*time.Second - time.Millisecond)
	wantTypes(t, r.do(timer, cmd(CommandTick)))
	r.wantHolder(SeatA)

	r.wait(time.Millisecond)
	wantTypes(t, r.do(timer, cmd(CommandTick)), EventFloorExpired, EventFloorGranted)
	r.wantHolder(SeatB)
	if want := r.now.Add(DefaultTurnSeconds * time.Second); !r.s.Deadline.Equal(want) {
		t.Fatalf("next turn ends %v, want %v", r.s.Deadline, want)
	}

	r.wait(DefaultTurnSeconds * time.Second)
	wantTypes(t, r.do(timer, cmd(CommandTick)), EventFloorExpired)
	r.wantHolder("")
	wantTypes(t, r.do(timer, cmd(CommandTick)))
}

// A command that comes after the turn's deadline finds the turn over whether or not a timer
// ticked (nobody may be connected): the expiry is the session timer's, dated at the deadline,
// and the holder's talk time stops there.
func TestCommandAfterTheDeadlineFindsTheTurnExpired(t *testing.T) {
	const turn = 10 * time.Second
	moderator := Command{ID: "m", Type: CommandModerator, Text: "Time is up."}
	cases := []struct {
		name   string
		mode   string
		queued bool // b asked for the floor while a held it
		wait   time.Duration
		actor  Actor
		cmd    Command
		code   string   // the refusal, or "" when the command is accepted
		want   []string // the events of an accepted command
		holder string
		talk   Tally // talk time afterwards
	}{
		{name: "the old holder's say, nobody waiting", mode: ModeTurns, wait: 58 * time.Second, actor: partnerA,
			cmd: say("One more thing."), code: CodeNotYourTurn, talk: Tally{A: 10_000}},
		{name: "the old holder's say, the other waiting", mode: ModeTurns, queued: true, wait: 15 * time.Second,
			actor: partnerA, cmd: say("One more thing."), code: CodeNotYourTurn, talk: Tally{A: 10_000, B: 5_000}},
		{name: "the queue head's say", mode: ModeTurns, queued: true, wait: 15 * time.Second, actor: partnerB,
			cmd: say("My turn now."), want: []string{EventFloorExpired, EventFloorGranted, EventUtterance},
			holder: SeatB, talk: Tally{A: 10_000, B: 5_000}},
		{name: "the queue head's say after its own turn ran out too", mode: ModeTurns, queued: true,
			wait: 58 * time.Second, actor: partnerB, cmd: say("My turn now."), code: CodeNotYourTurn,
			talk: Tally{A: 10_000, B: 10_000}},
		{name: "the chair's extension", mode: ModeTurns, wait: 58 * time.Second, actor: chair,
			cmd: Command{ID: "m", Type: CommandExtend}, code: CodeConflict, talk: Tally{A: 10_000}},
		{name: "the chair's message", mode: ModeTurns, wait: 58 * time.Second, actor: chair, cmd: moderator,
			want: []string{EventFloorExpired, EventModerator}, talk: Tally{A: 10_000}},
		{name: "a late tick", mode: ModeTurns, wait: 58 * time.Second, actor: timer, cmd: cmd(CommandTick),
			want: []string{EventFloorExpired}, talk: Tally{A: 10_000}},
		{name: "the speaker's say in listener mode", mode: ModeListener, wait: 58 * time.Second, actor: partnerA,
			cmd: say("One more thing."), code: CodeConflict, holder: SeatA, talk: Tally{A: 58_000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &room{t: t, s: NewState(tc.mode, int(turn/time.Second), 0), now: start}
			r.do(chair, grant(SeatA))
			if tc.queued {
				r.do(partnerB, cmd(CommandRequestFloor))
			}
			r.wait(tc.wait)
			if tc.code != "" {
				r.refused(tc.actor, tc.cmd, tc.code)
				// Nothing was stored, yet the talk time read now stops at the deadline.
				if got := (Tally{A: TalkTime(r.s, SeatA, r.now).Milliseconds(), B: TalkTime(r.s, SeatB, r.now).Milliseconds()}); got != tc.talk {
					t.Fatalf("talk time = %+v, want %+v", got, tc.talk)
				}
				return
			}
			events := r.events(tc.actor, tc.cmd)
			got := make([]string, len(events))
			for i, e := range events {
				got[i] = e.Type
			}
			wantTypes(t, got, tc.want...)
			if expired := events[0]; expired.Actor != timer || !expired.At.Equal(start.Add(turn)) {
				t.Fatalf("the expiry %+v is not the timer's at the deadline %v", expired, start.Add(turn))
			}
			r.wantHolder(tc.holder)
			if got := (Tally{A: TalkTime(r.s, SeatA, r.now).Milliseconds(), B: TalkTime(r.s, SeatB, r.now).Milliseconds()}); got != tc.talk {
				t.Fatalf("talk time = %+v, want %+v", got, tc.talk)
			}
		})
	}
}

func TestExtendPushesDeadline(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.refused(chair, cmd(CommandExtend), CodeConflict)
	r.do(chair, grant(SeatA))
	r.wait(100 * time.Second)
	events := r.events(chair, cmd(CommandExtend))
	if len(events) != 1 || events[0].Type != EventTurnExtended || events[0].Seconds != DefaultExtendSeconds {
		t.Fatalf("extend gave %+v, want turn_extended by the default", events)
	}
	if want := start.Add((DefaultTurnSeconds + DefaultExtendSeconds) * time.Second); !r.s.Deadline.Equal(want) {
		t.Fatalf("deadline = %v, want %v", r.s.Deadline, want)
	}
	r.do(chair, Command{ID: "m", Type: CommandExtend, Seconds: 30})
	r.wait(100 * time.Second) // 200 s in, the turn now ends at 210 s
	wantTypes(t, r.do(timer, cmd(CommandTick)))
	r.wait(10 * time.Second)
	wantTypes(t, r.do(timer, cmd(CommandTick)), EventFloorExpired)
}

func TestSettingsApplyToNextTurnAndBreak(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	events := r.events(chair, Command{ID: "m", Type: CommandSettings, TurnSeconds: 45})
	if events[0].TurnSeconds != 45 || events[0].MinBreakSeconds != DefaultMinBreakSeconds {
		t.Fatalf("settings_changed = %+v, want both values with the break unchanged", events[0])
	}
	if want := start.Add(DefaultTurnSeconds * time.Second); !r.s.Deadline.Equal(want) {
		t.Fatal("a new turn length changed the running turn")
	}
	r.do(chair, Command{ID: "m", Type: CommandSettings, MinBreakSeconds: 15})
	r.do(chair, grant(SeatB))
	if want := start.Add(45 * time.Second); !r.s.Deadline.Equal(want) {
		t.Fatalf("next turn ends %v, want %v", r.s.Deadline, want)
	}
	r.do(partnerA, cmd(CommandPause))
	if want := start.Add(15 * time.Second); !r.s.BreakUntil.Equal(want) {
		t.Fatalf("break until %v, want %v", r.s.BreakUntil, want)
	}
}

func TestListenerYieldStartsParaphrase(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.wantPhase(PhaseSpeaking)
	r.do(partnerA, say("When you stopped answering my calls, I felt alone."))
	wantTypes(t, r.do(partnerA, cmd(CommandYield)), EventFloorYielded)
	r.wantHolder(SeatA)
	r.wantPhase(PhaseParaphrase)
	r.refused(partnerA, say("And another thing"), CodeConflict)
	r.refused(partnerA, cmd(CommandYield), CodeConflict)
	r.refused(partnerB, say("I never meant that"), CodeNotYourTurn)
}

func TestOnlyListenerParaphrases(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.refused(partnerB, paraphrase("You felt alone."), CodeConflict) // the speaker has not yielded
	r.do(partnerA, cmd(CommandYield))
	r.refused(partnerA, paraphrase("I felt alone."), CodeNotYourTurn)
	r.refused(chair, paraphrase("She felt alone."), CodeNotAllowed)
	r.refused(partnerB, confirm(yes()), CodeNotYourTurn)
	r.refused(partnerA, confirm(yes()), CodeConflict) // nothing to confirm yet
	wantTypes(t, r.do(partnerB, paraphrase("You felt alone when I didn't pick up.")), EventParaphrase)
	r.wantPhase(PhaseConfirm)
	if r.s.Paraphrase != "You felt alone when I didn't pick up." {
		t.Fatalf("the pending paraphrase is %q", r.s.Paraphrase)
	}
	r.refused(partnerB, paraphrase("Again"), CodeConflict)
}

func TestListenerConfirmPassesFloor(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.do(partnerA, cmd(CommandYield))
	r.do(partnerB, paraphrase("You felt alone."))
	r.wait(5 * time.Second)
	wantTypes(t, r.do(partnerA, confirm(yes())), EventParaphraseConfirmed, EventFloorGranted)
	r.wantHolder(SeatB)
	r.wantPhase(PhaseSpeaking)
	if r.s.Paraphrase != "" {
		t.Fatal("the confirmed paraphrase stayed pending")
	}
	if want := r.now.Add(DefaultTurnSeconds * time.Second); !r.s.Deadline.Equal(want) {
		t.Fatalf("the new speaker's turn ends %v, want %v", r.s.Deadline, want)
	}
	r.do(partnerB, say("I was scared to call back."))
}

func TestListenerNotQuiteAsksForAnotherParaphrase(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.do(partnerA, cmd(CommandYield))
	r.do(partnerB, paraphrase("You were angry."))
	wantTypes(t, r.do(partnerA, confirm(no())), EventParaphraseRejected)
	r.wantHolder(SeatA)
	r.wantPhase(PhaseParaphrase)
	r.do(partnerB, paraphrase("You felt alone."))
	r.wantPhase(PhaseConfirm)
}

func TestSpeakerCanSayThereIsMore(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.refused(partnerA, cmd(CommandMore), CodeConflict)
	r.do(partnerA, cmd(CommandYield))
	r.do(partnerB, paraphrase("You felt alone."))
	r.wait(30 * time.Second)
	r.refused(partnerB, cmd(CommandMore), CodeNotYourTurn)
	wantTypes(t, r.do(partnerA, cmd(CommandMore)), EventMore)
	r.wantHolder(SeatA)
	r.wantPhase(PhaseSpeaking)
	if want := r.now.Add(DefaultTurnSeconds * time.Second); !r.s.Deadline.Equal(want) {
		t.Fatalf("the continued turn ends %v, want %v", r.s.Deadline, want)
	}
	r.do(partnerA, say("And I was afraid something had happened to you."))
}

func TestUnconfirmedParaphraseNeverPassesFloor(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.do(partnerB, cmd(CommandRequestFloor))
	r.do(partnerA, cmd(CommandYield))
	r.do(partnerB, paraphrase("You felt alone."))
	r.do(partnerA, confirm(no()))
	r.wait(time.Hour)
	wantTypes(t, r.do(timer, cmd(CommandTick)))
	r.wantHolder(SeatA)
}

func TestListenerTurnExpiryStartsParaphrase(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.do(partnerB, cmd(CommandRequestFloor))
	r.wait(DefaultTurnSeconds * time.Second)
	wantTypes(t, r.do(timer, cmd(CommandTick)), EventFloorExpired)
	r.wantHolder(SeatA)
	r.wantPhase(PhaseParaphrase)
	if _, ok := NextDeadline(r.s); ok {
		t.Fatal("the paraphrase phase has a timer")
	}
}

func TestChairStillMovesFloorInListenerMode(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.do(partnerA, cmd(CommandYield))
	wantTypes(t, r.do(chair, cmd(CommandSkip)), EventFloorSkipped, EventFloorGranted)
	r.wantHolder(SeatB)
	r.wantPhase(PhaseSpeaking)
	r.do(partnerA, cmd(CommandRequestFloor))
	wantTypes(t, r.do(chair, cmd(CommandRevoke)), EventFloorRevoked)
	r.wantHolder("")
	r.wantPhase("")
	r.do(chair, grant(SeatA))
	r.wantPhase(PhaseSpeaking)
}

func TestModeSwitchResetsListenerPhase(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.do(partnerA, cmd(CommandYield))
	r.do(partnerB, paraphrase("You felt alone."))
	r.wait(10 * time.Second)
	wantTypes(t, r.do(chair, Command{ID: "m", Type: CommandMode, Mode: ModeTurns}), EventModeChanged)
	r.wantHolder(SeatA)
	r.wantPhase("")
	if r.s.Paraphrase != "" {
		t.Fatal("the paraphrase outlived the mode")
	}
	if want := r.now.Add(DefaultTurnSeconds * time.Second); !r.s.Deadline.Equal(want) {
		t.Fatalf("the untimed holder got deadline %v, want a fresh turn ending %v", r.s.Deadline, want)
	}
	r.refused(partnerB, paraphrase("Again"), CodeConflict)
	r.refused(chair, Command{ID: "m", Type: CommandMode, Mode: ModeTurns}, CodeConflict)

	deadline := r.s.Deadline
	r.do(chair, Command{ID: "m", Type: CommandMode, Mode: ModeListener})
	r.wantPhase(PhaseSpeaking)
	if !r.s.Deadline.Equal(deadline) {
		t.Fatal("switching to listener mode restarted the speaker's turn")
	}
}

func TestPauseBlocksEverythingButResumeReadyEndModerator(t *testing.T) {
	blocked := []struct {
		actor Actor
		cmd   Command
	}{
		{partnerA, say("one more thing")},
		{partnerA, Command{Type: CommandDraft, Text: "one"}},
		{partnerB, cmd(CommandRequestFloor)},
		{partnerA, cmd(CommandYield)},
		{chair, grant(SeatB)},
		{chair, cmd(CommandRevoke)},
		{chair, cmd(CommandExtend)},
		{chair, cmd(CommandSkip)},
		{partnerB, cmd(CommandPause)},
		{chair, cmd(CommandPause)},
		{chair, Command{ID: "m", Type: CommandMode, Mode: ModeListener}},
		{chair, Command{ID: "m", Type: CommandSettings, TurnSeconds: 30}},
	}
	for _, tt := range blocked {
		t.Run(string(tt.actor.Role)+" "+tt.cmd.Type, func(t *testing.T) {
			r := newRoom(t, ModeTurns)
			r.do(chair, grant(SeatA))
			r.do(partnerB, Command{ID: "m", Type: CommandPause, Reason: "I need a minute."})
			r.refused(tt.actor, tt.cmd, CodePaused)
		})
	}
	t.Run("allowed", func(t *testing.T) {
		r := newRoom(t, ModeTurns)
		r.do(chair, grant(SeatA))
		r.do(partnerB, Command{ID: "m", Type: CommandPause, Reason: "I need a minute."})
		if !r.s.Paused || r.s.PausedBy != RoleB || r.s.PauseReason != "I need a minute." {
			t.Fatalf("pause state = %+v", r.s)
		}
		wantTypes(t, r.do(chair, Command{ID: "m", Type: CommandModerator, Text: "Take your time."}), EventModerator)
		wantTypes(t, r.do(partnerA, cmd(CommandReady)), EventReady)
		wantTypes(t, r.do(timer, cmd(CommandTick)))
		wantTypes(t, r.do(chair, cmd(CommandResume)), EventResumed)
		r.do(partnerA, cmd(CommandPause))
		wantTypes(t, r.do(chair, cmd(CommandEnd)), EventEnded)
	})
}

func TestPauseEndsWhenBothReadyAfterMinimum(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	r.do(partnerA, cmd(CommandPause))
	r.wait(DefaultMinBreakSeconds * time.Second)
	wantTypes(t, r.do(partnerB, cmd(CommandReady)), EventReady)
	r.refused(partnerB, cmd(CommandReady), CodeConflict)
	wantTypes(t, r.do(partnerA, cmd(CommandReady)), EventReady, EventResumed)
	if r.s.Paused || len(r.s.Ready) != 0 {
		t.Fatalf("still paused after both were ready: %+v", r.s)
	}
	r.refused(partnerA, cmd(CommandReady), CodeConflict)
	r.refused(chair, cmd(CommandResume), CodeConflict)
}

func TestReadyBeforeMinimumResumesOnTickAtMinimum(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, cmd(CommandPause))
	if _, ok := NextDeadline(r.s); ok {
		t.Fatal("a timer was asked for before anyone was ready")
	}
	r.wait(10 * time.Second)
	r.do(partnerA, cmd(CommandReady))
	wantTypes(t, r.do(partnerB, cmd(CommandReady)), EventReady)
	if !r.s.Paused {
		t.Fatal("the break ended before its minimum")
	}
	due, ok := NextDeadline(r.s)
	if want := start.Add(DefaultMinBreakSeconds * time.Second); !ok || !due.Equal(want) {
		t.Fatalf("NextDeadline = %v, %v; want the end of the minimum break %v", due, ok, want)
	}
	r.now = due.Add(-time.Millisecond)
	wantTypes(t, r.do(timer, cmd(CommandTick)))
	r.now = due
	wantTypes(t, r.do(timer, cmd(CommandTick)), EventResumed)
	if r.s.Paused {
		t.Fatal("the tick at the minimum did not end the break")
	}
}

func TestChairResumesAnyTime(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.refused(chair, cmd(CommandResume), CodeConflict)
	r.refused(partnerA, cmd(CommandReady), CodeConflict)
	r.do(partnerA, cmd(CommandPause))
	r.refused(partnerA, cmd(CommandResume), CodeNotAllowed)
	r.wait(time.Second)
	wantTypes(t, r.do(chair, cmd(CommandResume)), EventResumed)
	if r.s.Paused {
		t.Fatal("still paused after the chair resumed")
	}
}

func TestPauseFreezesTurnTime(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	r.wait(100 * time.Second)
	r.do(partnerB, cmd(CommandPause))
	if _, ok := NextDeadline(r.s); ok {
		t.Fatal("the turn timer runs during a pause")
	}
	r.wait(10 * time.Minute)
	wantTypes(t, r.do(timer, cmd(CommandTick)))
	r.do(chair, cmd(CommandResume))
	if want := r.now.Add(20 * time.Second); !r.s.Deadline.Equal(want) {
		t.Fatalf("after the pause the turn ends %v, want the 20 s left: %v", r.s.Deadline, want)
	}
	r.wait(20 * time.Second)
	wantTypes(t, r.do(timer, cmd(CommandTick)), EventFloorExpired)
}

func TestTalkTimeExcludesPauses(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	r.wait(30 * time.Second)
	r.do(partnerA, cmd(CommandPause))
	r.wait(5 * time.Minute)
	r.do(chair, cmd(CommandResume))
	r.wait(20 * time.Second)
	if got := TalkTime(r.s, SeatA, r.now); got != 50*time.Second {
		t.Fatalf("a's running talk time = %v, want 50s", got)
	}
	r.do(chair, grant(SeatB))
	r.wait(15 * time.Second)
	r.do(partnerB, cmd(CommandYield))
	r.wait(time.Minute)
	r.do(chair, cmd(CommandEnd))
	if r.s.TalkMillis != (Tally{A: 50_000, B: 15_000}) {
		t.Fatalf("talk time = %+v, want a 50 s and b 15 s", r.s.TalkMillis)
	}
	if TalkTime(r.s, SeatB, r.now.Add(time.Hour)) != 15*time.Second {
		t.Fatal("talk time grew after the session ended")
	}
}

func TestUtterancesCountedPerSeat(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	r.do(partnerA, say("first"))
	r.do(partnerA, say("second"))
	r.do(chair, grant(SeatB))
	r.do(partnerB, say("third"))
	if r.s.Utterances != (Tally{A: 2, B: 1}) {
		t.Fatalf("utterances = %+v, want a 2 and b 1", r.s.Utterances)
	}
}

func TestModeratorMessageAlwaysAccepted(t *testing.T) {
	msg := Command{ID: "m", Type: CommandModerator, Text: "Remember to speak about yourself."}
	r := newRoom(t, ModeListener)
	r.do(chair, msg)
	r.do(chair, grant(SeatA))
	r.do(chair, msg)
	r.do(partnerA, cmd(CommandYield))
	r.do(chair, msg)
	r.do(partnerB, cmd(CommandPause))
	r.do(chair, msg)
	r.do(chair, cmd(CommandEnd))
	r.refused(chair, msg, CodeEnded)
}

func TestEndIsFinal(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	r.do(partnerB, cmd(CommandRequestFloor))
	r.do(chair, cmd(CommandEnd))
	if !r.s.Ended || r.s.Holder != "" || len(r.s.Queue) != 0 {
		t.Fatalf("ended state = %+v", r.s)
	}
	if _, ok := NextDeadline(r.s); ok {
		t.Fatal("an ended session asks for a timer")
	}
	for _, c := range []struct {
		actor Actor
		cmd   Command
	}{
		{partnerA, say("wait")}, {chair, cmd(CommandEnd)}, {chair, cmd(CommandResume)},
		{partnerB, cmd(CommandPause)}, {timer, cmd(CommandTick)}, {partnerA, cmd(CommandGrant)},
	} {
		r.refused(c.actor, c.cmd, CodeEnded)
	}
}

func TestEventsCarryTimeAndActorOfCommand(t *testing.T) {
	r := newRoom(t, ModeTurns)
	r.s.Seq = 41
	local := start.In(time.FixedZone("CET", 3600))
	events, err := Decide(r.s, grant(SeatA), chair, local)
	if err != nil {
		t.Fatal(err)
	}
	if events[0].Seq != 42 || events[0].Actor != chair || !events[0].At.Equal(start) || events[0].At.Location() != time.UTC {
		t.Fatalf("event = %+v, want seq 42 by the chair at %v in UTC", events[0], start)
	}
}

func TestNextDeadlineFollowsRunningTurn(t *testing.T) {
	r := newRoom(t, ModeTurns)
	if _, ok := NextDeadline(r.s); ok {
		t.Fatal("a free floor asks for a timer")
	}
	r.do(chair, grant(SeatA))
	due, ok := NextDeadline(r.s)
	if !ok || !due.Equal(r.s.Deadline) {
		t.Fatalf("NextDeadline = %v, %v; want the turn deadline %v", due, ok, r.s.Deadline)
	}
}

func TestStateSurvivesJSONRoundTrip(t *testing.T) {
	r := newRoom(t, ModeListener)
	r.do(chair, grant(SeatA))
	r.do(partnerB, cmd(CommandRequestFloor))
	r.wait(7 * time.Second)
	r.do(partnerA, cmd(CommandYield))
	r.do(partnerB, paraphrase("You felt alone."))
	r.do(partnerA, Command{ID: "m", Type: CommandPause, Reason: "tea"})
	r.do(partnerA, cmd(CommandReady))
	data, err := json.Marshal(r.s)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r.s) {
		t.Fatalf("state changed through JSON:\n got %+v\nwant %+v", back, r.s)
	}
}

func TestApplyLeavesInputUntouched(t *testing.T) {
	// A state decoded from a stored snapshot may have room to spare behind its slices.
	queue := make([]string, 1, 4)
	queue[0] = SeatA
	ready := make([]string, 1, 4)
	ready[0] = SeatB
	s := NewState(ModeTurns, 0, 0)
	s.Queue, s.Ready, s.Paused = queue, ready, true

	Apply(s, Event{Seq: 1, Type: EventFloorRequested, Seat: SeatB, At: start})
	Apply(s, Event{Seq: 1, Type: EventReady, Seat: SeatA, At: start})
	Apply(s, Event{Seq: 1, Type: EventFloorGranted, Seat: SeatA, At: start})
	if spare := queue[:2]; spare[1] != "" {
		t.Fatalf("Apply wrote %q into the input state's queue array", spare[1])
	}
	if spare := ready[:2]; spare[1] != "" {
		t.Fatalf("Apply wrote %q into the input state's ready array", spare[1])
	}
	if !reflect.DeepEqual(s.Queue, []string{SeatA}) || s.Holder != "" || s.Seq != 0 {
		t.Fatalf("Apply changed its input: %+v", s)
	}
}

// BenchmarkDecideApply measures one round of a conversation: the holder speaks, the other partner
// asks for the floor, and the holder yields it to them.
func BenchmarkDecideApply(b *testing.B) {
	s := NewState(ModeTurns, 0, 0)
	now := start
	run := func(actor Actor, c Command) {
		events, err := Decide(s, c, actor, now)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range events {
			s = Apply(s, e)
		}
	}
	run(chair, grant(SeatA))
	partners := map[string]Actor{SeatA: partnerA, SeatB: partnerB}
	words := say("When you stopped answering my calls on Friday, I felt alone.")
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		holder := partners[s.Holder]
		run(holder, words)
		run(partners[otherSeat(s.Holder)], cmd(CommandRequestFloor))
		run(holder, cmd(CommandYield))
	}
}
