package realtime

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/realtime/floor"
)

// replayBatch is how many events a join or a catch-up reads from the log at once.
const replayBatch = 128

// A room keeps its latest events, up to these bounds, for clients that come back: most resume
// from a seq the room still holds and read nothing from the log.
const (
	recentMaxEvents = 512
	recentMaxBytes  = 128 << 10
)

// Room is one live session on this instance: its local connections, the last seq delivered to
// them, the floor state as of that seq (the snapshot joining clients get, and the turn timer),
// the latest events and the last presence sent. Events reach a room from local commits
// directly, and otherwise are read once per room from the log and fanned out in seq order to
// every connection's queue; the room never waits for a client.
type Room struct {
	id   int64
	hub  *Hub
	stop chan struct{}
	wake chan struct{}
	// users counts connections holding the room (joining or joined); guarded by hub.mu.
	users int

	// fetchMu serializes reads of the log, so one read serves every connection.
	fetchMu sync.Mutex

	mu        sync.Mutex
	loaded    bool
	conns     map[*Conn]struct{}
	delivered int64
	state     floor.State
	wanted    int64 // highest seq known to exist
	// recent holds the events up to delivered, oldest first, within recentMaxEvents and recentMaxBytes.
	recent      []StoredEvent
	recentBytes int
	presence    []byte
	deadline    time.Time
	// tickedFor is the deadline a tick found nothing due at, so it is not retried in a loop.
	tickedFor time.Time
	// hearing is a Hearing, published for the forwarding unit, which reads it without the lock.
	hearing atomic.Uint64
}

func openRoom(h *Hub, id int64) *Room {
	return &Room{id: id, hub: h, stop: make(chan struct{}), wake: make(chan struct{}, 1), conns: map[*Conn]struct{}{}}
}

// load reads the session's snapshot the first time the room is used.
func (r *Room) load(ctx context.Context) error {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	r.mu.Lock()
	loaded := r.loaded
	r.mu.Unlock()
	if loaded {
		return nil
	}
	state, err := r.hub.log.snapshot(ctx, r.id)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.state, r.delivered, r.loaded = state, state.Seq, true
	r.hear(floor.HearingOf(state))
	r.scheduleLocked()
	r.mu.Unlock()
	return nil
}

// register adds a joining connection once it has been sent everything up to seq, unless the
// room has delivered beyond seq meanwhile (then the caller reads on and tries again).
func (r *Room) register(c *Conn, seq int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.delivered > seq {
		return false
	}
	c.lastSeq = seq
	r.conns[c] = struct{}{}
	return true
}

func (r *Room) unregister(c *Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

// currentState is the floor as of the last delivered event.
func (r *Room) currentState() floor.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// deliverLocal fans out the events of a command committed here, with no read, when they follow
// what was delivered; otherwise an event from elsewhere is missing and the room reads the log.
func (r *Room) deliverLocal(res Result) {
	if !r.deliver(res.Events, res.Decoded) {
		r.want(res.Seq)
	}
}

// deliver fans out events in seq order, skipping those already delivered. It returns false
// when it met a gap. decoded, when not nil, holds the events as values.
func (r *Room) deliver(events []StoredEvent, decoded []floor.Event) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.loaded {
		return true
	}
	for i, stored := range events {
		if stored.Seq <= r.delivered {
			continue
		}
		if stored.Seq != r.delivered+1 {
			return false
		}
		var e floor.Event
		if decoded != nil {
			e = decoded[i]
		} else {
			var err error
			if e, err = stored.Event(); err != nil {
				r.hub.logger.Error("live event unreadable", "session", r.id, "seq", stored.Seq, "err", err)
				e = floor.Event{Seq: stored.Seq, Type: stored.Type}
			}
		}
		r.state = floor.Apply(r.state, e)
		r.hear(floor.HearingOf(r.state)) // before any client can hear of the event
		r.delivered = stored.Seq
		r.rememberLocked(stored)
		for c := range r.conns {
			c.sendEvent(stored)
		}
		if !e.At.IsZero() {
			r.hub.metrics.fanoutLag.Observe(time.Since(e.At).Seconds())
		}
	}
	r.scheduleLocked()
	return true
}

// rememberLocked keeps a delivered event for clients that resume, forgetting the oldest beyond
// the bounds.
func (r *Room) rememberLocked(e StoredEvent) {
	r.recent = append(r.recent, e)
	r.recentBytes += len(e.Frame)
	drop := 0
	for len(r.recent)-drop > recentMaxEvents || (r.recentBytes > recentMaxBytes && len(r.recent)-drop > 1) {
		r.recentBytes -= len(r.recent[drop].Frame)
		drop++
	}
	if drop > 0 {
		clear(r.recent[:drop])
		r.recent = r.recent[drop:]
	}
}

// snapshot encodes the floor as of the last delivered event.
func (r *Room) snapshot() ([]byte, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	frame, err := EncodeSnapshot(r.state)
	return frame, r.delivered, err
}

// deliveredSeq is the last seq the room delivered.
func (r *Room) deliveredSeq() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delivered
}

