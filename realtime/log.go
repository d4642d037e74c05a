package realtime

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
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

// Session statuses.
const (
	StatusScheduled = "scheduled" // created, nothing has happened yet
	StatusLive      = "live"      // events have happened, not ended
	StatusEnded     = "ended"
)

// Session is a live session as stored: its snapshot and its summary counters.
type Session struct {
	ID         int64      `json:"id" db:"id"`
	PracticeID int64      `json:"practice_id" db:"practice_id"`
	CoupleID   int64      `json:"couple_id" db:"couple_id"`
	CreatedBy  *int64     `json:"created_by,omitempty" db:"created_by"`
	Status     string     `json:"status" db:"status"`
	Seq        int64      `json:"seq" db:"seq"`
	State      State      `json:"state" db:"-"`
	Blocked    Tally      `json:"-" db:"-"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty" db:"ended_at"`
}

// Summary is what the care team reads after (or during) a session: per partner, how long they
// held the floor, how many things they said, and how many out-of-turn says were blocked.
type Summary struct {
	TalkSeconds Tally `json:"talk_seconds"`
	Utterances  Tally `json:"utterances"`
	Blocked     Tally `json:"blocked_interruptions"`
}

// Summarize computes the session's summary as of now.
func (s Session) Summarize(now time.Time) Summary {
	return Summary{
		TalkSeconds: Tally{
			A: int64(TalkTime(s.State, SeatA, now) / time.Second),
			B: int64(TalkTime(s.State, SeatB, now) / time.Second),
		},
		Utterances: s.State.Utterances,
		Blocked:    s.Blocked,
	}
}

// StoredEvent is one event of the log: its seq, type and wire frame.
type StoredEvent struct {
	Seq   int64
	Type  string
	Frame []byte
}

// Event decodes the frame.
func (e StoredEvent) Event() (Event, error) {
	var ev Event
	err := json.Unmarshal(e.Frame, &ev)
	return ev, err
}

// Result is what executing a command did.
type Result struct {
	// Seq is what the command's ack carries: its last event, or the session's seq when it
	// caused none.
	Seq int64
	// Events are the new events with their frames; empty for a resend or a no-op.
	Events []StoredEvent
	// Decoded holds the same events as values.
	Decoded []Event
	// Resent is true when the command id had been executed already.
	Resent bool
}

// Log is the event log of live sessions in PostgreSQL.
type Log struct {
	db *sqlx.DB
}

// NewLog returns the log over an open database.
func NewLog(db *sqlx.DB) *Log { return &Log{db: db} }

// NewSession is what the care team sets when creating a live session.
type NewSession struct {
	PracticeID      int64
	CoupleID        int64
	CreatedBy       int64
	Mode            string
	TurnSeconds     int
	MinBreakSeconds int
}

// Create stores a new session in the scheduled status.
func (l *Log) Create(ctx context.Context, in NewSession) (_ Session, err error) {
	defer func() { err = unavailable(err) }()
	state := NewState(in.Mode, in.TurnSeconds, in.MinBreakSeconds)
	raw, err := json.Marshal(state)
	if err != nil {
		return Session{}, err
	}
	var row sessionRow
	err = l.db.GetContext(ctx, &row, `
		INSERT INTO live_sessions (practice_id, couple_id, created_by, mode, state)
		SELECT c.practice_id, c.id, $3, $4, $5 FROM couples c WHERE c.id = $2 AND c.practice_id = $1
		RETURNING `+sessionColumns, in.PracticeID, in.CoupleID, in.CreatedBy, state.Mode, raw)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrSessionNotFound
	}
	if err != nil {
		return Session{}, err
	}
	return row.session()
}

const sessionColumns = `id, practice_id, couple_id, created_by, status, seq, state, blocked_a, blocked_b, created_at, ended_at`

type sessionRow struct {
	Session
	RawState []byte `db:"state"`
	BlockedA int64  `db:"blocked_a"`
	BlockedB int64  `db:"blocked_b"`
}

func (r sessionRow) session() (Session, error) {
	s := r.Session
	if err := json.Unmarshal(r.RawState, &s.State); err != nil {
		return Session{}, fmt.Errorf("live session %d snapshot: %w", s.ID, err)
	}
	s.Blocked = Tally{A: r.BlockedA, B: r.BlockedB}
	return s, nil
}

// Session reads one session of a practice.
func (l *Log) Session(ctx context.Context, practiceID, sessionID int64) (_ Session, err error) {
	defer func() { err = unavailable(err) }()
	var row sessionRow
	err = l.db.GetContext(ctx, &row, `SELECT `+sessionColumns+` FROM live_sessions WHERE id = $1 AND practice_id = $2`,
		sessionID, practiceID)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrSessionNotFound
	}
	if err != nil {
		return Session{}, err
	}
	return row.session()
}

