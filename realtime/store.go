package realtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/fault/pgerr"
	"github.com/amendcare/amend/realtime/floor"
)

// The live sessions' SQL: the session read model (sessions, seats, events and transcripts), the
// statements of the commit pipeline (commit.go) and the presence rows.

// Session statuses.
const (
	StatusScheduled = "scheduled" // created, nothing has happened yet
	StatusLive      = "live"      // events have happened, not ended
	StatusEnded     = "ended"
)

// Session is a live session as stored: its snapshot and its summary counters.
type Session struct {
	ID         int64       `json:"id" db:"id"`
	PracticeID int64       `json:"practice_id" db:"practice_id"`
	CoupleID   int64       `json:"couple_id" db:"couple_id"`
	CreatedBy  *int64      `json:"created_by,omitempty" db:"created_by"`
	Status     string      `json:"status" db:"status"`
	Seq        int64       `json:"seq" db:"seq"`
	State      floor.State `json:"state" db:"-"`
	Blocked    floor.Tally `json:"-" db:"-"`
	CreatedAt  time.Time   `json:"created_at" db:"created_at"`
	EndedAt    *time.Time  `json:"ended_at,omitempty" db:"ended_at"`
}

// Summary is what the care team reads after (or during) a session: per partner, how long they
// held the floor, how many things they said, how many out-of-turn says were blocked, and how
// many times they were heard speaking over the other partner.
type Summary struct {
	TalkSeconds         floor.Tally `json:"talk_seconds"`
	Utterances          floor.Tally `json:"utterances"`
	Blocked             floor.Tally `json:"blocked_interruptions"`
	SpokenInterruptions floor.Tally `json:"spoken_interruptions"`
}

// Summarize computes the session's summary as of now.
func (s Session) Summarize(now time.Time) Summary {
	return Summary{
		TalkSeconds: floor.Tally{
			A: int64(floor.TalkTime(s.State, floor.SeatA, now) / time.Second),
			B: int64(floor.TalkTime(s.State, floor.SeatB, now) / time.Second),
		},
		Utterances:          s.State.Utterances,
		Blocked:             s.Blocked,
		SpokenInterruptions: s.State.SpokenInterruptions,
	}
}

// StoredEvent is one event of the log: its seq, type and wire frame.
type StoredEvent struct {
	Seq   int64
	Type  string
	Frame []byte
}

// Event decodes the frame.
func (e StoredEvent) Event() (floor.Event, error) {
	var ev floor.Event
	err := json.Unmarshal(e.Frame, &ev)
	return ev, err
}

// Log is the event log of live sessions in PostgreSQL.
type Log struct {
	db *sqlx.DB

	mu    sync.Mutex
	stmts map[string]*sqlx.Stmt
	seats map[[2]int64]string // by session and user
}

// NewLog returns the log over an open database.
func NewLog(db *sqlx.DB) *Log {
	return &Log{db: db, stmts: map[string]*sqlx.Stmt{}, seats: map[[2]int64]string{}}
}

// prepared returns query as a prepared statement, preparing it on first use. The statements of
// the command path run thousands of times a second; prepared, PostgreSQL parses them once per
// connection and can keep their plans instead of parsing and planning every execution.
func (l *Log) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if stmt := l.stmts[query]; stmt != nil {
		return stmt, nil
	}
	stmt, err := l.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	l.stmts[query] = stmt
	return stmt, nil
}

// NewSession is what the care team sets when creating a live session.
type NewSession struct {
	PracticeID      int64
	CoupleID        int64
	CreatedBy       int64
	Mode            string
	TurnSeconds     int
	MinBreakSeconds int
	// ShowDrafts relays a holder's typing to the others as it is written (see State.ShowDrafts).
	ShowDrafts bool
}

// Create stores a new session in the scheduled status.
func (l *Log) Create(ctx context.Context, in NewSession) (Session, error) {
	return l.CreateIn(ctx, l.db, in)
}

