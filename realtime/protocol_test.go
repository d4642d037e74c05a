package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/amendcare/amend/realtime/floor"
)

func TestDecodeCommandAcceptsClientCommands(t *testing.T) {
	tests := []struct {
		frame string
		want  floor.Command
	}{
		{`{"id":"m1","type":"say","text":"I'm listening."}`, floor.Command{ID: "m1", Type: floor.CommandSay, Text: "I'm listening."}},
		{`{"type":"draft","text":"I'm list"}`, floor.Command{Type: floor.CommandDraft, Text: "I'm list"}},
		{` {"id":"m2","type":"request_floor"} ` + "\n", floor.Command{ID: "m2", Type: floor.CommandRequestFloor}},
		{`{"id":"m3","type":"confirm","ok":false}`, floor.Command{ID: "m3", Type: floor.CommandConfirm, OK: no()}},
		{`{"id":"m4","type":"grant","seat":"b"}`, floor.Command{ID: "m4", Type: floor.CommandGrant, Seat: floor.SeatB}},
		{`{"id":"m5","type":"extend","seconds":30}`, floor.Command{ID: "m5", Type: floor.CommandExtend, Seconds: 30}},
		{`{"id":"m6","type":"pause","reason":"I need air"}`, floor.Command{ID: "m6", Type: floor.CommandPause, Reason: "I need air"}},
		{`{"id":"m7","type":"mode","mode":"listener"}`, floor.Command{ID: "m7", Type: floor.CommandMode, Mode: floor.ModeListener}},
		{`{"id":"m8","type":"settings","turn_seconds":90,"min_break_seconds":30}`,
			floor.Command{ID: "m8", Type: floor.CommandSettings, TurnSeconds: 90, MinBreakSeconds: 30}},
		{`{"id":"` + strings.Repeat("é", MaxCommandIDLength) + `","type":"end"}`,
			floor.Command{ID: strings.Repeat("é", MaxCommandIDLength), Type: floor.CommandEnd}},
	}
	for _, tt := range tests {
		t.Run(tt.want.Type, func(t *testing.T) {
			got, err := DecodeCommand([]byte(tt.frame))
			if err != nil {
				t.Fatalf("DecodeCommand(%s): %v", tt.frame, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("DecodeCommand(%s) = %+v, want %+v", tt.frame, got, tt.want)
			}
		})
	}
}

// A refused frame still yields its id when it was a JSON object with a string id, so the error
// frame can name the command it answers.
func TestDecodeCommandRejectsMalformedFrames(t *testing.T) {
	tests := []struct {
		name, frame string
		id          string // the id the refusal carries
	}{
		{"not JSON", `say hello`, ""},
		{"empty frame", ``, ""},
		{"cut short", `{"id":"m1","type":"say"`, ""},
		{"array", `[{"id":"m1","type":"say"}]`, ""},
		{"string", `"say"`, ""},
		{"null", `null`, ""},
		{"unknown type", `{"id":"m1","type":"shout","text":"hey"}`, "m1"},
		{"missing type", `{"id":"m1","text":"hey"}`, "m1"},
		{"timer tick from a client", `{"id":"m1","type":"tick"}`, "m1"},
		{"unknown field", `{"id":"m1","type":"say","text":"hi","volume":11}`, "m1"},
		{"trailing object", `{"id":"m1","type":"yield"}{"id":"m2","type":"yield"}`, "m1"},
		{"trailing brace", `{"id":"m1","type":"yield"}}`, "m1"},
		{"trailing garbage", `{"id":"m1","type":"yield"} x`, "m1"},
		{"text as number", `{"id":"m1","type":"say","text":42}`, "m1"},
		{"seconds as string", `{"id":"m1","type":"extend","seconds":"30"}`, "m1"},
		{"seconds as fraction", `{"id":"m1","type":"extend","seconds":1.5}`, "m1"},
		{"ok as string", `{"id":"m1","type":"confirm","ok":"yes"}`, "m1"},
		{"id as number", `{"id":7,"type":"yield"}`, ""},
		{"missing id", `{"type":"say","text":"hi"}`, ""},
		{"empty id", `{"id":"","type":"yield"}`, ""},
		{"id too long", `{"id":"` + strings.Repeat("x", MaxCommandIDLength+1) + `","type":"yield"}`, strings.Repeat("x", MaxCommandIDLength+1)},
		{"field of another command", `{"id":"m1","type":"yield","text":"bye"}`, "m1"},
		{"seat on a say", `{"id":"m1","type":"say","text":"hi","seat":"b"}`, "m1"},
		{"ok on a say", `{"id":"m1","type":"say","text":"hi","ok":true}`, "m1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, err := DecodeCommand([]byte(tt.frame))
			var refusal *floor.Error
			if !errors.As(err, &refusal) || refusal.Code != floor.CodeBadRequest {
				t.Fatalf("DecodeCommand(%s) = %+v, %v; want a bad_request refusal", tt.frame, cmd, err)
			}
			if refusal.Message == "" || strings.Contains(refusal.Message, "json:") {
				t.Fatalf("message %q should explain the problem in plain words", refusal.Message)
			}
			if !reflect.DeepEqual(cmd, floor.Command{ID: tt.id}) {
				t.Fatalf("a refused frame returned %+v, want only the id %q", cmd, tt.id)
			}
		})
	}
}

