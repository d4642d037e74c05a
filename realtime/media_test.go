package realtime

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/amendcare/amend/realtime/floor"
)

func TestDecodeMediaFrameTellsMediaFromCommands(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		isMedia bool
		code    string // the refusal's code, or "" for a frame accepted
		id      string // the id a refusal echoes
	}{
		{"a join", `{"type":"media_join","id":"m1","video":true}`, true, "", ""},
		{"an answer", `{"type":"media_answer","sdp":"v=0\r\n"}`, true, "", ""},
		{"a candidate", `{"type":"media_candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}`, true, "", ""},
		{"a mute", `{"type":"media_mute","audio":false,"video":false}`, true, "", ""},
		{"a leave", `{"type":"media_leave"}`, true, "", ""},
		{"a say that mentions media_join stays a command", `{"id":"c1","type":"say","text":"\"media_join\""}`, false, "", ""},
		{"a command", `{"id":"c1","type":"yield"}`, false, "", ""},
		{"an unknown media type", `{"type":"media_record","id":"m2"}`, true, floor.CodeBadRequest, "m2"},
		{"an unknown field echoes the id", `{"type":"media_join","id":"m3","volume":1}`, true, floor.CodeBadRequest, "m3"},
		{"a field of the wrong type", `{"type":"media_mute","id":"m4","audio":"yes"}`, true, floor.CodeBadRequest, "m4"},
		{"two objects", `{"type":"media_leave","id":"m5"}{}`, true, floor.CodeBadRequest, "m5"},
		{"an answer without sdp", `{"type":"media_answer","id":"m6"}`, true, floor.CodeBadRequest, "m6"},
		{"a candidate without its candidate", `{"type":"media_candidate"}`, true, floor.CodeBadRequest, ""},
		{"a join carrying an sdp", `{"type":"media_join","sdp":"v=0"}`, true, floor.CodeBadRequest, ""},
		{"a mute saying nothing", `{"type":"media_mute"}`, true, floor.CodeBadRequest, ""},
		{"a leave with audio", `{"type":"media_leave","audio":true}`, true, floor.CodeBadRequest, ""},
		{"an id too long", `{"type":"media_leave","id":"` + strings.Repeat("x", MaxCommandIDLength+1) + `"}`, true, floor.CodeBadRequest, ""},
		{"an answer too long", `{"type":"media_answer","sdp":"` + strings.Repeat("a", MaxSDPLength+1) + `"}`, true, floor.CodeBadRequest, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frame, isMedia, err := DecodeMediaFrame([]byte(tc.data))
			if isMedia != tc.isMedia {
				t.Fatalf("media %v, want %v", isMedia, tc.isMedia)
			}
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.code != "" && (err == nil || err.Code != tc.code):
				t.Fatalf("got %v, want %s", err, tc.code)
			case tc.code != "" && frame.ID != tc.id:
				t.Fatalf("refusal echoes id %q, want %q", frame.ID, tc.id)
			}
		})
	}
}

// FuzzDecodeMediaFrame checks that any frame is either left to DecodeCommand, refused as a bad
// request, or decoded to a media frame that fits its type and survives re-encoding.
func FuzzDecodeMediaFrame(f *testing.F) {
	for _, seed := range []string{
		`{"type":"media_join","id":"m1","video":true}`,
		`{"type":"media_answer","sdp":"v=0"}`,
		`{"type":"media_candidate","candidate":{"candidate":"candidate:1","sdpMid":"0","sdpMLineIndex":0}}`,
		`{"type":"media_mute","audio":false}`,
		`{"type":"media_leave"}`,
		`{"id":"c1","type":"say","text":"media_join"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		frame, isMedia, err := DecodeMediaFrame(data)
		switch {
		case !isMedia:
			if err != nil || !reflect.DeepEqual(frame, MediaFrame{}) {
				t.Fatalf("DecodeMediaFrame(%q) is no media frame but returned %+v, %v", data, frame, err)
			}
			return
		case err != nil:
			if err.Code != floor.CodeBadRequest || err.Message == "" {
				t.Fatalf("DecodeMediaFrame(%q) refused with %v, want bad_request", data, err)
			}
			return
		}
		if fits := checkMediaFields(frame); fits != nil || len(frame.ID) > MaxCommandIDLength {
			t.Fatalf("DecodeMediaFrame(%q) accepted %+v", data, frame)
		}
		encoded, jsonErr := json.Marshal(frame)
		if jsonErr != nil {
			t.Fatal(jsonErr)
		}
		again, isMedia, err := DecodeMediaFrame(encoded)
		if !isMedia || err != nil || !reflect.DeepEqual(again, frame) {
			t.Fatalf("%+v re-encoded as %s decodes to %+v, %v", frame, encoded, again, err)
		}
	})
}
