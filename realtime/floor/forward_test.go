package floor

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// heardRoles lists who the forwarding unit passes on in s, as "chair,a" and so on.
func heardRoles(s State) string {
	out := ""
	for _, role := range []Role{RoleChair, RoleA, RoleB, RoleSystem} {
		if Forwarded(s, role) {
			if out != "" {
				out += ","
			}
			out += string(role)
		}
	}
	return out
}

func TestForwardingFollowsTheFloor(t *testing.T) {
	tests := []struct {
		name  string
		mode  string
		steps func(r *room)
		heard string
	}{
		{"a free floor passes only the chair", ModeTurns, func(r *room) {}, "chair"},
		{"the holder and the chair are heard", ModeTurns, func(r *room) { r.do(chair, grant(SeatA)) }, "chair,a"},
		{"a grant to the other partner moves who is heard", ModeTurns, func(r *room) {
			r.do(chair, grant(SeatA))
			r.do(chair, grant(SeatB))
		}, "chair,b"},
		{"a yield silences the partner who yielded", ModeTurns, func(r *room) {
			r.do(chair, grant(SeatA))
			r.do(partnerA, cmd(CommandYield))
		}, "chair"},
		{"a pause silences both partners and passes the chair", ModeTurns, func(r *room) {
			r.do(chair, grant(SeatA))
			r.do(partnerB, Command{ID: "m", Type: CommandPause})
		}, "chair"},
		{"a resume gives the holder their voice back", ModeTurns, func(r *room) {
			r.do(chair, grant(SeatA))
			r.do(chair, Command{ID: "m", Type: CommandPause})
			r.do(chair, cmd(CommandResume))
		}, "chair,a"},
		{"an ended session silences everyone", ModeTurns, func(r *room) {
			r.do(chair, grant(SeatA))
			r.do(chair, cmd(CommandEnd))
		}, ""},
		{"listener mode: the speaker is heard", ModeListener, func(r *room) { r.do(chair, grant(SeatA)) }, "chair,a"},
		{"listener mode: the listener is heard while paraphrasing, the speaker is not", ModeListener, func(r *room) {
			r.do(chair, grant(SeatA))
			r.do(partnerA, cmd(CommandYield))
		}, "chair,b"},
		{"listener mode: the speaker answers the paraphrase", ModeListener, func(r *room) {
			r.do(chair, grant(SeatA))
			r.do(partnerA, cmd(CommandYield))
			r.do(partnerB, paraphrase("You felt alone."))
		}, "chair,a"},
		{"listener mode: a confirmed paraphrase hands the floor over", ModeListener, func(r *room) {
			r.do(chair, grant(SeatA))
			r.do(partnerA, cmd(CommandYield))
			r.do(partnerB, paraphrase("You felt alone."))
			r.do(partnerA, confirm(yes()))
		}, "chair,b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRoom(t, tc.mode)
			tc.steps(r)
			if got := heardRoles(r.s); got != tc.heard {
				t.Fatalf("heard %q, want %q (state %+v)", got, tc.heard, r.s)
			}
		})
	}
}

func TestInterruptsOnlyWhenTheOtherPartnerIsHeard(t *testing.T) {
	tests := []struct {
		name   string
		steps  func(r *room)
		a, b   bool
		nobody bool // neither the chair nor an unknown seat ever interrupts
	}{
		{"a free floor", func(r *room) {}, false, false, true},
		{"a holds the floor", func(r *room) { r.do(chair, grant(SeatA)) }, false, true, true},
		{"b holds the floor", func(r *room) { r.do(chair, grant(SeatB)) }, true, false, true},
		{"a pause", func(r *room) {
			r.do(chair, grant(SeatA))
			r.do(chair, Command{ID: "m", Type: CommandPause})
		}, false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRoom(t, ModeTurns)
			tc.steps(r)
			h := HearingOf(r.s)
			if got := h.Interrupts(SeatA); got != tc.a {
				t.Errorf("a interrupts: %v, want %v", got, tc.a)
			}
			if got := h.Interrupts(SeatB); got != tc.b {
				t.Errorf("b interrupts: %v, want %v", got, tc.b)
			}
			if h.Interrupts(string(RoleChair)) || h.Interrupts("c") {
				t.Error("the chair or an unknown seat interrupts")
			}
		})
	}
}

// talkAccepted reports whether the floor would accept anything spoken by the partner now: a say,
// a paraphrase or an answer to a paraphrase.
func talkAccepted(s State, actor Actor, now time.Time) bool {
	for _, c := range []Command{say("words"), paraphrase("words"), confirm(yes())} {
		if _, err := Decide(s, c, actor, now); err == nil {
			return true
		}
	}
	return false
}