func TestDecodeCommandNamesTheProblem(t *testing.T) {
	tests := []struct{ frame, mention string }{
		{`{"id":"m1","type":"say","volume":11}`, `"volume"`},
		{`{"id":"m1","type":"extend","seconds":"30"}`, "seconds"},
		{`{"id":"m1","type":"yield","text":"bye"}`, "text"},
	}
	for _, tt := range tests {
		_, err := DecodeCommand([]byte(tt.frame))
		if err == nil || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("DecodeCommand(%s) = %v; want it to mention %s", tt.frame, err, tt.mention)
		}
	}
}

func encodingJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestEventEncodingMatchesEncodingJSON(t *testing.T) {
	tricky := []string{
		"", "plain", `"quoted" and \backslashed\`, "tab\tnew\nline\rcarriage", "\x00\x01\x1f\x7f",
		"\b\f", "<b>&amp;</b>", "caf\xe9 \xff\xfe", "line\u2028para\u2029end", "emoji 👋🏽 and ünïcödé",
		"\xed\xa0\x80 lone surrogate", "\xf4\x90\x80\x80 beyond unicode", "ends with half \xe2\x82",
	}
	at := time.Date(2026, 3, 4, 17, 0, 0, 123456789, time.UTC)
	for i, text := range tricky {
		events := []floor.Event{
			{Seq: int64(i), Type: floor.EventUtterance, Actor: partnerA, At: at, Seat: floor.SeatA, Text: text},
			{Seq: 1 << 40, Type: floor.EventPaused, Actor: floor.Actor{UserID: -3, Role: floor.Role(text)}, At: at.Truncate(time.Second),
				Reason: text, BreakUntil: at.Add(time.Minute)},
			{Seq: 9, Type: floor.EventTurnExtended, Actor: chair, At: at.In(time.FixedZone("", -5*3600)),
				Seconds: 60, Deadline: at.Add(time.Hour)},
			{Seq: 10, Type: floor.EventSettingsChanged, Actor: chair, At: at, Mode: text, TurnSeconds: 45, MinBreakSeconds: 20},
			{},
		}
		for _, e := range events {
			want := encodingJSON(t, e)
			if got := AppendEvent(nil, e); !bytes.Equal(got, want) {
				t.Errorf("AppendEvent(%+v)\n got %s\nwant %s", e, got, want)
			}
		}
	}
}

func TestEventEncodingReusesBuffer(t *testing.T) {
	e := floor.Event{Seq: 12, Type: floor.EventUtterance, Actor: partnerB, At: start, Seat: floor.SeatB, Text: "I was scared to call back."}
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendEvent(buf[:0], e)
	})
	if allocs != 0 {
		t.Fatalf("AppendEvent into a buffer with room allocated %v times per event", allocs)
	}
}

func TestServerFramesDecodeToTheirTypes(t *testing.T) {
	var ack Ack
	mustDecode(t, EncodeAck(`m"1`, 42), &ack)
	if ack != (Ack{Type: FrameAck, ID: `m"1`, Seq: 42}) {
		t.Errorf("ack frame decoded to %+v", ack)
	}

	var refusal ErrorFrame
	mustDecode(t, EncodeError("m2", floor.Refuse(floor.CodeNotYourTurn, "It is not your turn to speak.")), &refusal)
	if refusal != (ErrorFrame{Type: FrameError, ID: "m2", Code: floor.CodeNotYourTurn, Message: "It is not your turn to speak."}) {
		t.Errorf("error frame decoded to %+v", refusal)
	}

	var limited ErrorFrame
	mustDecode(t, EncodeRateLimited(`m"3`, 37), &limited)
	if limited.Type != FrameError || limited.ID != `m"3` || limited.Code != CodeRateLimited || limited.Refused != 37 ||
		!strings.Contains(limited.Message, "37 refused") {
		t.Errorf("rate_limited frame decoded to %+v", limited)
	}

	var draft Draft
	mustDecode(t, EncodeDraft(floor.SeatA, "When you <left>\n"), &draft)
	if draft != (Draft{Type: FrameDraft, Seat: floor.SeatA, Text: "When you <left>\n"}) {
		t.Errorf("draft frame decoded to %+v", draft)
	}

	var presence Presence
	mustDecode(t, EncodePresence([]floor.Role{floor.RoleChair, floor.RoleB}), &presence)
	if !reflect.DeepEqual(presence, Presence{Type: FramePresence, Present: []floor.Role{floor.RoleChair, floor.RoleB}}) {
		t.Errorf("presence frame decoded to %+v", presence)
	}
	if got := string(EncodePresence(nil)); got != `{"type":"presence","present":[]}` {
		t.Errorf("an empty room encodes as %s", got)
	}

	s := floor.NewState(floor.ModeListener, 0, 0)
	for _, step := range []struct {
		actor floor.Actor
		cmd   floor.Command
	}{{chair, floor.Command{ID: "m1", Type: floor.CommandGrant, Seat: floor.SeatA}}, {partnerB, floor.Command{ID: "m2", Type: floor.CommandRequestFloor}}} {
		events, err := floor.Decide(s, step.cmd, step.actor, start)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			s = floor.Apply(s, e)
		}
	}
	data, err := EncodeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	var snapshot Snapshot
	mustDecode(t, data, &snapshot)
	if snapshot.Type != FrameSnapshot || snapshot.Seq != 2 || !reflect.DeepEqual(snapshot.State, s) {
		t.Errorf("snapshot frame decoded to %+v, want seq 2 and state %+v", snapshot, s)
	}
}

