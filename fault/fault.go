// Package fault is Amend's one error vocabulary: every layer refuses with an *Error carrying a
// code and a sentence for a person, and each transport maps the code once (HTTP in server,
// protocol frames in realtime). It imports only the standard library; fault/pgerr maps database
// errors into it.
package fault

import (
	"errors"
	"fmt"
	"strings"
)

// Codes. Each names one condition, the same on every transport; a transport may spell a code its
// own way (the live protocol says not_allowed for Forbidden and bad_request for Invalid).
const (
	BadRequest           = "bad_request"
	Unauthenticated      = "unauthenticated"
	InvalidCredentials   = "invalid_credentials"
	Forbidden            = "forbidden"
	BadOrigin            = "bad_origin"
	SecondFactorRequired = "second_factor_required" // the practice requires a second factor not set up yet
	NotFound             = "not_found"
	MethodNotAllowed     = "method_not_allowed"
	Conflict             = "conflict"
	CoupleClosed         = "couple_closed"
	Invalid              = "invalid"
	TooLarge             = "too_large"
	UpgradeRequired      = "upgrade_required"
	RateLimited          = "rate_limited"
	Unavailable          = "unavailable" // the database (or the server) is briefly out of reach
	Internal             = "internal"

	// Refusals of the floor rules.
	NotYourTurn = "not_your_turn"
	Paused      = "paused"
	Ended       = "ended"

	// Refusals of a live session's voice.
	MediaUnavailable = "media_unavailable"
	MediaFailed      = "media_failed"
	MediaRejoin      = "media_rejoin" // the instance carrying the media changed; join again
)

// Error is a refusal: a stable Code for programs and a Message for people. Field names the input
// at fault, when one is; Err is the cause, for logs only, never shown to the caller.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error
}

// Error returns the code, the message and the cause together, for logs.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Field != "" {
		s = e.Code + ": " + e.Field + ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with code and message.
func New(code, message string) *Error { return &Error{Code: code, Message: message} }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's *Error, Internal for any other error, "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the message of err's *Error, a generic sentence for any other error.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return InternalMessage
}

// InternalMessage is all a caller learns of an error nobody foresaw.
const InternalMessage = "Something went wrong on our side. Please try again."

// InvalidField refuses the input field: reason says what is wrong with it ("is required"), and
// the message makes a sentence of the two ("due_on" -> "Due on is required.").
func InvalidField(field, reason string) *Error {
	return &Error{Code: Invalid, Field: field, Message: fieldSentence(field, reason)}
}

// ConflictField refuses a change that clashes with existing data; reason says how, field names
// the input that caused it ("" when none did).
func ConflictField(field, reason string) *Error {
	return &Error{Code: Conflict, Field: field, Message: sentence(reason + ".")}
}

// Under places err's field under prefix in the request ("q1" under "answers" is "answers.q1"),
// for a verdict on one part of an input; an error naming prefix itself, or no field, or any other
// error comes back as it is.
func Under(prefix string, err error) error {
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Field == "" || e.Field == prefix {
		return err
	}
	moved := *e
	moved.Field = prefix + "." + e.Field
	return &moved
}

// fieldSentence makes a sentence of a field and what is wrong with it.
func fieldSentence(field, reason string) string {
	if field == "" {
		return "Please check this field: " + reason + "."
	}
	return sentence(fieldWords(field) + " " + reason + ".")
}

// fieldWords names a field the way a person reads it: the last part of its path, words apart
// ("sections.assessment" -> "assessment", "due_on" -> "due on"). The field itself still travels in
// the error's Field, for the screen to point at.
func fieldWords(field string) string {
	return strings.ReplaceAll(field[strings.LastIndex(field, ".")+1:], "_", " ")
}

// sentence starts text with a capital letter.
func sentence(text string) string {
	if text == "" {
		return text
	}
	return strings.ToUpper(text[:1]) + text[1:]
}

// The refusals most layers share, with their sentences.
var (
	// ErrNotFound: the object does not exist, or exists where the caller may not know of it.
	ErrNotFound = New(NotFound, "We could not find that.")
	// ErrForbidden: the caller may see the object but not make this change.
	ErrForbidden = New(Forbidden, "You are not allowed to do that.")
	// ErrCoupleClosed: the change would write to a closed couple's record.
	ErrCoupleClosed = New(CoupleClosed,
		"This couple's file is closed, so it takes no new work. Reopen it (set its status to active or paused) to make changes.")
)

// ConflictBecause refuses a change that clashes with the state of things; reason says how ("this
// request is declined already").
func ConflictBecause(reason string) *Error { return ConflictField("", reason) }
