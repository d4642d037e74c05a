package realtime

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/amendcare/amend/realtime/floor"
)

// A partner who was away for more events than the room keeps gets the older ones from the log
// and the rest from the room, each once and in order after the snapshot, and then live events.
func TestJoinReplaysOlderEventsFromTheLogAndLatestFromTheRoom(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	ctx := context.Background()
	h := NewHub(w.db, HubConfig{SendQueue: 2 * recentMaxEvents})
	room := openRoom(h, w.session)
	if err := room.load(ctx); err != nil {
		t.Fatal(err)
	}
	total := recentMaxEvents + 100
	var notes []Pending
	for i := range total {
		notes = append(notes, Pending{Actor: chair, Command: floor.Command{ID: "m" + strconv.Itoa(i), Type: floor.CommandModerator, Text: "note " + strconv.Itoa(i)}})
	}
	w.run(nil, notes...)
	room.want(int64(total))
	if err := room.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if len(room.recent) != recentMaxEvents {
		t.Fatalf("the room keeps %d events, want %d", len(room.recent), recentMaxEvents)
	}

	back := newConn(h, nil, Participant{Role: floor.RoleB})
	back.room = room
	back.queue.writing = true // the test plays the writer
	if err := back.join(10); err != nil {
		t.Fatal(err)
	}
	more := []StoredEvent{{Seq: int64(total + 1), Type: floor.EventModerator,
		Frame: AppendEvent(nil, floor.Event{Seq: int64(total + 1), Type: floor.EventModerator, Actor: chair, At: start, Text: "live"})}}
	room.deliver(more, nil)

	frames, _, _, _ := back.queue.take()
	first, err := StoredEvent{Frame: frames[0]}.Event()
	if err != nil || first.Type != FrameSnapshot {
		t.Fatalf("first frame %s, want the snapshot", frames[0])
	}
	var seqs []int64
	for _, f := range frames[1:] {
		e, err := StoredEvent{Frame: f}.Event()
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, e.Seq)
	}
	want := make([]int64, 0, total+1-10)
	for seq := int64(11); seq <= int64(total+1); seq++ {
		want = append(want, seq)
	}
	if !slices.Equal(seqs, want) {
		t.Fatalf("the returning partner got seqs %v..., want 11..%d once each", seqs[:min(len(seqs), 5)], total+1)
	}
}

// Presence is counted per connection: a seat stays present while any of its connections does,
// and its row goes once the last one leaves; a session deleted meanwhile gets no row.
func TestPresenceCountsConnectionsAndDropsTheRowWithTheLast(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	ctx := context.Background()
	change := func(changes map[presenceKey]int) {
		t.Helper()
		if err := w.log.changePresence(ctx, "one", changes); err != nil {
			t.Fatal(err)
		}
	}
	present := func() []floor.Role {
		t.Helper()
		roles, err := w.log.presentIn(ctx, []int64{w.session}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return roles[w.session]
	}
	a, b, theChair := presenceKey{w.session, floor.RoleA}, presenceKey{w.session, floor.RoleB}, presenceKey{w.session, floor.RoleChair}
	change(map[presenceKey]int{a: 2, theChair: 1, {w.session + 1000, floor.RoleA}: 1})
	if got := present(); !slices.Equal(got, []floor.Role{floor.RoleA, floor.RoleChair}) {
		t.Fatalf("present %v, want [a chair]", got)
	}
	change(map[presenceKey]int{a: -1, theChair: -1, b: 1})
	if got := present(); !slices.Equal(got, []floor.Role{floor.RoleA, floor.RoleB}) {
		t.Fatalf("with one of a's two connections left: present %v, want [a b]", got)
	}
	change(map[presenceKey]int{a: -1, b: -1})
	if got := present(); len(got) != 0 {
		t.Fatalf("after everyone left: present %v", got)
	}
	var rows int
	if err := w.db.GetContext(ctx, &rows, `SELECT count(*) FROM live_presence`); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Fatalf("%d presence rows left behind", rows)
	}
}

// A join and a leave of the same seat within one round cancel out: nothing is written.
func TestPresenceBookFoldsAJoinAndALeaveOfOneRound(t *testing.T) {
	b := newPresenceBook()
	b.change(7, floor.RoleA, 1)
	b.change(7, floor.RoleB, 1)
	b.change(7, floor.RoleA, -1)
	changes, _ := b.take()
	if len(changes) != 1 || changes[presenceKey{7, floor.RoleB}] != 1 {
		t.Fatalf("changes %v, want only b joining", changes)
	}
	b.putBack(changes, map[int64]struct{}{7: {}})
	b.change(7, floor.RoleB, -1)
	changes, stale := b.take()
	if len(changes) != 0 || len(stale) != 1 {
		t.Fatalf("after a failed round and b leaving: changes %v, stale %v", changes, stale)
	}
}