// CreateIn starts a session like Create, through q: a caller's transaction that ties the new
// session to rows of its own commits or rolls back with them.
func (l *Log) CreateIn(ctx context.Context, q sqlx.QueryerContext, in NewSession) (_ Session, err error) {
	defer func() { err = pgerr.Map(err) }()
	state := floor.NewState(in.Mode, in.TurnSeconds, in.MinBreakSeconds)
	state.ShowDrafts = in.ShowDrafts
	raw, err := json.Marshal(state)
	if err != nil {
		return Session{}, err
	}
	var row sessionRow
	err = sqlx.GetContext(ctx, q, &row, `
		INSERT INTO live_sessions (practice_id, couple_id, created_by, mode, state)
		SELECT c.practice_id, c.id, $3, $4, $5 FROM couples c WHERE c.id = $2 AND c.practice_id = $1
		RETURNING `+sessionColumns, in.PracticeID, in.CoupleID, in.CreatedBy, state.Mode, string(raw))
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
	s.Blocked = floor.Tally{A: r.BlockedA, B: r.BlockedB}
	return s, nil
}

// Session reads one session of a practice.
func (l *Log) Session(ctx context.Context, practiceID, sessionID int64) (_ Session, err error) {
	defer func() { err = pgerr.Map(err) }()
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
func (l *Log) snapshot(ctx context.Context, sessionID int64) (floor.State, error) {
	var raw []byte
	err := l.db.GetContext(ctx, &raw, `SELECT state FROM live_sessions WHERE id = $1`, sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return floor.State{}, ErrSessionNotFound
	}
	if err != nil {
		return floor.State{}, err
	}
	var s floor.State
	return s, json.Unmarshal(raw, &s)
}

// Sessions lists a couple's sessions, newest first.
func (l *Log) Sessions(ctx context.Context, practiceID, coupleID int64) (_ []Session, err error) {
	defer func() { err = pgerr.Map(err) }()
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
// A partner's seat never changes, so a seat found is remembered (for a bounded number of
// session and partner pairs): a partner who reconnects is seated without a query.
func (l *Log) Seat(ctx context.Context, sessionID, userID int64) (_ string, err error) {
	defer func() { err = pgerr.Map(err) }()
	key := [2]int64{sessionID, userID}
	l.mu.Lock()
	seat, known := l.seats[key]
	l.mu.Unlock()
	if known {
		return seat, nil
	}
	stmt, err := l.prepared(ctx, seatOf)
	if err != nil {
		return "", err
	}
	err = stmt.GetContext(ctx, &seat, sessionID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	l.mu.Lock()
	if len(l.seats) >= maxSeats {
		clear(l.seats)
	}
	l.seats[key] = seat
	l.mu.Unlock()
	return seat, nil
}

// seatOf finds a partner's seat in a session's couple.
const seatOf = `SELECT cp.seat FROM live_sessions l JOIN couple_partners cp ON cp.couple_id = l.couple_id
	WHERE l.id = $1 AND cp.user_id = $2`

// maxSeats bounds the seats a Log remembers.
const maxSeats = 1 << 16

// EventsAfter returns up to limit events with seq above afterSeq, in order.
func (l *Log) EventsAfter(ctx context.Context, sessionID, afterSeq int64, limit int) ([]StoredEvent, error) {
	return l.events(ctx, sessionID, afterSeq, limit, nil)
}

// TranscriptKinds are the event types a transcript shows: what was said and how the floor moved.
var TranscriptKinds = []string{
	floor.EventUtterance, floor.EventModerator, floor.EventParaphrase, floor.EventParaphraseConfirmed, floor.EventParaphraseRejected,
	floor.EventMore, floor.EventFloorGranted, floor.EventFloorYielded, floor.EventFloorRevoked, floor.EventFloorSkipped, floor.EventFloorExpired,
	floor.EventPaused, floor.EventResumed, floor.EventModeChanged, floor.EventEnded,
}

// Transcript returns up to limit transcript events of a practice's session after afterSeq.
func (l *Log) Transcript(ctx context.Context, practiceID, sessionID, afterSeq int64, limit int) ([]StoredEvent, error) {
	if _, err := l.Session(ctx, practiceID, sessionID); err != nil {
		return nil, err
	}
	return l.events(ctx, sessionID, afterSeq, limit, TranscriptKinds)
}

func (l *Log) events(ctx context.Context, sessionID, afterSeq int64, limit int, kinds []string) (_ []StoredEvent, err error) {
	defer func() { err = pgerr.Map(err) }()
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

// storeBatch appends every event and moves every session row of a batch in one statement; $1 is
// the events and $2 the session rows, each a JSON array (see eventRow and sessionMove). With $4
// set, a session is written only if it is still at the seq the batch expected, locked in id
// order, and the statement returns the ids of the sessions it wrote; otherwise the caller holds
// the locks. PostgreSQL takes a JSON array for a hundred rows and would read the whole
// live_sessions table to join them, every commit, however few sessions a batch holds; the
// sessions' ids as an array let it look each one up by key instead.
const storeBatch = `
	WITH v AS (
		SELECT * FROM json_to_recordset($2::json)
			AS v(id bigint, state jsonb, seq bigint, status text, ended bool, changed bool,
				blocked_a int, blocked_b int, expect bigint)),
	locked AS (
		SELECT l.id FROM live_sessions l JOIN v ON v.id = l.id
		WHERE $4 AND l.seq = v.expect AND l.id = ANY (ARRAY(SELECT id FROM v))
		ORDER BY l.id FOR NO KEY UPDATE OF l),
	moved AS (
		UPDATE live_sessions l SET
			state = CASE WHEN v.changed THEN v.state ELSE l.state END,
			seq = CASE WHEN v.changed THEN v.seq ELSE l.seq END,
			status = CASE WHEN v.changed THEN v.status ELSE l.status END,
			ended_at = CASE WHEN v.ended THEN coalesce(l.ended_at, $3) ELSE l.ended_at END,
			blocked_a = l.blocked_a + v.blocked_a,
			blocked_b = l.blocked_b + v.blocked_b
		FROM v WHERE l.id = v.id AND l.id = ANY (ARRAY(SELECT id FROM v))
			AND (NOT $4 OR l.id IN (SELECT id FROM locked))
		RETURNING l.id),
	appended AS (
		INSERT INTO session_events (session_id, seq, kind, actor_id, actor_role, payload, client_msg_id, command_digest)
		SELECT e.session_id, e.seq, e.kind, NULLIF(e.actor_id, 0), e.actor_role, e.payload,
			NULLIF(e.client_msg_id, ''), CASE WHEN e.client_msg_id <> '' THEN e.command_digest END
		FROM json_to_recordset($1::json)
			AS e(session_id bigint, seq bigint, kind text, actor_id bigint, actor_role text, payload json,
				client_msg_id text, command_digest bigint)
		WHERE e.session_id IN (SELECT id FROM moved))
	SELECT id FROM moved`

// storeRows runs storeBatch, in tx when it is not nil, and returns the ids of the sessions it
// wrote.
func (l *Log) storeRows(ctx context.Context, tx *sqlx.Tx, rows *batchRows, now time.Time, check bool) ([]int64, error) {
	events, err := jsonArray(rows.Events)
	if err != nil {
		return nil, err
	}
	sessions, err := jsonArray(rows.Sessions)
	if err != nil {
		return nil, err
	}
	stmt, err := l.prepared(ctx, storeBatch)
	if err != nil {
		return nil, err
	}
	if tx != nil {
		stmt = tx.StmtxContext(ctx, stmt)
	}
	var moved []int64
	err = stmt.SelectContext(ctx, &moved, events, sessions, now, check)
	return moved, err
}

// jsonArray encodes rows as one JSON parameter. HTML is not escaped, so an event's payload is
// stored exactly as its frame was sent.
func jsonArray[T any](rows []T) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(rows)
	return b.String(), err
}

// lockSessions locks sessions in id order and reads their states. The lock is the one an update
// of non-key columns takes (FOR NO KEY UPDATE): it keeps other commands out but lets rows that
// refer to the session (presence, events) be written meanwhile; with FOR UPDATE, their
// foreign-key checks would wait for it and could close a cycle with it.
const lockSessions = `SELECT id, state FROM live_sessions WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`

// lockStates runs lockSessions in tx and returns the states of the sessions that exist.
func (l *Log) lockStates(ctx context.Context, tx *sqlx.Tx, ids []int64) (map[int64]floor.State, error) {
	lock, err := l.prepared(ctx, lockSessions)
	if err != nil {
		return nil, err
	}
	rows, err := tx.StmtxContext(ctx, lock).QueryContext(ctx, pq.Array(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	states := make(map[int64]floor.State, len(ids))
	for rows.Next() {
		var id int64
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		var state floor.State
		if err := json.Unmarshal(raw, &state); err != nil {
			return nil, fmt.Errorf("live session %d snapshot: %w", id, err)
		}
		states[id] = state
	}
	return states, rows.Err()
}

// sentBeforeQuery finds the commands stored under the same sender and id, with the seq they were
// answered with and their digest.
const sentBeforeQuery = `
	SELECT e.session_id, e.actor_id, e.client_msg_id, e.seq, e.command_digest
	FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS k(session_id, actor_id, client_msg_id)
	JOIN session_events e USING (session_id, actor_id, client_msg_id)`

// sentBefore runs sentBeforeQuery in tx for the keys.
func (l *Log) sentBefore(ctx context.Context, tx *sqlx.Tx, keys []dedupKey) (map[dedupKey]sentCommand, error) {
	earlier := map[dedupKey]sentCommand{}
	if len(keys) == 0 {
		return earlier, nil
	}
	dedup, err := l.prepared(ctx, sentBeforeQuery)
	if err != nil {
		return nil, err
	}
	sessions, actors, ids := make([]int64, len(keys)), make([]int64, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		sessions[i], actors[i], ids[i] = k.session, k.actor, k.id
	}
	rows, err := tx.StmtxContext(ctx, dedup).QueryContext(ctx, pq.Array(sessions), pq.Array(actors), pq.Array(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k dedupKey
		var seq int64
		var digest sql.NullInt64
		if err := rows.Scan(&k.session, &k.actor, &k.id, &seq, &digest); err != nil {
			return nil, err
		}
		earlier[k] = sentCommand{seq: seq, digest: digest.Int64, hasDigest: digest.Valid}
	}
	return earlier, rows.Err()
}

// changePresence applies, in one statement, the joins (positive) and leaves (negative) of this
// instance's connections per session and role: a count that reaches zero drops its row, and a
// session deleted meanwhile gets none.
func (l *Log) changePresence(ctx context.Context, instance string, changes map[presenceKey]int) error {
	sessions := make([]int64, 0, len(changes))
	roles := make([]string, 0, len(changes))
	deltas := make([]int64, 0, len(changes))
	for k, d := range changes {
		sessions, roles, deltas = append(sessions, k.session), append(roles, string(k.role)), append(deltas, int64(d))
	}
	_, err := l.db.ExecContext(ctx, `
		WITH d AS (
			SELECT * FROM unnest($2::bigint[], $3::text[], $4::int[]) AS d(session_id, role, delta)
		), added AS (
			INSERT INTO live_presence (session_id, instance_id, role, connections)
			SELECT d.session_id, $1, d.role, d.delta FROM d JOIN live_sessions s ON s.id = d.session_id
			WHERE d.delta > 0
			ON CONFLICT (session_id, instance_id, role)
			DO UPDATE SET connections = live_presence.connections + EXCLUDED.connections, seen_at = now()
		), lowered AS (
			UPDATE live_presence p SET connections = p.connections + d.delta, seen_at = now()
			FROM d WHERE d.delta < 0 AND p.session_id = d.session_id AND p.instance_id = $1
				AND p.role = d.role AND p.connections + d.delta > 0
		)
		DELETE FROM live_presence p USING d
		WHERE d.delta < 0 AND p.session_id = d.session_id AND p.instance_id = $1
			AND p.role = d.role AND p.connections + d.delta <= 0`,
		instance, pq.Array(sessions), pq.Array(roles), pq.Array(deltas))
	return err
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
func (l *Log) presentIn(ctx context.Context, ids []int64, freshness time.Duration) (map[int64][]floor.Role, error) {
	rows, err := l.db.QueryContext(ctx, `
		SELECT DISTINCT session_id, role FROM live_presence
		WHERE session_id = ANY($1) AND seen_at > now() - make_interval(secs => $2) ORDER BY session_id, role`,
		pq.Array(ids), freshness.Seconds())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	present := make(map[int64][]floor.Role, len(ids))
	for rows.Next() {
		var id int64
		var role string
		if err := rows.Scan(&id, &role); err != nil {
			return nil, err
		}
		present[id] = append(present[id], floor.Role(role))
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
