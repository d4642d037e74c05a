package realtime

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"

	"github.com/lib/pq"
)

// ErrSessionNotFound means no live session has the id.
var ErrSessionNotFound = errors.New("live session not found")

// ErrUnavailable means the database could not be reached. A command that failed so may be sent
// again with the same id: if it was stored after all, the resend gets its ack and nothing more.
var ErrUnavailable = errors.New("the database is unavailable")

// unavailable marks the errors that mean the database cannot be reached right now (it is down,
// restarting, or did not answer in time), so that clients are told to try again instead of
// being told the server failed.
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case pqErr.Code.Class() == "08", pqErr.Code == "57P01", pqErr.Code == "57P02", pqErr.Code == "57P03", pqErr.Code == "53300":
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