// snapshot reads a session's state, whatever its practice; the hub has checked access already.
func (l *Log) snapshot(ctx context.Context, sessionID int64) (State, error) {
	var raw []byte
	err := l.db.GetContext(ctx, &raw, `SELECT state FROM live_sessions WHERE id = $1`, sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return State{}, ErrSessionNotFound
	}
	if err != nil {
		return State{}, err
	}
	var s State
	return s, json.Unmarshal(raw, &s)
}

// Sessions lists a couple's sessions, newest first.
func (l *Log) Sessions(ctx context.Context, practiceID, coupleID int64) (_ []Session, err error) {
	defer func() { err = unavailable(err) }()
	var rows []sessionRow
	err = l.db.SelectContext(ctx, &rows, `SELECT `+sessionColumns+` FROM live_sessions
		WHERE couple_id = $1 AND practice_id = $2 ORDER BY id DESC`, coupleID, practiceID)
	if err != nil {
		return nil, err
	}
	out := make([]Session, 0, len(rows))
	for _, r := range rows {
		s, err := r.session()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Seat returns the seat of a partner of the session's couple, or "" when the user is not one.
func (l *Log) Seat(ctx context.Context, sessionID, userID int64) (_ string, err error) {
	defer func() { err = unavailable(err) }()
	var seat string
	err = l.db.GetContext(ctx, &seat, `
		SELECT cp.seat FROM live_sessions l JOIN couple_partners cp ON cp.couple_id = l.couple_id
		WHERE l.id = $1 AND cp.user_id = $2`, sessionID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return seat, err
}

// EventsAfter returns up to limit events with seq above afterSeq, in order.
func (l *Log) EventsAfter(ctx context.Context, sessionID, afterSeq int64, limit int) ([]StoredEvent, error) {
	return l.events(ctx, sessionID, afterSeq, limit, nil)
}

// TranscriptKinds are the event types a transcript shows: what was said and how the floor moved.
var TranscriptKinds = []string{
	EventUtterance, EventModerator, EventParaphrase, EventParaphraseConfirmed, EventParaphraseRejected,
	EventMore, EventFloorGranted, EventFloorYielded, EventFloorRevoked, EventFloorSkipped, EventFloorExpired,
	EventPaused, EventResumed, EventModeChanged, EventEnded,
}

// Transcript returns up to limit transcript events of a practice's session after afterSeq.
func (l *Log) Transcript(ctx context.Context, practiceID, sessionID, afterSeq int64, limit int) ([]StoredEvent, error) {
	if _, err := l.Session(ctx, practiceID, sessionID); err != nil {
		return nil, err
	}
	return l.events(ctx, sessionID, afterSeq, limit, TranscriptKinds)
}

func (l *Log) events(ctx context.Context, sessionID, afterSeq int64, limit int, kinds []string) (_ []StoredEvent, err error) {
	defer func() { err = unavailable(err) }()
	query := `SELECT seq, kind, payload FROM session_events WHERE session_id = $1 AND seq > $2
		AND ($4::text[] IS NULL OR kind = ANY($4)) ORDER BY seq LIMIT $3`
	var kindList any
	if kinds != nil {
		kindList = "{" + strings.Join(kinds, ",") + "}"
	}
	rows, err := l.db.QueryContext(ctx, query, sessionID, afterSeq, limit, kindList)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredEvent
	for rows.Next() {
		var e StoredEvent
		if err := rows.Scan(&e.Seq, &e.Type, &e.Frame); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Execute runs one command in one transaction: it locks the session, returns the earlier ack
// when the actor already sent this command id, decides, appends the events, updates the
// snapshot and commits. A say refused as not_your_turn counts as a blocked interruption of
// the sender's seat; its text is kept nowhere. Refusals are returned as *Error.
func (l *Log) Execute(ctx context.Context, sessionID int64, cmd Command, actor Actor, now time.Time) (_ Result, err error) {
	defer func() { err = unavailable(err) }()
	tx, err := l.db.BeginTxx(ctx, nil)
	if err != nil {
		return Result{}, err
	}
	defer tx.Rollback()

	var (
		raw       []byte
		earlier   sql.NullInt64
		clientID  sql.NullString
		actorUser sql.NullInt64
	)
	if cmd.ID != "" {
		clientID = sql.NullString{String: cmd.ID, Valid: true}
	}
	if actor.UserID != 0 {
		actorUser = sql.NullInt64{Int64: actor.UserID, Valid: true}
	}
	err = tx.QueryRowContext(ctx, `
		SELECT l.state, (SELECT e.seq FROM session_events e
		                 WHERE e.session_id = l.id AND e.actor_id = $2 AND e.client_msg_id = $3)
		FROM live_sessions l WHERE l.id = $1 FOR UPDATE`, sessionID, actorUser, clientID).Scan(&raw, &earlier)
	if errors.Is(err, sql.ErrNoRows) {
		return Result{}, ErrSessionNotFound
	}
	if err != nil {
		return Result{}, err
	}
	if earlier.Valid {
		return Result{Seq: earlier.Int64, Resent: true}, nil
	}
	var state State
	if err := json.Unmarshal(raw, &state); err != nil {
		return Result{}, fmt.Errorf("live session %d snapshot: %w", sessionID, err)
	}

	events, decideErr := Decide(state, cmd, actor, now)
	if decideErr != nil {
		var refusal *Error
		if cmd.Type == CommandSay && errors.As(decideErr, &refusal) && refusal.Code == CodeNotYourTurn {
			if err := countBlocked(ctx, tx, sessionID, actor.Role); err != nil {
				return Result{}, err
			}
			if err := tx.Commit(); err != nil {
				return Result{}, err
			}
		}
		return Result{}, decideErr
	}
	if len(events) == 0 {
		return Result{Seq: state.Seq}, nil
	}

	stored := make([]StoredEvent, len(events))
	frames := make([]byte, 0, 256*len(events))
	for i, e := range events {
		start := len(frames)
		frames = AppendEvent(frames, e)
		stored[i] = StoredEvent{Seq: e.Seq, Type: e.Type}
		stored[i].Frame = frames[start:len(frames):len(frames)]
		state = Apply(state, e)
	}
	snapshot, err := json.Marshal(state)
	if err != nil {
		return Result{}, err
	}
	status, endedAt := StatusLive, sql.NullTime{}
	if state.Ended {
		status, endedAt = StatusEnded, sql.NullTime{Time: now, Valid: true}
	}

	// One statement appends the events and moves the snapshot.
	args := make([]any, 0, 6+4*len(events))
	args = append(args, sessionID, snapshot, state.Seq, status, endedAt, actorUser, string(actor.Role))
	var q strings.Builder
	q.WriteString(`WITH appended AS (INSERT INTO session_events (session_id, seq, kind, actor_id, actor_role, payload, client_msg_id) VALUES `)
	for i, e := range stored {
		if i > 0 {
			q.WriteByte(',')
		}
		var msgID sql.NullString
		if i == len(stored)-1 {
			msgID = clientID
		}
		n := len(args)
		args = append(args, e.Seq, e.Type, e.Frame, msgID)
		fmt.Fprintf(&q, "($1, $%d, $%d, $6, $7, $%d, $%d)", n+1, n+2, n+3, n+4)
	}
	q.WriteString(`) UPDATE live_sessions SET state = $2, seq = $3, status = $4, ended_at = coalesce(ended_at, $5) WHERE id = $1`)
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return Result{}, err
	}
	if err := tx.Commit(); err != nil {
		return Result{}, err
	}
	return Result{Seq: state.Seq, Events: stored, Decoded: events}, nil
}

func countBlocked(ctx context.Context, tx *sqlx.Tx, sessionID int64, role Role) error {
	column := "blocked_a"
	if role == RoleB {
		column = "blocked_b"
	}
	_, err := tx.ExecContext(ctx, `UPDATE live_sessions SET `+column+` = `+column+` + 1 WHERE id = $1`, sessionID)
	return err
}

// presence records that this instance gained (delta 1) or lost (delta -1) a connection of role
// to the session.
func (l *Log) presence(ctx context.Context, sessionID int64, instance string, role Role, delta int) error {
	if delta > 0 {
		_, err := l.db.ExecContext(ctx, `
			INSERT INTO live_presence (session_id, instance_id, role, connections) VALUES ($1, $2, $3, 1)
			ON CONFLICT (session_id, instance_id, role)
			DO UPDATE SET connections = live_presence.connections + 1, seen_at = now()`, sessionID, instance, string(role))
		return err
	}
	_, err := l.db.ExecContext(ctx, `
		WITH dropped AS (
			UPDATE live_presence SET connections = connections - 1, seen_at = now()
			WHERE session_id = $1 AND instance_id = $2 AND role = $3 AND connections > 1 RETURNING 1)
		DELETE FROM live_presence WHERE session_id = $1 AND instance_id = $2 AND role = $3
			AND NOT EXISTS (SELECT 1 FROM dropped)`, sessionID, instance, string(role))
	return err
}

// present lists the roles connected to the session on any instance that was alive lately.
func (l *Log) present(ctx context.Context, sessionID int64, freshness time.Duration) ([]Role, error) {
	var roles []string
	err := l.db.SelectContext(ctx, &roles, `
		SELECT DISTINCT role FROM live_presence
		WHERE session_id = $1 AND seen_at > now() - make_interval(secs => $2) ORDER BY role`,
		sessionID, freshness.Seconds())
	out := make([]Role, len(roles))
	for i, r := range roles {
		out[i] = Role(r)
	}
	return out, err
}

// keepPresence refreshes this instance's presence rows.
func (l *Log) keepPresence(ctx context.Context, instance string) error {
	_, err := l.db.ExecContext(ctx, `UPDATE live_presence SET seen_at = now() WHERE instance_id = $1`, instance)
	return err
}

// dropPresence removes this instance's presence rows, at shutdown.
func (l *Log) dropPresence(ctx context.Context, instance string) error {
	_, err := l.db.ExecContext(ctx, `DELETE FROM live_presence WHERE instance_id = $1`, instance)
	return err
}
