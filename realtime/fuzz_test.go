package realtime

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/amendcare/amend/fault"
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

// FuzzDecodeCommand checks that any frame either decodes to a well-formed command that survives
// re-encoding, or is refused as a bad request, and that Decide copes with whatever decodes.
func FuzzDecodeCommand(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		cmd, err := DecodeCommand(data)
		if err != nil {
			var refusal *fault.Error
			if !errors.As(err, &refusal) || refusal.Code != fault.Invalid || refusal.Message == "" {
				t.Fatalf("DecodeCommand(%q) failed with %v, want a bad_request refusal", data, err)
			}
			if !reflect.DeepEqual(cmd, Command{ID: cmd.ID}) {
				t.Fatalf("a refused frame returned %+v, more than its id", cmd)
			}
			return
		}
		uses, known := fieldsOf(cmd.Type)
		if !known || unusedField(cmd, uses) != "" {
			t.Fatalf("DecodeCommand(%q) accepted %+v", data, cmd)
		}
		if (cmd.ID == "" && !Ephemeral(cmd.Type)) || utf8.RuneCountInString(cmd.ID) > MaxCommandIDLength {
			t.Fatalf("DecodeCommand(%q) accepted the id %q", data, cmd.ID)
		}
		encoded, err := json.Marshal(cmd)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeCommand(encoded)
		if err != nil || !reflect.DeepEqual(again, cmd) {
			t.Fatalf("%+v re-encoded as %s decodes to %+v, %v", cmd, encoded, again, err)
		}
		for _, actor := range []Actor{chair, partnerA, partnerB} {
			s := NewState(ModeListener, 0, 0)
			s.Holder, s.Phase = SeatA, PhaseConfirm
			if _, err := Decide(s, cmd, actor, start); err != nil {
				if _, ok := errors.AsType[*fault.Error](err); !ok {
					t.Fatalf("Decide(%+v) failed with %v", cmd, err)
				}
			}
		}
	})
}
