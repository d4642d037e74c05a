package realtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/server/store"
	"github.com/amendcare/amend/server/store/dbtest"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/realtime/floor"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// commitWorld is one couple's live session in a fresh database, with two committers that each
// remember what they stored, as two instances' committers do.
type commitWorld struct {
	t       testing.TB
	dsn     string
	db      *sqlx.DB
	log     *Log
	session int64
	now     time.Time
	// step is how far the clock moves before each batch.
	step time.Duration
}

func newCommitWorld(t testing.TB) *commitWorld {
	t.Helper()
	ctx := context.Background()
	dsn := dbtest.DSN(t)
	db, err := store.Open(ctx, dsn, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var practice, couple, therapist int64
	if err := db.GetContext(ctx, &practice, `INSERT INTO practices (name) VALUES ('Harbour Counselling') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &therapist, `INSERT INTO users (email) VALUES ('maya@harbour.test') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &couple, `INSERT INTO couples (practice_id, label) VALUES ($1, 'Rivera & Chen') RETURNING id`, practice); err != nil {
		t.Fatal(err)
	}
	w := &commitWorld{t: t, dsn: dsn, db: db, log: NewLog(db), now: time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC), step: time.Second}
	s, err := w.log.Create(ctx, NewSession{PracticeID: practice, CoupleID: couple, CreatedBy: therapist, Mode: floor.ModeTurns})
	if err != nil {
		t.Fatal(err)
	}
	w.session = s.ID
	return w
}

// run commits commands as one batch through the committer that remembers known.
func (w *commitWorld) run(known *snapshots, cmds ...Pending) []Outcome {
	w.t.Helper()
	w.now = w.now.Add(w.step)
	for i := range cmds {
		if cmds[i].SessionID == 0 {
			cmds[i].SessionID = w.session
		}
	}
	out, err := w.log.executeBatch(context.Background(), cmds, w.now, known)
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *commitWorld) one(known *snapshots, actor floor.Actor, cmd floor.Command) Outcome {
	w.t.Helper()
	return w.run(known, Pending{Command: cmd, Actor: actor})[0]
}

