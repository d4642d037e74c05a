package pgerr

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
)

func TestMapGivesEachDatabaseFailureItsCode(t *testing.T) {
	closedPool, err := sql.Open("postgres", "host=127.0.0.1 port=1")
	if err != nil {
		t.Fatal(err)
	}
	closedPool.Close()
	poolClosed := closedPool.PingContext(context.Background())
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name      string
		err       error
		wantCode  string
		wantField string
	}{
		{"no row", fmt.Errorf("reading: %w", sql.ErrNoRows), fault.NotFound, ""},
		{"a duplicate", &pq.Error{Code: "23505", Constraint: "users_email_key"}, fault.Conflict, ""},
		{"a reference to nothing", &pq.Error{Code: "23503", Column: "couple_id"}, fault.Invalid, "couple_id"},
		{"a check violation", &pq.Error{Code: "23514", Column: "status"}, fault.Invalid, "status"},
		{"a locked record", &pq.Error{Code: "55000"}, fault.Conflict, ""},
		{"a serialization failure", &pq.Error{Code: "40001"}, fault.Unavailable, ""},
		{"a database shutting down", &pq.Error{Code: "57P01"}, fault.Unavailable, ""},
		{"a broken connection", &pq.Error{Code: "08006"}, fault.Unavailable, ""},
		{"too many connections", &pq.Error{Code: "53300"}, fault.Unavailable, ""},
		{"a refused connection", refused, fault.Unavailable, ""},
		{"a bad connection", driver.ErrBadConn, fault.Unavailable, ""},
		{"no answer in time", context.DeadlineExceeded, fault.Unavailable, ""},
		{"a closed pool", poolClosed, fault.Unavailable, ""},
		{"a syntax error is ours", &pq.Error{Code: "42601"}, fault.Internal, ""},
		{"a refusal stays itself", fault.New(fault.CoupleClosed, "Closed."), fault.CoupleClosed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Map(tt.err)
			if fault.ErrorCode(got) != tt.wantCode {
				t.Fatalf("Map(%v) = %v, want code %s", tt.err, got, tt.wantCode)
			}
			e, ok := errors.AsType[*fault.Error](got)
			if !ok {
				if got != tt.err {
					t.Fatalf("Map(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			if e.Field != tt.wantField || e.Message == "" {
				t.Fatalf("Map(%v) = %+v, want field %q and a message", tt.err, e, tt.wantField)
			}
			if !errors.Is(got, tt.err) {
				t.Fatalf("Map(%v) lost its cause", tt.err)
			}
		})
	}
	if Map(nil) != nil {
		t.Fatal("Map(nil) is not nil")
	}
}