// eventsAfter returns events after seq: every one the room delivered, when it still holds them
// all, and otherwise the next batch from the log.
func (r *Room) eventsAfter(ctx context.Context, seq int64) ([]StoredEvent, error) {
	r.mu.Lock()
	oldest := r.delivered - int64(len(r.recent)) + 1
	if seq+1 >= oldest && seq <= r.delivered {
		events := slices.Clone(r.recent[seq+1-oldest:])
		r.mu.Unlock()
		return events, nil
	}
	r.mu.Unlock()
	return r.hub.log.EventsAfter(ctx, r.id, seq, replayBatch)
}

// broadcast sends an ephemeral frame (draft, presence) to every connection but except.
func (r *Room) broadcast(frame []byte, except *Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		if c != except {
			c.send(frame)
		}
	}
}

// want says the log holds events up to seq; the room's worker reads what it has not delivered.
func (r *Room) want(seq int64) {
	r.mu.Lock()
	if seq > r.wanted {
		r.wanted = seq
	}
	r.mu.Unlock()
	signal(r.wake)
}

// wantPresence has the hub re-read who is connected to the session.
func (r *Room) wantPresence() {
	r.hub.presence.refresh(r.id)
}

// scheduleLocked notes the next turn deadline and wakes the worker when it changed.
func (r *Room) scheduleLocked() {
	next, _ := floor.NextDeadline(r.state)
	if !next.Equal(r.deadline) {
		r.deadline = next
		signal(r.wake)
	}
}

// catchUp reads the log after the last delivered seq and fans it out.
func (r *Room) catchUp(ctx context.Context) error {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	for {
		r.mu.Lock()
		after := r.delivered
		r.mu.Unlock()
		events, err := r.hub.log.EventsAfter(ctx, r.id, after, replayBatch)
		if err != nil {
			return err
		}
		r.hub.metrics.logReads.Inc()
		r.deliver(events, nil)
		if len(events) < replayBatch {
			return nil
		}
	}
}

// setPresence records who is connected and tells the room when it changed.
func (r *Room) setPresence(present []floor.Role) {
	frame := EncodePresence(present)
	r.mu.Lock()
	changed := r.loaded && !bytes.Equal(frame, r.presence)
	if r.loaded {
		r.presence = frame
	}
	r.mu.Unlock()
	if changed {
		r.broadcast(frame, nil)
	}
}

// behind tells the room the log has reached seq, so that it reads what it has not delivered. A
// room with a running timer is woken too, so the timer is re-armed against the clock.
func (r *Room) behind(seq int64) {
	r.mu.Lock()
	lagging := r.loaded && seq > r.delivered
	timed := !r.deadline.IsZero()
	r.mu.Unlock()
	if lagging {
		r.want(seq)
	} else if timed {
		signal(r.wake)
	}
}

// run is the room's worker: it reads the log when told events exist and fires the turn timer. (The hub's safety round tells it of events a lost notification hid.)
func (r *Room) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var armed time.Time
	for {
		select {
		case <-r.stop:
			timer.Stop()
			return
		case <-r.wake:
		case <-timer.C:
			armed = time.Time{}
			r.tick()
		}
		r.work()
		r.mu.Lock()
		deadline, loaded := r.deadline, r.loaded
		if deadline.Equal(r.tickedFor) {
			deadline = time.Time{}
		}
		r.mu.Unlock()
		if !loaded || deadline.IsZero() && armed.IsZero() {
			continue
		}
		// Re-armed on every round, so the timer follows the clock rather than a fixed delay.
		timer.Stop()
		armed = deadline
		if !deadline.IsZero() {
			timer.Reset(deadline.Sub(r.hub.cfg.Clock()))
		}
	}
}

// work reads the events the room was told of.
func (r *Room) work() {
	r.mu.Lock()
	fetch := r.loaded && r.wanted > r.delivered
	r.mu.Unlock()
	if !fetch {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.catchUp(ctx); err != nil {
		r.hub.logger.Warn("live room could not read the log", "session", r.id, "err", err)
	}
}

// tick runs the session timer's command at the deadline. Other instances may tick too; the
// floor makes every tick but the first a no-op, so the expiry happens once.
func (r *Room) tick() {
	r.mu.Lock()
	deadline := r.deadline
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := r.hub.execute(ctx, r.id, floor.Command{Type: floor.CommandTick}, floor.Actor{Role: floor.RoleSystem})
	if code := fault.ErrorCode(err); code == fault.Internal || code == fault.Unavailable {
		r.hub.logger.Warn("live session timer failed", "session", r.id, "err", err)
	}
	if err == nil && len(res.Events) == 0 {
		// Another instance got there first, or the deadline moved: read what happened.
		if err := r.catchUp(ctx); err != nil {
			r.hub.logger.Warn("live room could not read the log", "session", r.id, "err", err)
		}
		r.mu.Lock()
		if r.deadline.Equal(deadline) {
			r.tickedFor = deadline
		}
		r.mu.Unlock()
	}
}