// The forwarding rule and the floor never disagree: over random sessions a partner is heard exactly
// when the floor would accept their talk, at most one partner is heard, and the chair is heard
// until the end.
func TestForwardingAgreesWithTheFloorOverRandomSessions(t *testing.T) {
	sessions, steps := 200, 250
	if testing.Short() {
		sessions = 30
	}
	heardStates := map[string]int{}
	for seed := range uint64(sessions) {
		rng := rand.New(rand.NewPCG(seed, 0xf0a4d))
		mode := []string{ModeTurns, ModeListener}[seed%2]
		s := NewState(mode, 30+rng.IntN(120), 10+rng.IntN(60))
		now := start
		for step := range steps {
			actor, c, advance := randomCommand(rng)
			now = now.Add(advance)
			events, err := Decide(s, c, actor, now)
			if err != nil {
				continue
			}
			for _, e := range events {
				s = Apply(s, e)
			}
			where := fmt.Sprintf("seed %d step %d (%+v)", seed, step, s)
			heard := heardRoles(s)
			heardStates[heard]++
			if Forwarded(s, RoleChair) == s.Ended {
				t.Fatalf("%s: chair heard %v in an ended=%v session", where, Forwarded(s, RoleChair), s.Ended)
			}
			if Forwarded(s, RoleA) && Forwarded(s, RoleB) {
				t.Fatalf("%s: both partners are heard", where)
			}
			if Forwarded(s, RoleSystem) {
				t.Fatalf("%s: the timer is heard", where)
			}
			hearing := HearingOf(s)
			if hearing.Seq() != s.Seq {
				t.Fatalf("%s: hearing of seq %d, want %d", where, hearing.Seq(), s.Seq)
			}
			for _, role := range []Role{RoleChair, RoleA, RoleB, RoleSystem} {
				if hearing.Heard(role) != Forwarded(s, role) {
					t.Fatalf("%s: hearing says %s heard %v, the rule %v", where, role, hearing.Heard(role), Forwarded(s, role))
				}
			}
			for _, partner := range []Actor{partnerA, partnerB} {
				if got, want := Forwarded(s, partner.Role), talkAccepted(s, partner, now); got != want {
					t.Fatalf("%s: %s heard %v but the floor accepts their talk: %v", where, partner.Role, got, want)
				}
				seat := string(partner.Role)
				if hearing.Interrupts(seat) != (!Forwarded(s, partner.Role) && Forwarded(s, Role(otherSeat(seat)))) {
					t.Fatalf("%s: %s interrupts disagrees with who is heard", where, seat)
				}
			}
		}
	}
	for _, want := range []string{"chair", "chair,a", "chair,b", ""} {
		if heardStates[want] == 0 {
			t.Errorf("no random session reached a state where %q is heard (%v)", want, heardStates)
		}
	}
}

// speechFeed drives a detector with one 20 ms packet after another.
type speechFeed struct {
	d     SpeechDetector
	now   time.Time
	count int
}

// run sends packets at level for d, interrupting or not, and returns how many interruptions it
// counted. empty sends padding-only packets.
func (f *speechFeed) run(d time.Duration, level uint8, interrupts, empty bool) int {
	counted := 0
	for end := f.now.Add(d); f.now.Before(end); f.now = f.now.Add(packetSpeech) {
		if f.d.Observe(f.now, level, empty, interrupts) {
			counted++
		}
	}
	f.count += counted
	return counted
}

const (
	loud  = 30  // -30 dBov: speech
	quiet = 100 // -100 dBov: a quiet room
)

