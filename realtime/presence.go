package realtime

import (
	"context"
	"sync"
	"time"

	"github.com/amendcare/amend/realtime/floor"
)

// presenceBook gathers this instance's presence work so that it costs a few statements per
// round, however many connections join or leave: the joins and leaves are written to
// live_presence in one statement, and the sessions whose presence may have changed (here or
// on another instance) are re-read in one query. A round starts as soon as the last one ends.
type presenceBook struct {
	mu      sync.Mutex
	changes map[presenceKey]int
	stale   map[int64]struct{}
	wake    chan struct{}
}

type presenceKey struct {
	session int64
	role    floor.Role
}

func newPresenceBook() *presenceBook {
	return &presenceBook{changes: map[presenceKey]int{}, stale: map[int64]struct{}{}, wake: make(chan struct{}, 1)}
}

// change records that a connection of role joined (delta 1) or left (delta -1) the session.
func (b *presenceBook) change(session int64, role floor.Role, delta int) {
	b.mu.Lock()
	k := presenceKey{session, role}
	b.changes[k] += delta
	if b.changes[k] == 0 {
		delete(b.changes, k) // joined and left within one round: nothing to write
	}
	b.mu.Unlock()
	signal(b.wake)
}

// refresh asks for the session's presence to be re-read.
func (b *presenceBook) refresh(session int64) {
	b.mu.Lock()
	b.stale[session] = struct{}{}
	b.mu.Unlock()
	signal(b.wake)
}

// take hands over what waits.
func (b *presenceBook) take() (map[presenceKey]int, map[int64]struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	changes, stale := b.changes, b.stale
	if len(changes) > 0 {
		b.changes = map[presenceKey]int{}
	}
	if len(stale) > 0 {
		b.stale = map[int64]struct{}{}
	}
	return changes, stale
}

// putBack returns what a failed round did not do, to be tried again.
func (b *presenceBook) putBack(changes map[presenceKey]int, stale map[int64]struct{}) {
	b.mu.Lock()
	for k, d := range changes {
		b.changes[k] += d
		if b.changes[k] == 0 {
			delete(b.changes, k)
		}
	}
	for id := range stale {
		b.stale[id] = struct{}{}
	}
	b.mu.Unlock()
}

// presenceRetry is how long a round waits after the database failed it.
const presenceRetry = time.Second

// presenceLoop runs the presence rounds until the hub stops. Presence left unwritten at
// shutdown does not matter: Shutdown deletes this instance's rows.
func (h *Hub) presenceLoop() {
	defer h.loops.Done()
	for {
		select {
		case <-h.done:
			return
		case <-h.presence.wake:
		}
		if h.presenceRound() {
			continue
		}
		select {
		case <-h.done:
			return
		case <-time.After(presenceRetry):
			signal(h.presence.wake)
		}
	}
}

// presenceRound writes the joins and leaves that wait, tells the other instances, and re-reads
// the presence of the sessions that may have changed; false means the database failed it.
func (h *Hub) presenceRound() bool {
	changes, stale := h.presence.take()
	if len(changes) == 0 && len(stale) == 0 {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if len(changes) > 0 {
		if err := h.log.changePresence(ctx, h.cfg.Instance, changes); err != nil {
			h.logger.Warn("live presence update failed", "err", err)
			h.presence.putBack(changes, stale)
			return false
		}
		for k := range changes {
			stale[k.session] = struct{}{}
			h.bus.presenceChanged(k.session)
		}
	}
	var rooms []*Room
	var ids []int64
	for id := range stale {
		if room := h.room(id); room != nil {
			rooms = append(rooms, room)
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return true
	}
	present, err := h.log.presentIn(ctx, ids, 3*h.cfg.PresenceEvery)
	if err != nil {
		h.logger.Warn("live presence read failed", "err", err)
		h.presence.putBack(nil, stale)
		return false
	}
	for _, room := range rooms {
		room.setPresence(present[room.id])
	}
	return true
}
