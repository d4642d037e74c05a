package realtime

import (
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amendcare/amend/realtime/floor"
)

// testHub is a hub with no database behind it, for the room's fan-out logic.
func testHub(queue int) *Hub {
	return NewHub(nil, HubConfig{SendQueue: queue})
}

// member is a connection without a socket: what the room queues for it is what it would get.
// The test plays its writer, so none is started.
func member(h *Hub, r *Room) *Conn {
	c := newConn(h, nil, Participant{Role: floor.RoleA})
	c.room = r
	c.queue.writing = true
	return c
}

func storedEvents(from, to int64) ([]StoredEvent, []floor.Event) {
	var stored []StoredEvent
	var decoded []floor.Event
	for seq := from; seq <= to; seq++ {
		e := floor.Event{Seq: seq, Type: floor.EventModerator, Actor: floor.Actor{UserID: 1, Role: floor.RoleChair}, At: start, Text: "note " + strconv.FormatInt(seq, 10)}
		stored = append(stored, StoredEvent{Seq: seq, Type: e.Type, Frame: AppendEvent(nil, e)})
		decoded = append(decoded, e)
	}
	return stored, decoded
}

func queuedSeqs(t *testing.T, c *Conn) []int64 {
	t.Helper()
	frames, _, _, _ := c.queue.take()
	var seqs []int64
	for _, f := range frames {
		e, err := StoredEvent{Frame: f}.Event()
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, e.Seq)
	}
	return seqs
}

func loadedRoom(h *Hub, seq int64) *Room {
	r := openRoom(h, 7)
	r.state = floor.NewState(floor.ModeTurns, 0, 0)
	r.state.Seq, r.delivered, r.loaded = seq, seq, true
	return r
}

func TestRoomDeliversEachEventOnceInOrderAndStopsAtAGap(t *testing.T) {
	h := testHub(16)
	r := loadedRoom(h, 2)
	c := member(h, r)
	if !r.register(c, 2) {
		t.Fatal("register refused")
	}
	events, decoded := storedEvents(1, 4)
	if !r.deliver(events, decoded) {
		t.Fatal("contiguous events reported a gap")
	}
	// Seen again (a notification after a local delivery): nothing is repeated.
	r.deliver(events, nil)
	later, _ := storedEvents(6, 6)
	if r.deliver(later, nil) {
		t.Fatal("a gap went unnoticed")
	}
	if got := queuedSeqs(t, c); len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Fatalf("queued seqs %v, want [3 4]", got)
	}
}

func TestJoiningConnectionRegistersOnlyWhenItHasEverythingTheRoomDelivered(t *testing.T) {
	h := testHub(16)
	r := loadedRoom(h, 5)
	c := member(h, r)
	if r.register(c, 4) {
		t.Fatal("registered a connection that missed seq 5")
	}
	// The joining connection read further than the room delivered: the room's later delivery
	// of those events is skipped for it.
	if !r.register(c, 7) {
		t.Fatal("register refused")
	}
	events, decoded := storedEvents(6, 8)
	r.deliver(events, decoded)
	if got := queuedSeqs(t, c); len(got) != 1 || got[0] != 8 {
		t.Fatalf("queued seqs %v, want [8]", got)
	}
}

func TestSlowConnectionIsClosedAndTheRoomGoesOn(t *testing.T) {
	h := testHub(2)
	r := loadedRoom(h, 0)
	slow, fast := member(h, r), member(h, r)
	r.register(slow, 0)
	r.register(fast, 0)
	events, decoded := storedEvents(1, 2)
	r.deliver(events, decoded)
	queuedSeqs(t, fast) // the fast client's writer took its frames
	more, decodedMore := storedEvents(3, 4)
	r.deliver(more, decodedMore)

	select {
	case <-slow.closed:
	default:
		t.Fatal("the overflowing connection was not closed")
	}
	if slow.closeCode != websocket.CloseTryAgainLater {
		t.Fatalf("close code %d, want 1013", slow.closeCode)
	}
	if got := queuedSeqs(t, fast); len(got) != 2 || got[1] != 4 {
		t.Fatalf("the other connection got %v", got)
	}
}

func TestRoomSchedulesTheTurnDeadline(t *testing.T) {
	h := testHub(4)
	r := loadedRoom(h, 0)
	grant := floor.Event{Seq: 1, Type: floor.EventFloorGranted, Seat: floor.SeatA, Actor: floor.Actor{Role: floor.RoleChair}, At: start,
		Deadline: start.Add(2 * time.Minute)}
	r.deliver([]StoredEvent{{Seq: 1, Type: grant.Type, Frame: AppendEvent(nil, grant)}}, nil)
	if !r.deadline.Equal(grant.Deadline) {
		t.Fatalf("deadline %v, want %v", r.deadline, grant.Deadline)
	}
}

func TestSendQueueWaitsForRoomWhileReplaying(t *testing.T) {
	q := newSendQueue(1)
	stop := make(chan struct{})
	if ok, start := q.pushWait([]byte("1"), stop); !ok || !start {
		t.Fatalf("first frame: queued %v, writer started %v", ok, start)
	}
	pushed := make(chan bool)
	go func() {
		ok, _ := q.pushWait([]byte("2"), stop)
		pushed <- ok
	}()
	frames, _, _, _ := q.take()
	q.done(frames)
	if !<-pushed {
		t.Fatal("the waiting frame was dropped")
	}
	go func() {
		ok, _ := q.pushWait([]byte("3"), stop)
		pushed <- ok
	}()
	close(stop)
	if <-pushed {
		t.Fatal("pushWait kept waiting after stop")
	}
}

