package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"

	"github.com/lib/pq"

	"github.com/amendcare/amend/server/library"
)

// The store's error vocabulary; the server maps each to one HTTP status in one place.
var (
	// ErrNotFound means the object does not exist, or exists where the caller may not know of it.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change collides with existing data (a duplicate, a stale state).
	ErrConflict = errors.New("conflict")
	// ErrForbidden means the caller may see the object but not make this change.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable means the database cannot be reached right now.
	ErrUnavailable = errors.New("database unavailable")
	// ErrCoupleClosed means the change would write to a closed couple's record.
	ErrCoupleClosed = errors.New("couple closed")
)

// InvalidError names the input field that failed and why. Message, when set, is the whole
// refusal as a sentence for a person; without it the field and the reason make one.
type InvalidError struct {
	Field   string
	Reason  string
	Message string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Reason }

// Invalid builds an *InvalidError.
func Invalid(field, reason string) error { return &InvalidError{Field: field, Reason: reason} }

// InvalidFrom carries the library's verdict on one field into the store's vocabulary, the field
// named by its path in the request.
func InvalidFrom(path string, fe *library.FieldError) error {
	return &InvalidError{Field: path, Reason: fe.Reason, Message: fe.Message}
}

// ConflictError carries a message for a conflict the caller can act on and, when one input field
// caused it, that field.
type ConflictError struct{ Field, Reason string }

func (e *ConflictError) Error() string { return e.Reason }

// Is lets errors.Is(err, ErrConflict) match a *ConflictError.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Conflict builds a *ConflictError.
func Conflict(reason string) error { return &ConflictError{Reason: reason} }

// FieldConflict builds a *ConflictError caused by one input field, for the screen to show beside it.
func FieldConflict(field, reason string) error { return &ConflictError{Field: field, Reason: reason} }

// mapError turns driver errors into the store's vocabulary, once, so callers never see pq types.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrConflict, pqErr.Constraint)
		case "23503":
			return &InvalidError{Field: pqErr.Column, Reason: "refers to something that does not exist"}
		case "23514", "22001", "22P02", "22007", "22008", "22021", "22003":
			return &InvalidError{Field: pqErr.Column, Reason: "is not acceptable"}
		case "55000": // object_not_in_prerequisite_state: a locked record (a signed form) refused a change
			return Conflict("it is locked and can no longer change")
		case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004":
			return fmt.Errorf("%w: %s", ErrUnavailable, pqErr.Code)
		}
		return err
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return err
}
