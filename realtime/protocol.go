package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/amendcare/amend/realtime/floor"
)

// Server frame types. Events travel as their own JSON, with their event type in "type".
const (
	FrameSnapshot = "snapshot"
	FrameAck      = "ack"
	FrameError    = "error"
	FrameDraft    = "draft"
	FramePresence = "presence"
)

// CodeInternal is the error code for a command the server failed to handle through no fault of
// the client; its frame never carries the underlying error's text.
const CodeInternal = "internal"

// CodeUnavailable is the error code for a command that could not be stored because the database
// is briefly out of reach; the client sends it again, with the same id, a moment later.
const CodeUnavailable = "unavailable"

// MaxCommandIDLength bounds the client's message id, which the server stores to drop resends.
const MaxCommandIDLength = 64

// Snapshot is the state a client starts from; events after Seq follow it.
type Snapshot struct {
	Type  string      `json:"type"`
	Seq   int64       `json:"seq"`
	State floor.State `json:"state"`
}

// Ack tells a client its command was stored; Seq is the last event it caused, or the session's
// seq when it caused none.
type Ack struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Seq  int64  `json:"seq"`
}

// ErrorFrame tells a client its command was refused. Refused is set on rate_limited errors only:
// how many messages the rate limits refused since the previous such error.
type ErrorFrame struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Refused int    `json:"refused,omitempty"`
}

// Draft relays the floor holder's unsent text; it carries no seq and is never stored.
type Draft struct {
	Type string `json:"type"`
	Seat string `json:"seat"`
	Text string `json:"text"`
}

// Presence lists the roles connected to the room; it carries no seq.
type Presence struct {
	Type    string       `json:"type"`
	Present []floor.Role `json:"present"`
}

// DecodeCommand parses one client frame. It accepts exactly one JSON object of a known client
// command type, with known fields of the right types, only the fields that type uses, and an id
// of 1 to 64 characters (optional for drafts). Anything else is an *Error with code bad_request,
// returned with a Command that holds only the id, when the frame was a JSON object with a string
// id, so that the refusal names the command it answers. Field values are checked by Decide.
func DecodeCommand(data []byte) (floor.Command, error) {
	var cmd floor.Command
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	// A syntax error stops the decoder before it sets anything; an unknown field or a field of
	// the wrong type does not, so the id is read whenever it is a string.
	if err := dec.Decode(&cmd); err != nil {
		return floor.Command{ID: cmd.ID}, decodeError(err)
	}
	if !onlyWhitespace(data[dec.InputOffset():]) {
		return floor.Command{ID: cmd.ID}, floor.Refuse(floor.CodeBadRequest, "Send one JSON object per message.")
	}
	uses, known := fieldsOf(cmd.Type)
	switch {
	case !known && cmd.Type == "":
		return floor.Command{ID: cmd.ID}, floor.Refuse(floor.CodeBadRequest, "The message has no type.")
	case !known:
		return floor.Command{ID: cmd.ID}, floor.Refuse(floor.CodeBadRequest, "Unknown message type.")
	case cmd.ID == "" && !floor.Ephemeral(cmd.Type):
		return floor.Command{}, floor.Refuse(floor.CodeBadRequest, "The message has no id.")
	case utf8.RuneCountInString(cmd.ID) > MaxCommandIDLength:
		return floor.Command{ID: cmd.ID}, floor.Refuse(floor.CodeBadRequest, "The message id is longer than 64 characters.")
	}
	if name := unusedField(cmd, uses); name != "" {
		return floor.Command{ID: cmd.ID}, floor.Refuse(floor.CodeBadRequest, "The field "+name+" does not belong in a "+cmd.Type+" message.")
	}
	return cmd, nil
}

func decodeError(err error) *floor.Error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return floor.Refuse(floor.CodeBadRequest, "The field "+typeErr.Field+" has the wrong type.")
	case errors.As(err, &typeErr):
		return floor.Refuse(floor.CodeBadRequest, "A message must be a JSON object.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return floor.Refuse(floor.CodeBadRequest, "Unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field ")+".")
	default:
		return floor.Refuse(floor.CodeBadRequest, "The message is not valid JSON.")
	}
}

