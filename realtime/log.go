package realtime

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
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
// held the floor, how many things they said, how many out-of-turn says were blocked, and how
// many times they were heard speaking over the other partner.
type Summary struct {
	TalkSeconds         Tally `json:"talk_seconds"`
	Utterances          Tally `json:"utterances"`
	Blocked             Tally `json:"blocked_interruptions"`
	SpokenInterruptions Tally `json:"spoken_interruptions"`
}

// Summarize computes the session's summary as of now.
func (s Session) Summarize(now time.Time) Summary {
	return Summary{
		TalkSeconds: Tally{
			A: int64(TalkTime(s.State, SeatA, now) / time.Second),
			B: int64(TalkTime(s.State, SeatB, now) / time.Second),
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
	// Events are the new events with their frames; empty for a resend or a no-op. For a refused
	// command they are what the session timer had due (see Decide), stored all the same.
	Events []StoredEvent
	// Decoded holds the same events as values.
	Decoded []Event
	// Resent is true when the command id had been executed already.
	Resent bool
	// Hearing is who the forwarding unit lets be heard after the events, and HearingMoved
	// whether the events changed that; both are set only when there are events.
	Hearing      Hearing
	HearingMoved bool
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
	defer func() { err = unavailable(err) }()
	state := NewState(in.Mode, in.TurnSeconds, in.MinBreakSeconds)
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
// A partner's seat never changes, so a seat found is remembered (for a bounded number of
// session and partner pairs): a partner who reconnects is seated without a query.
func (l *Log) Seat(ctx context.Context, sessionID, userID int64) (_ string, err error) {
	defer func() { err = unavailable(err) }()
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

// Execute runs one command in a transaction of its own; see executeBatch.
func (l *Log) Execute(ctx context.Context, sessionID int64, cmd Command, actor Actor, now time.Time) (Result, error) {
	out, err := l.executeBatch(ctx, []Pending{{SessionID: sessionID, Command: cmd, Actor: actor}}, now, nil)
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

// Outcome is what one command of a batch came to: a result, or a refusal (*Error),
// ErrSessionNotFound or ErrUnavailable for that command alone.
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

// sentCommand is a command stored under a dedupKey: the seq its ack carries and its digest
// (not known, hasDigest false, for commands stored before digests were).
type sentCommand struct {
	seq       int64
	digest    int64
	hasDigest bool
}

// answers reports whether cmd, sent under the same key, is a resend of this command rather than
// another command under a reused id.
func (c sentCommand) answers(cmd Command) bool {
	return !c.hasDigest || c.digest == commandDigest(cmd)
}

// errReusedID refuses a command sent under an id its sender already used for another command.
var errReusedID = refuse(CodeConflict, "This id was already used for a different command; nothing was stored. Give every new command a new id.")

// commandDigest condenses what a command asks for, everything but its id, into 64 bits
// (FNV-1a over the fields, each string prefixed by its length): cheap, allocation-free and the
// same on every instance.
func commandDigest(cmd Command) int64 {
	h := fnv64(14695981039346656037)
	h.str(cmd.Type)
	h.str(cmd.Text)
	h.str(cmd.Seat)
	h.num(int64(cmd.Seconds))
	switch {
	case cmd.OK == nil:
		h.num(0)
	case *cmd.OK:
		h.num(1)
	default:
		h.num(2)
	}
	h.str(cmd.Mode)
	h.str(cmd.Reason)
	h.num(int64(cmd.TurnSeconds))
	h.num(int64(cmd.MinBreakSeconds))
	return int64(h)
}

type fnv64 uint64

func (h *fnv64) byte(b byte) { *h = (*h ^ fnv64(b)) * 1099511628211 }

func (h *fnv64) num(n int64) {
	for i := 0; i < 64; i += 8 {
		h.byte(byte(n >> i))
	}
}

func (h *fnv64) str(s string) {
	h.num(int64(len(s)))
	for i := 0; i < len(s); i++ {
		h.byte(s[i])
	}
}

// snapshots remembers each session's state as one committer last stored or read it, so that its
// next batch can be decided without reading the sessions first. Only that committer uses it.
type snapshots struct {
	states map[int64]*snapshot
}

type snapshot struct {
	state State
	used  time.Time
}

func newSnapshots() *snapshots { return &snapshots{states: map[int64]*snapshot{}} }

// put remembers a session's state as stored.
func (k *snapshots) put(id int64, state State) {
	k.states[id] = &snapshot{state: state, used: time.Now()}
}

// forgetUnused drops the sessions no batch has touched since before.
func (k *snapshots) forgetUnused(before time.Time) {
	for id, s := range k.states {
		if s.used.Before(before) {
			delete(k.states, id)
		}
	}
}

// draft is one session while a batch is decided: its state as the batch's commands move it.
type draft struct {
	state              State
	expect             int64 // the seq the stored session is believed to be at
	changed            bool
	blockedA, blockedB int
	// settled is false once a command of the session was refused or changed nothing; such a
	// session cannot take the path without reads (see executeKnown).
	settled bool
}

// writes are the events and session rows a batch stores, as column arrays.
type writes struct {
	session, seq, actor         []int64
	kind, role, payload, msgIDs []string
	digests                     []int64

	id, expect, upSeq  []int64
	state, status      []string
	ended, changed     []bool
	blockedA, blockedB []int64
}

// decide runs the commands at idx in order against their sessions' drafts, setting their
// outcomes. A command whose id its sender used before (earlier) for the same command is
// answered with that command's seq, and refused as a conflict when that was another command. A
// say refused as not_your_turn counts as a blocked interruption of the sender's seat; its text is
// kept nowhere. A refused command still brings about what the session timer had due, so an
// expired turn is stored as expired whichever command finds it so.
func decide(batch []Pending, idx []int, drafts map[int64]*draft, earlier map[dedupKey]sentCommand, now time.Time, out []Outcome) {
	for _, i := range idx {
		p := batch[i]
		s, ok := drafts[p.SessionID]
		if !ok {
			out[i].Err = ErrSessionNotFound
			continue
		}
		key := dedupKey{p.SessionID, p.Actor.UserID, p.Command.ID}
		if sent, ok := earlier[key]; ok && p.Command.ID != "" && p.Actor.UserID != 0 {
			if sent.answers(p.Command) {
				out[i].Result = Result{Seq: sent.seq, Resent: true}
			} else {
				out[i].Err = errReusedID
				s.settled = false
			}
			continue
		}
		events, err := Decide(s.state, p.Command, p.Actor, now)
		if err != nil {
			var refusal *Error
			if p.Command.Type == CommandSay && errors.As(err, &refusal) && refusal.Code == CodeNotYourTurn {
				if p.Actor.Role == RoleB {
					s.blockedB++
				} else {
					s.blockedA++
				}
			}
			out[i].Err = err
			s.settled = false
			events, _ = Decide(s.state, Command{Type: CommandTick}, Actor{Role: RoleSystem}, now)
		}
		if len(events) == 0 {
			if err == nil {
				out[i].Result = Result{Seq: s.state.Seq}
				s.settled = false
			}
			continue
		}
		before := HearingOf(s.state)
		stored := make([]StoredEvent, len(events))
		frames := make([]byte, 0, 256*len(events))
		for j, e := range events {
			start := len(frames)
			frames = AppendEvent(frames, e)
			stored[j] = StoredEvent{Seq: e.Seq, Type: e.Type, Frame: frames[start:len(frames):len(frames)]}
			s.state = Apply(s.state, e)
		}
		if err == nil && p.Command.ID != "" && p.Actor.UserID != 0 {
			earlier[key] = sentCommand{seq: s.state.Seq, digest: commandDigest(p.Command), hasDigest: true}
		}
		s.changed = true
		after := HearingOf(s.state)
		out[i].Result = Result{Seq: s.state.Seq, Events: stored, Decoded: events, Hearing: after, HearingMoved: !after.SameHeard(before)}
	}
}

// collect gathers what the commands at idx decided into column arrays; sessions that changed
// nothing and blocked nobody are left out unless all is set. Each event is stored as its
// actor's: the session timer's events that a command found due are not the command's.
func collect(batch []Pending, idx []int, drafts map[int64]*draft, out []Outcome, all bool) (*writes, error) {
	w := &writes{}
	for _, i := range idx {
		p, res := batch[i], out[i].Result
		if res.Resent {
			continue
		}
		for j, e := range res.Events {
			msgID, digest := "", int64(0)
			if j == len(res.Events)-1 && out[i].Err == nil && p.Command.ID != "" {
				// The id marks the command's last event, whose seq a resend is answered with.
				msgID, digest = p.Command.ID, commandDigest(p.Command)
			}
			actor := res.Decoded[j].Actor
			w.session, w.seq, w.actor = append(w.session, p.SessionID), append(w.seq, e.Seq), append(w.actor, actor.UserID)
			w.kind, w.role = append(w.kind, e.Type), append(w.role, string(actor.Role))
			w.payload, w.msgIDs = append(w.payload, string(e.Frame)), append(w.msgIDs, msgID)
			w.digests = append(w.digests, digest)
		}
	}
	for id, s := range drafts {
		if !all && !s.changed && s.blockedA == 0 && s.blockedB == 0 {
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
		w.id, w.expect, w.upSeq = append(w.id, id), append(w.expect, s.expect), append(w.upSeq, s.state.Seq)
		w.state, w.status = append(w.state, string(snapshot)), append(w.status, status)
		w.ended, w.changed = append(w.ended, s.state.Ended), append(w.changed, s.changed)
		w.blockedA, w.blockedB = append(w.blockedA, int64(s.blockedA)), append(w.blockedB, int64(s.blockedB))
	}
	return w, nil
}

// storeWrites appends every event and moves every snapshot in one statement. With check set, a
// session is written only if it is still at the seq the batch expected, locked in id order, and
// the statement returns the ids of the sessions it wrote; otherwise the caller holds the locks.
const storeWrites = `
	WITH v AS (
		SELECT * FROM unnest($9::bigint[], $10::text[], $11::bigint[], $12::text[], $13::bool[], $14::bool[],
			$15::int[], $16::int[], $17::bigint[])
			AS v(id, state, seq, status, ended, changed, blocked_a, blocked_b, expect)),
	locked AS (
		SELECT l.id FROM live_sessions l JOIN v ON v.id = l.id
		WHERE $18 AND l.seq = v.expect ORDER BY l.id FOR NO KEY UPDATE OF l),
	moved AS (
		UPDATE live_sessions l SET
			state = CASE WHEN v.changed THEN v.state::jsonb ELSE l.state END,
			seq = CASE WHEN v.changed THEN v.seq ELSE l.seq END,
			status = CASE WHEN v.changed THEN v.status ELSE l.status END,
			ended_at = CASE WHEN v.ended THEN coalesce(l.ended_at, $8) ELSE l.ended_at END,
			blocked_a = l.blocked_a + v.blocked_a,
			blocked_b = l.blocked_b + v.blocked_b
		FROM v WHERE l.id = v.id AND (NOT $18 OR l.id IN (SELECT id FROM locked))
		RETURNING l.id),
	appended AS (
		INSERT INTO session_events (session_id, seq, kind, actor_id, actor_role, payload, client_msg_id, command_digest)
		SELECT e.session_id, e.seq, e.kind, NULLIF(e.actor_id, 0), e.actor_role, e.payload::json,
			NULLIF(e.client_msg_id, ''), CASE WHEN e.client_msg_id <> '' THEN e.command_digest END
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $19::bigint[])
			AS e(session_id, seq, kind, actor_id, actor_role, payload, client_msg_id, command_digest)
		WHERE e.session_id IN (SELECT id FROM moved))
	SELECT id FROM moved`

func (w *writes) args(now time.Time, check bool) []any {
	return []any{
		pq.Array(w.session), pq.Array(w.seq), pq.Array(w.kind), pq.Array(w.actor), pq.Array(w.role),
		pq.Array(w.payload), pq.Array(w.msgIDs), now,
		pq.Array(w.id), pq.Array(w.state), pq.Array(w.upSeq), pq.Array(w.status), pq.Array(w.ended),
		pq.Array(w.changed), pq.Array(w.blockedA), pq.Array(w.blockedB), pq.Array(w.expect), check,
		pq.Array(w.digests),
	}
}

// executeBatch runs commands, in order per session, and answers each once it is committed;
// nothing is acknowledged before its commit. Batching spreads a commit's cost over every command
// waiting for it, which is what keeps durable live traffic fast.
//
// Commands of sessions whose state known holds are decided against it and stored in ONE
// statement that commits on its own (executeKnown): one round trip to the database. The rest,
// and any session that moved on meanwhile (another instance wrote it), take the general path
// (executeLocked). known, when not nil, is kept up to date with what was stored. An error
// returned (rather than in an Outcome) failed the whole batch and nothing of it was stored.
func (l *Log) executeBatch(ctx context.Context, batch []Pending, now time.Time, known *snapshots) (_ []Outcome, err error) {
	defer func() { err = unavailable(err) }()
	out := make([]Outcome, len(batch))
	var fast, slow []int
	for i, p := range batch {
		if known != nil && known.states[p.SessionID] != nil {
			fast = append(fast, i)
		} else {
			slow = append(slow, i)
		}
	}
	stored := false
	if len(fast) > 0 {
		rest, err := l.executeKnown(ctx, batch, fast, now, known, out)
		if err != nil {
			return nil, err
		}
		stored = len(rest) < len(fast)
		slow = append(slow, rest...)
		slices.Sort(slow)
	}
	if len(slow) > 0 {
		if err := l.executeLocked(ctx, batch, slow, now, known, out); err != nil {
			if !stored {
				return nil, err
			}
			for _, i := range slow {
				out[i] = Outcome{Err: unavailable(err)}
			}
		}
	}
	return out, nil
}

// executeKnown decides the commands at idx against the known states and stores them in one
// statement that writes a session only if it is still at the seq it was known at. It returns
// the commands it did not settle, to be run by executeLocked: those of sessions that moved on,
// and those of sessions where a command was refused or changed nothing, because only the
// general path can tell whether such a command is a resend of one already stored (a resend that
// adds events is caught by the unique command id, which fails the statement as a whole).
func (l *Log) executeKnown(ctx context.Context, batch []Pending, idx []int, now time.Time, known *snapshots, out []Outcome) ([]int, error) {
	drafts := make(map[int64]*draft)
	for _, i := range idx {
		id := batch[i].SessionID
		if drafts[id] == nil {
			s := known.states[id].state
			drafts[id] = &draft{state: s, expect: s.Seq, settled: true}
		}
	}
	decide(batch, idx, drafts, map[dedupKey]sentCommand{}, now, out)
	var settled, rest []int
	for _, i := range idx {
		if drafts[batch[i].SessionID].settled {
			settled = append(settled, i)
		} else {
			rest = append(rest, i)
		}
	}
	for id, s := range drafts {
		if !s.settled {
			delete(drafts, id)
		}
	}
	if len(settled) == 0 {
		return clearOutcomes(rest, out), nil
	}
	w, err := collect(batch, settled, drafts, out, true)
	if err != nil {
		return nil, err
	}
	stmt, err := l.prepared(ctx, storeWrites)
	if err != nil {
		return nil, err
	}
	var moved []int64
	err = stmt.SelectContext(ctx, &moved, w.args(now, true)...)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && (pqErr.Code == "23505" || pqErr.Code == "40P01") {
		// A resend of a stored command, or a lock cycle with another instance: nothing was
		// stored, and the general path sorts it out.
		return clearOutcomes(idx, out), nil
	}
	if err != nil {
		return nil, err
	}
	wrote := make(map[int64]bool, len(moved))
	for _, id := range moved {
		wrote[id] = true
		known.put(id, drafts[id].state)
	}
	for _, i := range settled {
		if id := batch[i].SessionID; !wrote[id] {
			delete(known.states, id)
			rest = append(rest, i)
		}
	}
	return clearOutcomes(rest, out), nil
}

// clearOutcomes forgets what was decided for the commands at idx, which will be decided again.
func clearOutcomes(idx []int, out []Outcome) []int {
	for _, i := range idx {
		out[i] = Outcome{}
	}
	return idx
}

// lockSessions locks sessions in id order and reads their states. The lock is the one an update
// of non-key columns takes (FOR NO KEY UPDATE): it keeps other commands out but lets rows that
// refer to the session (presence, events) be written meanwhile; with FOR UPDATE, their
// foreign-key checks would wait for it and could close a cycle with it.
const lockSessions = `SELECT id, state FROM live_sessions WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`

// sentBefore finds the commands stored under the same sender and id, with the seq they were
// answered with and their digest.
const sentBefore = `
	SELECT e.session_id, e.actor_id, e.client_msg_id, e.seq, e.command_digest
	FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS k(session_id, actor_id, client_msg_id)
	JOIN session_events e USING (session_id, actor_id, client_msg_id)`

// executeLocked is the general path: in one transaction it locks the commands' sessions (in id
// order, so concurrent batches cannot deadlock), reads their states and the commands sent
// before under the same ids, decides each command against its session's latest state, stores
// everything in one statement and commits.
func (l *Log) executeLocked(ctx context.Context, batch []Pending, idx []int, now time.Time, known *snapshots, out []Outcome) error {
	tx, err := l.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	ids := make([]int64, 0, len(idx))
	var keyS, keyA []int64
	var keyM []string
	for _, i := range idx {
		p := batch[i]
		ids = append(ids, p.SessionID)
		if p.Command.ID != "" && p.Actor.UserID != 0 {
			keyS, keyA, keyM = append(keyS, p.SessionID), append(keyA, p.Actor.UserID), append(keyM, p.Command.ID)
		}
	}
	lock, err := l.prepared(ctx, lockSessions)
	if err != nil {
		return err
	}
	dedup, err := l.prepared(ctx, sentBefore)
	if err != nil {
		return err
	}
	store, err := l.prepared(ctx, storeWrites)
	if err != nil {
		return err
	}
	drafts := make(map[int64]*draft, len(idx))
	rows, err := tx.StmtxContext(ctx, lock).QueryContext(ctx, pq.Array(ids))
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			rows.Close()
			return err
		}
		s := &draft{}
		if err := json.Unmarshal(raw, &s.state); err != nil {
			rows.Close()
			return fmt.Errorf("live session %d snapshot: %w", id, err)
		}
		s.expect = s.state.Seq
		drafts[id] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	earlier := map[dedupKey]sentCommand{}
	if len(keyS) > 0 {
		rows, err := tx.StmtxContext(ctx, dedup).QueryContext(ctx, pq.Array(keyS), pq.Array(keyA), pq.Array(keyM))
		if err != nil {
			return err
		}
		for rows.Next() {
			var k dedupKey
			var seq int64
			var digest sql.NullInt64
			if err := rows.Scan(&k.session, &k.actor, &k.id, &seq, &digest); err != nil {
				rows.Close()
				return err
			}
			earlier[k] = sentCommand{seq: seq, digest: digest.Int64, hasDigest: digest.Valid}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}

	decide(batch, idx, drafts, earlier, now, out)
	w, err := collect(batch, idx, drafts, out, false)
	if err != nil {
		return err
	}
	if len(w.id) > 0 {
		if _, err := tx.StmtxContext(ctx, store).ExecContext(ctx, w.args(now, false)...); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if known != nil {
		for id, s := range drafts {
			known.put(id, s.state)
		}
	}
	return nil
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