// logged reads the session's events as seq → type, and its stored seq and blocked counts.
func (w *commitWorld) logged() (events []string, seq int64, blockedA int) {
	w.t.Helper()
	stored, err := w.log.EventsAfter(context.Background(), w.session, 0, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	for i, e := range stored {
		if e.Seq != int64(i+1) {
			w.t.Fatalf("event %d has seq %d: the log has a gap or a double", i+1, e.Seq)
		}
		events = append(events, e.Type)
	}
	if err := w.db.QueryRowContext(context.Background(), `SELECT seq, blocked_a FROM live_sessions WHERE id = $1`, w.session).Scan(&seq, &blockedA); err != nil {
		w.t.Fatal(err)
	}
	return events, seq, blockedA
}

func sayAs(id, text string) floor.Command {
	return floor.Command{ID: id, Type: floor.CommandSay, Text: text}
}

func wantAck(t testing.TB, out Outcome, seq int64) {
	t.Helper()
	if out.Err != nil {
		t.Fatalf("refused: %v", out.Err)
	}
	if out.Result.Seq != seq {
		t.Fatalf("acked at seq %d, want %d", out.Result.Seq, seq)
	}
}

func wantRefusal(t *testing.T, out Outcome, code string) {
	t.Helper()
	var refusal *fault.Error
	if !errors.As(out.Err, &refusal) || refusal.Code != code {
		t.Fatalf("got %+v, want the refusal %s", out, code)
	}
}

// Two instances write the same session. Each committer decides against what it stored last;
// when the other instance has moved the session on, the command is decided again on the stored
// state, so the log stays one gap-free sequence and nobody speaks out of turn.
func TestCommittersOfTwoInstancesKeepOneOrder(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	one, two := newSnapshots(), newSnapshots()

	wantAck(t, w.one(one, chair, floor.Command{ID: "g1", Type: floor.CommandGrant, Seat: "a"}), 1)
	wantAck(t, w.one(one, partnerA, sayAs("a1", "I felt shut out when the plans changed.")), 2)
	// The second instance has never seen the session: it reads it.
	wantAck(t, w.one(two, partnerA, sayAs("a2", "I want us to talk before deciding.")), 3)
	// The first instance still remembers seq 2; its next command lands after 3, not on top of it.
	wantAck(t, w.one(one, partnerA, sayAs("a3", "That is what I need from you.")), 4)

	// The second instance (stale at 3) passes the floor to b; the first (now at 4) is stale.
	wantAck(t, w.one(two, partnerA, floor.Command{ID: "a4", Type: floor.CommandYield}), 5)
	wantAck(t, w.one(two, chair, floor.Command{ID: "g2", Type: floor.CommandGrant, Seat: "b"}), 6)
	// Partner a speaks again through the first instance, which last saw a holding the floor.
	wantRefusal(t, w.one(one, partnerA, sayAs("a5", "One more thing.")), fault.NotYourTurn)
	wantAck(t, w.one(one, partnerB, sayAs("b1", "I hear you.")), 7)

	events, seq, blocked := w.logged()
	want := []string{floor.EventFloorGranted, floor.EventUtterance, floor.EventUtterance, floor.EventUtterance, floor.EventFloorYielded, floor.EventFloorGranted, floor.EventUtterance}
	if len(events) != len(want) || seq != 7 {
		t.Fatalf("log %v at seq %d, want %v at 7", events, seq, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Fatalf("event %d is %s, want %s (log %v)", i+1, events[i], want[i], events)
		}
	}
	if blocked != 1 {
		t.Errorf("blocked interruptions of a: %d, want 1", blocked)
	}
}

// A command sent again under the same id (its ack was lost with the connection) is answered
// with the first one's seq and stored once, whether the committer would now accept it, refuse
// it, or has never seen the session.
func TestResentCommandsAreStoredOnce(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	one, two := newSnapshots(), newSnapshots()
	wantAck(t, w.one(one, chair, floor.Command{ID: "g1", Type: floor.CommandGrant, Seat: "a"}), 1)
	wantAck(t, w.one(one, partnerA, sayAs("a1", "I was hurt.")), 2)

	// Same committer, the floor unchanged: the say would be accepted again.
	again := w.one(one, partnerA, sayAs("a1", "I was hurt."))
	wantAck(t, again, 2)
	if !again.Result.Resent || len(again.Result.Events) != 0 {
		t.Fatalf("the resend was not recognised: %+v", again.Result)
	}
	// Through the other instance's committer, which reads the session first.
	wantAck(t, w.one(two, partnerA, sayAs("a1", "I was hurt.")), 2)

	// After the floor moved on, the resend would now be refused; it is still the first say.
	wantAck(t, w.one(one, partnerA, floor.Command{ID: "a2", Type: floor.CommandYield}), 3)
	again = w.one(one, partnerA, sayAs("a1", "I was hurt."))
	wantAck(t, again, 2)

	// Twice in one batch: stored once, both answered with its seq.
	wantAck(t, w.one(one, chair, floor.Command{ID: "g2", Type: floor.CommandGrant, Seat: "b"}), 4)
	twice := w.run(one,
		Pending{Command: sayAs("b1", "I am listening."), Actor: partnerB},
		Pending{Command: sayAs("b1", "I am listening."), Actor: partnerB})
	wantAck(t, twice[0], 5)
	wantAck(t, twice[1], 5)

	events, seq, blocked := w.logged()
	if len(events) != 5 || seq != 5 {
		t.Fatalf("log %v at seq %d, want 5 events", events, seq)
	}
	if blocked != 0 {
		t.Errorf("a resend counted as %d blocked interruptions", blocked)
	}
}

// An id its sender already used for a different command (a client whose counter restarted) is
// refused as a conflict and nothing of it is stored, by the committer that stored the first
// command, by one that never saw the session, and within one batch; the same command under the
// same id is still a resend.
func TestReusedCommandIDWithOtherContentIsAConflict(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	one, two := newSnapshots(), newSnapshots()
	wantAck(t, w.one(one, chair, floor.Command{ID: "g1", Type: floor.CommandGrant, Seat: "a"}), 1)
	wantAck(t, w.one(one, partnerA, sayAs("a1", "I was hurt.")), 2)

	cases := []struct {
		name  string
		known *snapshots
		cmd   floor.Command
	}{
		{"other text, the committer that stored it", one, sayAs("a1", "I was angry.")},
		{"other text, another instance's committer", two, sayAs("a1", "I was angry.")},
		{"another type, no committer's memory", nil, floor.Command{ID: "a1", Type: floor.CommandYield}},
		{"a say that only differs in case", one, sayAs("a1", "i was hurt.")},
	}
	for _, tc := range cases {
		out := w.one(tc.known, partnerA, tc.cmd)
		wantRefusal(t, out, fault.Conflict)
		if !strings.Contains(out.Err.Error(), "already used") {
			t.Errorf("%s: the refusal does not say why: %v", tc.name, out.Err)
		}
	}
	// The other partner may use the same id for a command of their own.
	wantAck(t, w.one(one, partnerB, floor.Command{ID: "a1", Type: floor.CommandRequestFloor}), 3)
	// Within one batch: the first use is stored, the second refused, a true resend acked.
	twice := w.run(one,
		Pending{Command: sayAs("a2", "We never talk about it."), Actor: partnerA},
		Pending{Command: sayAs("a2", "We always fight about it."), Actor: partnerA},
		Pending{Command: sayAs("a2", "We never talk about it."), Actor: partnerA})
	wantAck(t, twice[0], 4)
	wantRefusal(t, twice[1], fault.Conflict)
	wantAck(t, twice[2], 4)
	// The first command under the id still gets its ack.
	wantAck(t, w.one(two, partnerA, sayAs("a1", "I was hurt.")), 2)

	events, seq, _ := w.logged()
	if len(events) != 4 || seq != 4 {
		t.Fatalf("log %v at seq %d, want the grant, two says and a request", events, seq)
	}
}

// One batch may mix sessions the committer knows and sessions it has to read; each keeps its
// own order and a refused command in one session does not hold back another.
func TestOneBatchMixesKnownAndUnknownSessions(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	var practice, couple, therapist int64
	if err := w.db.QueryRowContext(context.Background(), `SELECT practice_id, couple_id, created_by FROM live_sessions WHERE id = $1`,
		w.session).Scan(&practice, &couple, &therapist); err != nil {
		t.Fatal(err)
	}
	other, err := w.log.Create(context.Background(), NewSession{PracticeID: practice, CoupleID: couple, CreatedBy: therapist, Mode: floor.ModeTurns})
	if err != nil {
		t.Fatal(err)
	}
	known := newSnapshots()
	wantAck(t, w.one(known, chair, floor.Command{ID: "g1", Type: floor.CommandGrant, Seat: "a"}), 1)

	out := w.run(known,
		Pending{Command: sayAs("a1", "First."), Actor: partnerA},
		Pending{SessionID: other.ID, Command: floor.Command{ID: "g1", Type: floor.CommandGrant, Seat: "b"}, Actor: chair},
		Pending{Command: sayAs("b1", "Out of turn."), Actor: partnerB},
		Pending{Command: sayAs("a2", "Second."), Actor: partnerA},
		Pending{SessionID: other.ID, Command: sayAs("b1", "Hello."), Actor: partnerB})
	wantAck(t, out[0], 2)
	wantAck(t, out[1], 1)
	wantRefusal(t, out[2], fault.NotYourTurn)
	wantAck(t, out[3], 3)
	wantAck(t, out[4], 2)
	if events, seq, blocked := w.logged(); len(events) != 3 || seq != 3 || blocked != 0 {
		t.Fatalf("first session: log %v at seq %d, %d blocked of a", events, seq, blocked)
	}
	var blockedB int
	if err := w.db.QueryRowContext(context.Background(), `SELECT blocked_b FROM live_sessions WHERE id = $1`, w.session).Scan(&blockedB); err != nil {
		t.Fatal(err)
	}
	if blockedB != 1 {
		t.Errorf("blocked interruptions of b: %d, want 1", blockedB)
	}
}

// BenchmarkCommitKnownSession is one say per commit by a committer that knows the session: the
// one-statement path. BenchmarkLiveCommandCommit (server) measures the general path.
func BenchmarkCommitKnownSession(b *testing.B) {
	w := newCommitWorld(b)
	w.step = 0 // however many says, they all fall within the turn
	known := newSnapshots()
	wantAck(b, w.one(known, chair, floor.Command{ID: "g", Type: floor.CommandGrant, Seat: "a"}), 1)
	b.ResetTimer()
	for i := range b.N {
		if out := w.one(known, partnerA, sayAs("a"+strconv.Itoa(i), "I felt alone when the plans changed without a word.")); out.Err != nil {
			b.Fatal(out.Err)
		}
	}
}

// An event is stored as the frame its clients were sent, byte for byte, whatever its text holds
// and whichever path stored it.
func TestStoredEventIsTheFrameSent(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	known := newSnapshots()
	wantAck(t, w.one(known, chair, floor.Command{ID: "g", Type: floor.CommandGrant, Seat: "a"}), 1)
	texts := []string{`<b>"Tom & Jerry"</b> \ 👋🏽`, "line\u2028para\ttab"}
	sent := map[int64][]byte{}
	for i, path := range []*snapshots{known, nil} { // the known session's statement, then the general path
		out := w.one(path, partnerA, sayAs("s"+strconv.Itoa(i), texts[i]))
		wantAck(t, out, int64(i+2))
		sent[out.Result.Seq] = out.Result.Events[0].Frame
	}
	stored, err := w.log.EventsAfter(context.Background(), w.session, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(sent) {
		t.Fatalf("%d events stored after the grant, want %d", len(stored), len(sent))
	}
	for _, e := range stored {
		if string(e.Frame) != string(sent[e.Seq]) {
			t.Errorf("seq %d stored as\n%s\nsent as\n%s", e.Seq, e.Frame, sent[e.Seq])
		}
	}
}

// A commit looks up the sessions of its batch by key: its cost must not grow with the sessions a
// practice has held over the years. The plans are read for both ways PostgreSQL may plan the
// prepared statement, with a table of past sessions large enough that reading it whole would be
// the planner's choice if it had no key to look up.
func TestCommitReadsOnlyItsBatchSessionsHoweverManyAreStored(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	ctx := context.Background()
	if _, err := w.db.ExecContext(ctx, `
		INSERT INTO live_sessions (practice_id, couple_id, created_by, mode, state, status, ended_at)
		SELECT practice_id, couple_id, created_by, mode, state, 'ended', now()
		FROM live_sessions, generate_series(1, 3000) WHERE id = $1`, w.session); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.ExecContext(ctx, `ANALYZE live_sessions`); err != nil {
		t.Fatal(err)
	}
	conn, err := w.db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PREPARE store_batch(json, json, timestamptz, boolean) AS `+storeBatch); err != nil {
		t.Fatal(err)
	}
	sessions := fmt.Sprintf(`[{"id":%d,"state":{},"seq":1,"status":"live","ended":false,"changed":true,"blocked_a":0,"blocked_b":0,"expect":0}]`, w.session)
	events := fmt.Sprintf(`[{"session_id":%d,"seq":1,"kind":"moderator","actor_id":0,"actor_role":"chair","payload":{},"client_msg_id":"","command_digest":0}]`, w.session)
	for _, mode := range []string{"force_generic_plan", "force_custom_plan"} {
		if _, err := conn.ExecContext(ctx, `SET plan_cache_mode = `+mode); err != nil {
			t.Fatal(err)
		}
		var plan []string
		// EXPLAIN takes no parameters: the batch goes in as literals.
		explain := `EXPLAIN EXECUTE store_batch(` + pq.QuoteLiteral(events) + `, ` + pq.QuoteLiteral(sessions) + `, now(), true)`
		if err := conn.SelectContext(ctx, &plan, explain); err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(plan, "\n"); strings.Contains(text, "Seq Scan on live_sessions") {
			t.Errorf("with %s the commit reads every stored session:\n%s", mode, text)
		}
	}
	known := newSnapshots()
	wantAck(t, w.one(known, chair, floor.Command{ID: "g", Type: floor.CommandGrant, Seat: "a"}), 1)
	wantAck(t, w.one(known, partnerA, sayAs("a1", "I want to hear how that evening was for you.")), 2)
}
