// Package pgerr maps PostgreSQL and connection errors into the fault vocabulary, once, for every
// package that speaks SQL (the store and the live log).
package pgerr

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"

	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
)

// unavailableMessage is what a caller is told when the database cannot be reached.
const unavailableMessage = "The service is briefly unavailable. Please send this again in a moment."

// Map turns err into the fault vocabulary: a missing row is not_found; a unique violation a
// conflict; a foreign-key, check or type violation an invalid field; a locked record a conflict;
// a database that is down, restarting, overloaded, closed or too slow to answer unavailable. The
// driver error stays the cause, for logs and for callers that retry on it. Any other error,
// and a *fault.Error, comes back as it is.
func Map(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*fault.Error](err); ok {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &fault.Error{Code: fault.NotFound, Message: "We could not find that.", Err: err}
	}
	if pqErr, ok := errors.AsType[*pq.Error](err); ok {
		return mapPQ(pqErr, err)
	}
	if Unreachable(err) {
		return &fault.Error{Code: fault.Unavailable, Message: unavailableMessage, Err: err}
	}
	return err
}

func mapPQ(pqErr *pq.Error, err error) error {
	var e *fault.Error
	switch pqErr.Code {
	case "23505":
		e = &fault.Error{Code: fault.Conflict, Message: "That clashes with something that already exists."}
	case "23503":
		e = fault.InvalidField(pqErr.Column, "refers to something that does not exist")
	case "23514", "22001", "22P02", "22007", "22008", "22021", "22003":
		e = fault.InvalidField(pqErr.Column, "is not acceptable")
	case "55000": // object_not_in_prerequisite_state: a locked record (a signed form) refused a change
		e = fault.ConflictField("", "it is locked and can no longer change")
	case "40001", "40P01", "57P01", "57P02", "57P03", "53300":
		// serialization failure, deadlock, shutdown, starting up, too many connections
		e = &fault.Error{Code: fault.Unavailable, Message: unavailableMessage}
	default:
		if pqErr.Code.Class() != "08" { // connection exception
			return err
		}
		e = &fault.Error{Code: fault.Unavailable, Message: unavailableMessage}
	}
	e.Err = err
	return e
}

// Unreachable reports whether err means the database could not be reached: the network failed,
// the connection broke, the pool was closed (the server is stopping) or the database did not
// answer in time.
func Unreachable(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), errPoolClosed)
}

// errPoolClosed is the text of database/sql's unexported error for a query on a closed pool.
const errPoolClosed = "sql: database is closed"