func TestSpokenInterruptionIsCountedOncePerSustainedEpisode(t *testing.T) {
	tests := []struct {
		name string
		feed func(f *speechFeed)
		want int
	}{
		{"sustained speech while the other partner is heard counts once", func(f *speechFeed) {
			f.run(2*time.Second, quiet, true, false) // the grace period after the floor moved passes
			f.run(3*time.Second, loud, true, false)
		}, 1},
		{"speech shorter than the sustained minimum does not count", func(f *speechFeed) {
			f.run(2*time.Second, quiet, true, false)
			f.run(SpeechSustained-2*packetSpeech, loud, true, false)
			f.run(2*time.Second, quiet, true, false)
		}, 0},
		{"quiet audio does not count however long", func(f *speechFeed) {
			f.run(5*time.Second, SpeechLevel+1, true, false)
		}, 0},
		{"padding-only packets are ignored, whatever level they claim", func(f *speechFeed) {
			f.run(2*time.Second, quiet, true, false)
			f.run(3*time.Second, 0, true, true)
		}, 0},
		{"speech while heard, or while nobody is, interrupts no one", func(f *speechFeed) {
			f.run(3*time.Second, loud, false, false)
		}, 0},
		{"speech inside the grace period after the floor moved does not count", func(f *speechFeed) {
			f.run(2*time.Second, loud, false, false) // the partner speaks while heard
			f.run(FloorChangeGrace-packetSpeech, loud, true, false)
			f.run(2*time.Second, quiet, true, false)
		}, 0},
		{"speech that goes on past the grace period counts", func(f *speechFeed) {
			f.run(2*time.Second, loud, false, false)
			f.run(FloorChangeGrace+SpeechSustained+packetSpeech, loud, true, false)
		}, 1},
		{"short pauses in one episode do not count it again", func(f *speechFeed) {
			f.run(2*time.Second, quiet, true, false)
			for range 4 {
				f.run(time.Second, loud, true, false)
				f.run(EpisodeSilence-200*time.Millisecond, quiet, true, false)
			}
		}, 1},
		{"silence ends an episode and the next one counts again", func(f *speechFeed) {
			f.run(2*time.Second, quiet, true, false)
			f.run(time.Second, loud, true, false)
			f.run(EpisodeSilence+packetSpeech, quiet, true, false)
			f.run(time.Second, loud, true, false)
		}, 2},
		{"silence carried by padding-only packets ends an episode too", func(f *speechFeed) {
			f.run(2*time.Second, quiet, true, false)
			f.run(time.Second, loud, true, false)
			f.run(3*time.Second, quiet, true, true)
			f.run(time.Second, loud, true, false)
		}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &speechFeed{now: start}
			tc.feed(f)
			if f.count != tc.want {
				t.Fatalf("counted %d interruptions, want %d", f.count, tc.want)
			}
		})
	}
}

func TestSpeakingFollowsRecentLoudPackets(t *testing.T) {
	f := &speechFeed{now: start}
	if f.d.Speaking(f.now) {
		t.Fatal("speaking before any packet")
	}
	f.run(100*time.Millisecond, loud, false, false)
	if !f.d.Speaking(f.now) {
		t.Fatal("not speaking right after loud packets")
	}
	f.run(SpeakingRecent+packetSpeech, quiet, false, false)
	if f.d.Speaking(f.now) {
		t.Fatal("still speaking after quiet packets")
	}
	f.run(time.Second, 0, false, true)
	if f.d.Speaking(f.now) {
		t.Fatal("padding-only packets show as speech")
	}
}

func TestSpokenInterruptionIsASystemEventCountedPerSeat(t *testing.T) {
	spoken := func(seat string) Command {
		return Command{Type: CommandSpokenInterruption, Seat: seat}
	}
	r := newRoom(t, ModeTurns)
	r.do(chair, grant(SeatA))
	events := r.events(timer, spoken(SeatB))
	if len(events) != 1 || events[0].Type != EventSpokenInterruption || events[0].Seat != SeatB ||
		events[0].Actor != (Actor{Role: RoleB}) {
		t.Fatalf("events %+v, want one spoken_interruption of b by b", events)
	}
	r.do(timer, spoken(SeatB))
	r.do(timer, spoken(SeatA))
	if want := (Tally{A: 1, B: 2}); r.s.SpokenInterruptions != want {
		t.Fatalf("spoken interruptions %+v, want %+v", r.s.SpokenInterruptions, want)
	}

	for _, tc := range []struct {
		name  string
		actor Actor
		cmd   Command
		code  string
	}{
		{"a partner cannot report one", partnerA, spoken(SeatB), CodeNotAllowed},
		{"the chair cannot report one", chair, spoken(SeatB), CodeNotAllowed},
		{"a seat that is not a partner's", timer, spoken("chair"), CodeBadRequest},
		{"no seat", timer, spoken(""), CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) { r.refused(tc.actor, tc.cmd, tc.code) })
	}

	r.do(chair, Command{ID: "m", Type: CommandPause})
	r.refused(timer, spoken(SeatB), CodePaused)
	r.do(chair, cmd(CommandResume))
	r.do(chair, cmd(CommandEnd))
	if want := (Tally{A: 1, B: 2}); r.s.SpokenInterruptions != want {
		t.Fatalf("after the end: spoken interruptions %+v, want %+v", r.s.SpokenInterruptions, want)
	}
	r.refused(timer, spoken(SeatB), CodeEnded)
}