func TestServerFramesCarryNoSeqWhenEphemeral(t *testing.T) {
	for _, frame := range [][]byte{EncodeDraft(floor.SeatA, "hi"), EncodePresence([]floor.Role{floor.RoleA})} {
		var fields map[string]any
		mustDecode(t, frame, &fields)
		if _, ok := fields["seq"]; ok {
			t.Errorf("ephemeral frame %s carries a seq", frame)
		}
	}
}

// A client cannot pass off as the forwarding unit: a spoken_interruption frame is not a command.
func TestClientCannotSendSpokenInterruption(t *testing.T) {
	if _, err := DecodeCommand([]byte(`{"id":"x","type":"spoken_interruption","seat":"b"}`)); err == nil {
		t.Fatal("a client's spoken_interruption frame was accepted")
	}
}

func TestEncodeErrorHidesUnexpectedErrors(t *testing.T) {
	var frame ErrorFrame
	mustDecode(t, EncodeError("m9", fmt.Errorf("pq: deadlock detected on relation live_sessions")), &frame)
	if frame.Code != CodeInternal || strings.Contains(frame.Message, "pq") || frame.ID != "m9" {
		t.Fatalf("an internal failure reached the client as %+v", frame)
	}
	mustDecode(t, EncodeError("m10", fmt.Errorf("deciding: %w", floor.Refuse(floor.CodePaused, "Paused."))), &frame)
	if frame.Code != floor.CodePaused {
		t.Fatalf("a wrapped refusal lost its code: %+v", frame)
	}
}

func mustDecode(t *testing.T, data []byte, into any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("frame %s does not decode into %T: %v", data, into, err)
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	e := floor.Event{
		Seq: 1234, Type: floor.EventUtterance, Actor: partnerA, At: start.Add(1234567 * time.Microsecond), Seat: floor.SeatA,
		Text: "When you stopped answering my calls on Friday, I felt alone and I started imagining the worst.",
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvent(buf[:0], e)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodeCommand(b *testing.B) {
	frame := []byte(`{"id":"0b7e6a2c-5d1f-4c1e-9a55-2f0c7d7f1a10","type":"say","text":"I felt alone and I started imagining the worst."}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeCommand(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeCommand checks that any frame either decodes to a well-formed command that survives
// re-encoding, or is refused as a bad request, and that Decide copes with whatever decodes.
func FuzzDecodeCommand(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		cmd, err := DecodeCommand(data)
		if err != nil {
			var refusal *floor.Error
			if !errors.As(err, &refusal) || refusal.Code != floor.CodeBadRequest || refusal.Message == "" {
				t.Fatalf("DecodeCommand(%q) failed with %v, want a bad_request refusal", data, err)
			}
			if !reflect.DeepEqual(cmd, floor.Command{ID: cmd.ID}) {
				t.Fatalf("a refused frame returned %+v, more than its id", cmd)
			}
			return
		}
		uses, known := fieldsOf(cmd.Type)
		if !known || unusedField(cmd, uses) != "" {
			t.Fatalf("DecodeCommand(%q) accepted %+v", data, cmd)
		}
		if (cmd.ID == "" && !floor.Ephemeral(cmd.Type)) || utf8.RuneCountInString(cmd.ID) > MaxCommandIDLength {
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
		for _, actor := range []floor.Actor{chair, partnerA, partnerB} {
			s := floor.NewState(floor.ModeListener, 0, 0)
			s.Holder, s.Phase = floor.SeatA, floor.PhaseConfirm
			if _, err := floor.Decide(s, cmd, actor, start); err != nil {
				if _, ok := errors.AsType[*floor.Error](err); !ok {
					t.Fatalf("Decide(%+v) failed with %v", cmd, err)
				}
			}
		}
	})
}