func onlyWhitespace(rest []byte) bool {
	for _, b := range rest {
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return false
		}
	}
	return true
}

// commandFields marks the optional fields of a Command.
type commandFields uint8

const (
	fieldText commandFields = 1 << iota
	fieldSeat
	fieldSeconds
	fieldOK
	fieldMode
	fieldReason
	fieldSettings
)

// fieldsOf says which optional fields a client command type uses; ticks are not client commands.
func fieldsOf(commandType string) (commandFields, bool) {
	switch commandType {
	case floor.CommandSay, floor.CommandDraft, floor.CommandParaphrase, floor.CommandModerator:
		return fieldText, true
	case floor.CommandGrant:
		return fieldSeat, true
	case floor.CommandExtend:
		return fieldSeconds, true
	case floor.CommandConfirm:
		return fieldOK, true
	case floor.CommandMode:
		return fieldMode, true
	case floor.CommandPause:
		return fieldReason, true
	case floor.CommandSettings:
		return fieldSettings, true
	case floor.CommandRequestFloor, floor.CommandYield, floor.CommandMore, floor.CommandRevoke, floor.CommandSkip,
		floor.CommandReady, floor.CommandResume, floor.CommandEnd:
		return 0, true
	}
	return 0, false
}

// unusedField names a field set in cmd that its type does not use, or returns "".
func unusedField(cmd floor.Command, uses commandFields) string {
	switch {
	case cmd.Text != "" && uses&fieldText == 0:
		return "text"
	case cmd.Seat != "" && uses&fieldSeat == 0:
		return "seat"
	case cmd.Seconds != 0 && uses&fieldSeconds == 0:
		return "seconds"
	case cmd.OK != nil && uses&fieldOK == 0:
		return "ok"
	case cmd.Mode != "" && uses&fieldMode == 0:
		return "mode"
	case cmd.Reason != "" && uses&fieldReason == 0:
		return "reason"
	case cmd.TurnSeconds != 0 && uses&fieldSettings == 0:
		return "turn_seconds"
	case cmd.MinBreakSeconds != 0 && uses&fieldSettings == 0:
		return "min_break_seconds"
	}
	return ""
}

// EncodeSnapshot returns the snapshot frame for a state.
func EncodeSnapshot(s floor.State) ([]byte, error) {
	return json.Marshal(Snapshot{Type: FrameSnapshot, Seq: s.Seq, State: s})
}

// EncodeAck returns the frame acknowledging command id at seq.
func EncodeAck(id string, seq int64) []byte {
	b := make([]byte, 0, 40+len(id))
	b = append(b, `{"type":"ack","id":`...)
	b = appendString(b, id)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	return append(b, '}')
}

// EncodeError returns the frame refusing command id. An *Error is shown as it is, an unreachable
// database as unavailable; any other error becomes a generic internal error, so no server
// detail reaches the client.
func EncodeError(id string, err error) []byte {
	refusal, ok := errors.AsType[*floor.Error](err)
	switch {
	case ok:
	case errors.Is(err, ErrUnavailable):
		refusal = floor.Refuse(CodeUnavailable, "The service is briefly unavailable; send this again in a moment.")
	default:
		refusal = floor.Refuse(CodeInternal, "The server could not handle this message; please try again.")
	}
	return append(appendErrorFields(make([]byte, 0, 64+len(id)+len(refusal.Message)), id, refusal), '}')
}

// EncodeRateLimited returns the rate_limited error telling that the connection's rate limits
// refused this many messages since the previous one, the last with an id being id.
func EncodeRateLimited(id string, refused int) []byte {
	message := "Too many messages: " + strconv.Itoa(refused) + " refused and not stored. Slow down, then send the commands you have no answer for again, with the same ids."
	b := appendErrorFields(make([]byte, 0, 80+len(id)+len(message)), id, floor.Refuse(CodeRateLimited, message))
	b = append(b, `,"refused":`...)
	b = strconv.AppendInt(b, int64(refused), 10)
	return append(b, '}')
}

