package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/lib/pq"

	"github.com/amendcare/amend/realtime/floor"
)

// The commit pipeline. A committer's batch of commands is grouped per session; the sessions
// whose state the committer knows are decided against it and stored in one statement
// (executeKnown), the others are locked and read first (executeLocked). Either way the batch's
// commands are decided in order per session (decide), and what they decided is gathered into
// one set of event rows and one of session rows (collect) that one statement stores
// (Log.storeRows).

// Execute runs one command in a transaction of its own; see executeBatch.
func (l *Log) Execute(ctx context.Context, sessionID int64, cmd floor.Command, actor floor.Actor, now time.Time) (Result, error) {
	out, err := l.executeBatch(ctx, []Pending{{SessionID: sessionID, Command: cmd, Actor: actor}}, now, nil)
	if err != nil {
		return Result{}, err
	}
	return out[0].Result, out[0].Err
}

// Pending is a command waiting to be executed.
type Pending struct {
	SessionID int64
	Command   floor.Command
	Actor     floor.Actor
}

// Outcome is what one command of a batch came to: a result, or a refusal (*Error),
// ErrSessionNotFound or ErrUnavailable for that command alone.
type Outcome struct {
	Result Result
	Err    error
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
	Decoded []floor.Event
	// Resent is true when the command id had been executed already.
	Resent bool
	// Hearing is who the forwarding unit lets be heard after the events, and HearingMoved
	// whether the events changed that; both are set only when there are events.
	Hearing      floor.Hearing
	HearingMoved bool
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
	rows, err := collect(batch, settled, drafts, out, true)
	if err != nil {
		return nil, err
	}
	moved, err := l.storeRows(ctx, nil, rows, now, true)
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
	var keys []dedupKey
	for _, i := range idx {
		p := batch[i]
		ids = append(ids, p.SessionID)
		if p.Command.ID != "" && p.Actor.UserID != 0 {
			keys = append(keys, dedupKey{p.SessionID, p.Actor.UserID, p.Command.ID})
		}
	}
	states, err := l.lockStates(ctx, tx, ids)
	if err != nil {
		return err
	}
	drafts := make(map[int64]*draft, len(states))
	for id, state := range states {
		drafts[id] = &draft{state: state, expect: state.Seq}
	}
	earlier, err := l.sentBefore(ctx, tx, keys)
	if err != nil {
		return err
	}

	decide(batch, idx, drafts, earlier, now, out)
	rows, err := collect(batch, idx, drafts, out, false)
	if err != nil {
		return err
	}
	if len(rows.Sessions) > 0 {
		if _, err := l.storeRows(ctx, tx, rows, now, false); err != nil {
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
		events, err := floor.Decide(s.state, p.Command, p.Actor, now)
		if err != nil {
			var refusal *floor.Error
			if p.Command.Type == floor.CommandSay && errors.As(err, &refusal) && refusal.Code == floor.CodeNotYourTurn {
				if p.Actor.Role == floor.RoleB {
					s.blockedB++
				} else {
					s.blockedA++
				}
			}
			out[i].Err = err
			s.settled = false
			events, _ = floor.Decide(s.state, floor.Command{Type: floor.CommandTick}, floor.Actor{Role: floor.RoleSystem}, now)
		}
		if len(events) == 0 {
			if err == nil {
				out[i].Result = Result{Seq: s.state.Seq}
				s.settled = false
			}
			continue
		}
		before := floor.HearingOf(s.state)
		stored := make([]StoredEvent, len(events))
		frames := make([]byte, 0, 256*len(events))
		for j, e := range events {
			start := len(frames)
			frames = AppendEvent(frames, e)
			stored[j] = StoredEvent{Seq: e.Seq, Type: e.Type, Frame: frames[start:len(frames):len(frames)]}
			s.state = floor.Apply(s.state, e)
		}
		if err == nil && p.Command.ID != "" && p.Actor.UserID != 0 {
			earlier[key] = sentCommand{seq: s.state.Seq, digest: commandDigest(p.Command), hasDigest: true}
		}
		s.changed = true
		after := floor.HearingOf(s.state)
		out[i].Result = Result{Seq: s.state.Seq, Events: stored, Decoded: events, Hearing: after, HearingMoved: !after.SameHeard(before)}
	}
}

// batchRows is what a batch stores, passed to PostgreSQL as two JSON arrays (see storeBatch):
// the events it appends, and the session rows it moves.
type batchRows struct {
	Events   []eventRow
	Sessions []sessionMove
}

// eventRow is one event to append, under the column names of session_events. Payload is the
// event's frame, stored as it was sent.
type eventRow struct {
	SessionID int64           `json:"session_id"`
	Seq       int64           `json:"seq"`
	Kind      string          `json:"kind"`
	ActorID   int64           `json:"actor_id"`
	ActorRole string          `json:"actor_role"`
	Payload   json.RawMessage `json:"payload"`
	// ClientMsgID and CommandDigest mark the last event of a command that came with an id.
	ClientMsgID   string `json:"client_msg_id"`
	CommandDigest int64  `json:"command_digest"`
}

// sessionMove is one session row to move: to a new snapshot and seq when Changed, and by the
// blocked interruptions counted, if it is still at Expect (when the statement checks).
type sessionMove struct {
	ID       int64           `json:"id"`
	Expect   int64           `json:"expect"`
	Seq      int64           `json:"seq"`
	State    json.RawMessage `json:"state"`
	Status   string          `json:"status"`
	Ended    bool            `json:"ended"`
	Changed  bool            `json:"changed"`
	BlockedA int             `json:"blocked_a"`
	BlockedB int             `json:"blocked_b"`
}

// collect gathers what the commands at idx decided into the rows to store; sessions that
// changed nothing and blocked nobody are left out unless all is set. Each event is stored as its
// actor's: the session timer's events that a command found due are not the command's.
func collect(batch []Pending, idx []int, drafts map[int64]*draft, out []Outcome, all bool) (*batchRows, error) {
	rows := &batchRows{Events: make([]eventRow, 0, len(idx)), Sessions: make([]sessionMove, 0, len(drafts))}
	for _, i := range idx {
		p, res := batch[i], out[i].Result
		if res.Resent {
			continue
		}
		for j, e := range res.Events {
			actor := res.Decoded[j].Actor
			row := eventRow{SessionID: p.SessionID, Seq: e.Seq, Kind: e.Type, ActorID: actor.UserID,
				ActorRole: string(actor.Role), Payload: e.Frame}
			if j == len(res.Events)-1 && out[i].Err == nil && p.Command.ID != "" {
				// The id marks the command's last event, whose seq a resend is answered with.
				row.ClientMsgID, row.CommandDigest = p.Command.ID, commandDigest(p.Command)
			}
			rows.Events = append(rows.Events, row)
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
		rows.Sessions = append(rows.Sessions, sessionMove{ID: id, Expect: s.expect, Seq: s.state.Seq, State: snapshot,
			Status: status, Ended: s.state.Ended, Changed: s.changed, BlockedA: s.blockedA, BlockedB: s.blockedB})
	}
	return rows, nil
}

// draft is one session while a batch is decided: its state as the batch's commands move it.
type draft struct {
	state              floor.State
	expect             int64 // the seq the stored session is believed to be at
	changed            bool
	blockedA, blockedB int
	// settled is false once a command of the session was refused or changed nothing; such a
	// session cannot take the path without reads (see executeKnown).
	settled bool
}

// snapshots remembers each session's state as one committer last stored or read it, so that its
// next batch can be decided without reading the sessions first. Only that committer uses it.
type snapshots struct {
	states map[int64]*snapshot
}

type snapshot struct {
	state floor.State
	used  time.Time
}

func newSnapshots() *snapshots { return &snapshots{states: map[int64]*snapshot{}} }

// put remembers a session's state as stored.
func (k *snapshots) put(id int64, state floor.State) {
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
func (c sentCommand) answers(cmd floor.Command) bool {
	return !c.hasDigest || c.digest == commandDigest(cmd)
}

// errReusedID refuses a command sent under an id its sender already used for another command.
var errReusedID = floor.Refuse(floor.CodeConflict, "This id was already used for a different command; nothing was stored. Give every new command a new id.")

// commandDigest condenses what a command asks for, everything but its id, into 64 bits
// (FNV-1a over the fields, each string prefixed by its length): cheap, allocation-free and the
// same on every instance.
func commandDigest(cmd floor.Command) int64 {
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

// clearOutcomes forgets what was decided for the commands at idx, which will be decided again.
func clearOutcomes(idx []int, out []Outcome) []int {
	for _, i := range idx {
		out[i] = Outcome{}
	}
	return idx
}
