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

// Execute runs one command in a transaction of its own; see ExecuteBatch.
func (l *Log) Execute(ctx context.Context, sessionID int64, cmd Command, actor Actor, now time.Time) (Result, error) {
	out, err := l.ExecuteBatch(ctx, []Pending{{SessionID: sessionID, Command: cmd, Actor: actor}}, now)
	if err != nil {
		return Result{}, err
	}
	return out[0].Result, out[0].Err
}

// Pending is a command waiting to be executed.
type Pending struct {
	SessionID int64
	Command   Command
	Actor     Actor
}

// Outcome is what one command of a batch came to: a result, or a refusal (*Error) or
// ErrSessionNotFound for that command alone.
type Outcome struct {
	Result Result
	Err    error
}

// dedupKey names a command by who sent which id to which session.
type dedupKey struct {
	session int64
	actor   int64
	id      string
}

// ExecuteBatch runs commands, in order, in ONE transaction: it locks their sessions (in id
// order, so concurrent batches cannot deadlock), answers a command whose id its sender used
// before with that command's seq, decides each command against its session's latest state,
// appends every event in one statement that also moves each snapshot, and commits. Nothing is
// acknowledged before the commit. Batching spreads a commit's cost over every command waiting
// for it, which is what keeps durable live traffic fast. A say refused as not_your_turn counts
// as a blocked interruption of the sender's seat; its text is kept nowhere. An error returned
// (rather than in an Outcome) failed the whole batch and nothing of it was stored.
func (l *Log) ExecuteBatch(ctx context.Context, batch []Pending, now time.Time) (_ []Outcome, err error) {
	defer func() { err = unavailable(err) }()
	tx, err := l.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	ids := make([]int64, 0, len(batch))
	var keyS, keyA []int64
	var keyM []string
	for _, p := range batch {
		ids = append(ids, p.SessionID)
		if p.Command.ID != "" && p.Actor.UserID != 0 {
			keyS, keyA, keyM = append(keyS, p.SessionID), append(keyA, p.Actor.UserID), append(keyM, p.Command.ID)
		}
	}
	type session struct {
		state              State
		changed            bool
		blockedA, blockedB int
	}
	sessions := make(map[int64]*session, len(batch))
	rows, err := tx.QueryContext(ctx, `SELECT id, state FROM live_sessions WHERE id = ANY($1) ORDER BY id FOR UPDATE`, pq.Array(ids))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			rows.Close()
			return nil, err
		}
		s := &session{}
		if err := json.Unmarshal(raw, &s.state); err != nil {
			rows.Close()
			return nil, fmt.Errorf("live session %d snapshot: %w", id, err)
		}
		sessions[id] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	earlier := map[dedupKey]int64{}
	if len(keyS) > 0 {
		rows, err := tx.QueryContext(ctx, `
			SELECT e.session_id, e.actor_id, e.client_msg_id, e.seq
			FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS k(session_id, actor_id, client_msg_id)
			JOIN session_events e USING (session_id, actor_id, client_msg_id)`,
			pq.Array(keyS), pq.Array(keyA), pq.Array(keyM))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k dedupKey
			var seq int64
			if err := rows.Scan(&k.session, &k.actor, &k.id, &seq); err != nil {
				rows.Close()
				return nil, err
			}
			earlier[k] = seq
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}

	out := make([]Outcome, len(batch))
	var ev struct {
		session, seq, actor         []int64
		kind, role, payload, msgIDs []string
	}
	for i, p := range batch {
		s, ok := sessions[p.SessionID]
		if !ok {
			out[i].Err = ErrSessionNotFound
			continue
		}
		key := dedupKey{p.SessionID, p.Actor.UserID, p.Command.ID}
		if seq, ok := earlier[key]; ok && p.Command.ID != "" && p.Actor.UserID != 0 {
			out[i].Result = Result{Seq: seq, Resent: true}
			continue
		}
		events, decideErr := Decide(s.state, p.Command, p.Actor, now)
		if decideErr != nil {
			var refusal *Error
			if p.Command.Type == CommandSay && errors.As(decideErr, &refusal) && refusal.Code == CodeNotYourTurn {
				if p.Actor.Role == RoleB {
					s.blockedB++
				} else {
					s.blockedA++
				}
			}
			out[i].Err = decideErr
			continue
		}
		if len(events) == 0 {
			out[i].Result = Result{Seq: s.state.Seq}
			continue
		}
		stored := make([]StoredEvent, len(events))
		frames := make([]byte, 0, 256*len(events))
		for j, e := range events {
			start := len(frames)
			frames = AppendEvent(frames, e)
			stored[j] = StoredEvent{Seq: e.Seq, Type: e.Type, Frame: frames[start:len(frames):len(frames)]}
			s.state = Apply(s.state, e)
			msgID := ""
			if j == len(events)-1 {
				// The id marks the command's last event, whose seq a resend is answered with.
				msgID = p.Command.ID
				if p.Actor.UserID != 0 {
					earlier[key] = e.Seq
				}
			}
			ev.session, ev.seq, ev.actor = append(ev.session, p.SessionID), append(ev.seq, e.Seq), append(ev.actor, p.Actor.UserID)
			ev.kind, ev.role = append(ev.kind, e.Type), append(ev.role, string(p.Actor.Role))
			ev.payload, ev.msgIDs = append(ev.payload, string(stored[j].Frame)), append(ev.msgIDs, msgID)
		}
		s.changed = true
		out[i].Result = Result{Seq: s.state.Seq, Events: stored, Decoded: events}
	}

	var up struct {
		id, seq        []int64
		state, status  []string
		ended, changed []bool
		blockedA       []int64
		blockedB       []int64
	}
	for id, s := range sessions {
		if !s.changed && s.blockedA == 0 && s.blockedB == 0 {
			continue
		}
		snapshot, err := json.Marshal(s.state)
		if err != nil {
			return nil, err
		}
		status := StatusLive
		if s.state.Ended {
			status = StatusEnded
		}
		up.id, up.seq, up.state, up.status = append(up.id, id), append(up.seq, s.state.Seq), append(up.state, string(snapshot)), append(up.status, status)
		up.ended, up.changed = append(up.ended, s.state.Ended), append(up.changed, s.changed)
		up.blockedA, up.blockedB = append(up.blockedA, int64(s.blockedA)), append(up.blockedB, int64(s.blockedB))
	}
	if len(up.id) > 0 {
		// One statement appends every event and moves every snapshot.
		if _, err := tx.ExecContext(ctx, `
			WITH appended AS (
				INSERT INTO session_events (session_id, seq, kind, actor_id, actor_role, payload, client_msg_id)
				SELECT e.session_id, e.seq, e.kind, NULLIF(e.actor_id, 0), e.actor_role, e.payload::json, NULLIF(e.client_msg_id, '')
				FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[])
				     AS e(session_id, seq, kind, actor_id, actor_role, payload, client_msg_id))
			UPDATE live_sessions l SET
				state = CASE WHEN v.changed THEN v.state::jsonb ELSE l.state END,
				seq = CASE WHEN v.changed THEN v.seq ELSE l.seq END,
				status = CASE WHEN v.changed THEN v.status ELSE l.status END,
				ended_at = CASE WHEN v.ended THEN coalesce(l.ended_at, $8) ELSE l.ended_at END,
				blocked_a = l.blocked_a + v.blocked_a,
				blocked_b = l.blocked_b + v.blocked_b
			FROM unnest($9::bigint[], $10::text[], $11::bigint[], $12::text[], $13::bool[], $14::bool[], $15::int[], $16::int[])
			     AS v(id, state, seq, status, ended, changed, blocked_a, blocked_b)
			WHERE l.id = v.id`,
			pq.Array(ev.session), pq.Array(ev.seq), pq.Array(ev.kind), pq.Array(ev.actor), pq.Array(ev.role),
			pq.Array(ev.payload), pq.Array(ev.msgIDs), now,
			pq.Array(up.id), pq.Array(up.state), pq.Array(up.seq), pq.Array(up.status), pq.Array(up.ended),
			pq.Array(up.changed), pq.Array(up.blockedA), pq.Array(up.blockedB)); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
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

// heads reads how far each session's log has come.
func (l *Log) heads(ctx context.Context, ids []int64) (map[int64]int64, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT id, seq FROM live_sessions WHERE id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	heads := make(map[int64]int64, len(ids))
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, err
		}
		heads[id] = seq
	}
	return heads, rows.Err()
}

// presentIn lists, per session, the roles connected on any instance that was alive lately.
func (l *Log) presentIn(ctx context.Context, ids []int64, freshness time.Duration) (map[int64][]Role, error) {
	rows, err := l.db.QueryContext(ctx, `
		SELECT DISTINCT session_id, role FROM live_presence
		WHERE session_id = ANY($1) AND seen_at > now() - make_interval(secs => $2) ORDER BY session_id, role`,
		pq.Array(ids), freshness.Seconds())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	present := make(map[int64][]Role, len(ids))
	for rows.Next() {
		var id int64
		var role string
		if err := rows.Scan(&id, &role); err != nil {
			return nil, err
		}
		present[id] = append(present[id], Role(role))
	}
	return present, rows.Err()
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