// appendErrorFields appends an error frame up to its message, leaving the object open.
func appendErrorFields(b []byte, id string, refusal *floor.Error) []byte {
	b = append(b, `{"type":"error","id":`...)
	b = appendString(b, id)
	b = append(b, `,"code":`...)
	b = appendString(b, refusal.Code)
	b = append(b, `,"message":`...)
	return appendString(b, refusal.Message)
}

// EncodeDraft returns the frame relaying a holder's draft.
func EncodeDraft(seat, text string) []byte {
	b := make([]byte, 0, 40+len(text))
	b = append(b, `{"type":"draft","seat":`...)
	b = appendString(b, seat)
	b = append(b, `,"text":`...)
	b = appendString(b, text)
	return append(b, '}')
}

// EncodePresence returns the frame listing who is connected.
func EncodePresence(present []floor.Role) []byte {
	b := make([]byte, 0, 40+12*len(present))
	b = append(b, `{"type":"presence","present":[`...)
	for i, role := range present {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, string(role))
	}
	return append(b, ']', '}')
}

// AppendEvent appends the event's JSON to dst. It produces what encoding/json would (without
// HTML escaping) and allocates nothing when dst has room, since every event goes to every client.
func AppendEvent(dst []byte, e floor.Event) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendInt(dst, e.Seq, 10)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, e.Type)
	dst = append(dst, `,"actor":{"user_id":`...)
	dst = strconv.AppendInt(dst, e.Actor.UserID, 10)
	dst = append(dst, `,"role":`...)
	dst = appendString(dst, string(e.Actor.Role))
	dst = append(dst, `},"at":`...)
	dst = appendTime(dst, e.At)
	if e.Seat != "" {
		dst = append(dst, `,"seat":`...)
		dst = appendString(dst, e.Seat)
	}
	if e.Text != "" {
		dst = append(dst, `,"text":`...)
		dst = appendString(dst, e.Text)
	}
	if e.Seconds != 0 {
		dst = append(dst, `,"seconds":`...)
		dst = strconv.AppendInt(dst, int64(e.Seconds), 10)
	}
	if e.Mode != "" {
		dst = append(dst, `,"mode":`...)
		dst = appendString(dst, e.Mode)
	}
	if e.Reason != "" {
		dst = append(dst, `,"reason":`...)
		dst = appendString(dst, e.Reason)
	}
	if !e.Deadline.IsZero() {
		dst = append(dst, `,"deadline":`...)
		dst = appendTime(dst, e.Deadline)
	}
	if !e.BreakUntil.IsZero() {
		dst = append(dst, `,"break_until":`...)
		dst = appendTime(dst, e.BreakUntil)
	}
	if e.TurnSeconds != 0 {
		dst = append(dst, `,"turn_seconds":`...)
		dst = strconv.AppendInt(dst, int64(e.TurnSeconds), 10)
	}
	if e.MinBreakSeconds != 0 {
		dst = append(dst, `,"min_break_seconds":`...)
		dst = strconv.AppendInt(dst, int64(e.MinBreakSeconds), 10)
	}
	return append(dst, '}')
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json writes it without HTML
// escaping: invalid UTF-8 becomes U+FFFD, and U+2028 and U+2029 are escaped for JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	plainFrom := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			var escaped string
			switch {
			case r == utf8.RuneError && size == 1:
				escaped = `\ufffd`
			case r == '\u2028':
				escaped = `\u2028`
			case r == '\u2029':
				escaped = `\u2029`
			}
			if escaped != "" {
				dst = append(dst, s[plainFrom:i]...)
				dst = append(dst, escaped...)
				plainFrom = i + size
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[plainFrom:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		plainFrom = i
	}
	dst = append(dst, s[plainFrom:]...)
	return append(dst, '"')
}