// TestSendQueueStartsOneWriterOnlyWhileThereIsWork: an idle connection has no writer; the
// first frame, ping or close starts one, and only one, until it finds the queue empty.
func TestSendQueueStartsOneWriterOnlyWhileThereIsWork(t *testing.T) {
	q := newSendQueue(4)
	if _, start := q.push([]byte("1")); !start {
		t.Fatal("the first frame started no writer")
	}
	if _, start := q.push([]byte("2")); start {
		t.Fatal("a second writer was started")
	}
	if q.requestPing() {
		t.Fatal("a ping started a second writer")
	}
	frames, ping, closing, more := q.take()
	if len(frames) != 2 || !ping || closing || !more {
		t.Fatalf("took %d frames, ping %v, closing %v, more %v", len(frames), ping, closing, more)
	}
	q.done(frames)
	if _, _, _, more := q.take(); more {
		t.Fatal("the writer was kept with nothing to write")
	}
	if !q.requestPing() {
		t.Fatal("a ping on an idle connection started no writer")
	}
	if _, _, _, more := q.take(); !more {
		t.Fatal("the ping was lost")
	}
	if _, _, _, more := q.take(); more {
		t.Fatal("the writer was kept after the ping")
	}
	if !q.close() {
		t.Fatal("closing an idle connection started no writer")
	}
	if _, _, closing, more := q.take(); !closing || !more {
		t.Fatal("the writer was not told to close")
	}
	if ok, start := q.push([]byte("late")); !ok || start {
		t.Fatalf("a frame after the close: queued %v, writer started %v", ok, start)
	}
	if q.requestPing() || q.close() {
		t.Fatal("a writer was started after the close")
	}
}

func TestActionClassFollowsWhoMaySendTheCommand(t *testing.T) {
	cases := []struct {
		command string
		role    floor.Role
		want    string
	}{
		{floor.CommandSay, floor.RoleA, ActionSpeak},
		{floor.CommandRequestFloor, floor.RoleChair, ActionSpeak},
		{floor.CommandGrant, floor.RoleB, ActionModerate},
		{floor.CommandEnd, floor.RoleChair, ActionModerate},
		{floor.CommandPause, floor.RoleA, ActionSpeak},
		{floor.CommandPause, floor.RoleChair, ActionModerate},
	}
	for _, tc := range cases {
		if got := ActionClass(tc.command, tc.role); got != tc.want {
			t.Errorf("%s by %s: %s, want %s", tc.command, tc.role, got, tc.want)
		}
	}
}

func TestListenerConnectionIsNamed(t *testing.T) {
	cases := map[string]string{
		"postgres://u@h/db?sslmode=disable": "postgres://u@h/db?application_name=amend-listen-x&sslmode=disable",
		"host=/tmp dbname=db":               "host=/tmp dbname=db application_name=amend-listen-x",
	}
	for dsn, want := range cases {
		if got := withApplicationName(dsn, "amend-listen-x"); got != want {
			t.Errorf("%s: %s, want %s", dsn, got, want)
		}
	}
}

// A room's hearing follows the newest seq it is told of, whichever way it hears of it first: a
// command's result, the events it reads, or another instance's notification.
func TestRoomHearingNeverGoesBackToAnOlderSeq(t *testing.T) {
	heardAt := func(seq int64, holder string) floor.Hearing {
		return floor.HearingOf(floor.State{Seq: seq, Mode: floor.ModeTurns, Holder: holder})
	}
	tests := []struct {
		name  string
		told  []floor.Hearing
		want  floor.Hearing
		heard string
	}{
		{"the first one told", []floor.Hearing{heardAt(3, floor.SeatA)}, heardAt(3, floor.SeatA), "a"},
		{"a newer one replaces it", []floor.Hearing{heardAt(3, floor.SeatA), heardAt(5, floor.SeatB)}, heardAt(5, floor.SeatB), "b"},
		{"an older one told late is ignored", []floor.Hearing{heardAt(5, floor.SeatB), heardAt(4, floor.SeatA)}, heardAt(5, floor.SeatB), "b"},
		{"the same seq told twice stays", []floor.Hearing{heardAt(5, floor.SeatB), heardAt(5, floor.SeatB)}, heardAt(5, floor.SeatB), "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := openRoom(nil, 1)
			for _, h := range tc.told {
				r.hear(h)
			}
			got := r.Hearing()
			if got != tc.want {
				t.Fatalf("hearing of seq %d, want seq %d", got.Seq(), tc.want.Seq())
			}
			other := map[string]string{floor.SeatA: floor.SeatB, floor.SeatB: floor.SeatA}[tc.heard]
			if !got.Heard(floor.Role(tc.heard)) || got.Heard(floor.Role(other)) || !got.Heard(floor.RoleChair) {
				t.Fatalf("heard a=%v b=%v chair=%v, want %s and the chair", got.Heard(floor.RoleA), got.Heard(floor.RoleB), got.Heard(floor.RoleChair), tc.heard)
			}
		})
	}
}
