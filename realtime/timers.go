package realtime

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/gorilla/websocket"
)

// pingRounds is how many rounds the ping loop takes per ping period: each round pings the
// connections that are due, so the pings, and the short-lived writers that send them, are
// spread over the period instead of arriving all at once.
const pingRounds = 25

// pingLoop pings the connections that are due, on a timer of its own: nothing it does waits for
// the database, so a slow or stopped database never holds a ping back and never gets a healthy
// client dropped for a missing pong.
func (h *Hub) pingLoop() {
	defer h.loops.Done()
	ping := time.NewTicker(h.cfg.PingPeriod / pingRounds)
	defer ping.Stop()
	for {
		select {
		case <-h.done:
			return
		case now := <-ping.C:
			h.pingDue(now)
		}
	}
}

// upkeepLoop runs, one at a time, the hub's rounds that go to the database, with one timer each
// for the whole hub rather than per connection: refreshing this instance's presence rows,
// checking the sign-ins of the open connections and the safety round.
func (h *Hub) upkeepLoop() {
	defer h.loops.Done()
	presence := time.NewTicker(h.cfg.PresenceEvery)
	alive := time.NewTicker(h.cfg.AliveEvery)
	safety := time.NewTicker(h.cfg.Resync)
	defer presence.Stop()
	defer alive.Stop()
	defer safety.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-presence.C:
			h.refreshPresence()
		case <-alive.C:
			h.checkSignIns()
		case <-safety.C:
			h.safetyRound()
		}
	}
}

// refreshPresence marks this instance's presence rows as still alive.
func (h *Hub) refreshPresence() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.log.keepPresence(ctx, h.cfg.Instance); err != nil {
		h.logger.Warn("live presence refresh failed", "err", err)
	}
}

// pingDue pings the connections whose ping is due.
func (h *Hub) pingDue(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if !now.Before(c.nextPing) {
			c.nextPing = now.Add(h.cfg.PingPeriod)
			c.ping()
		}
	}
}

// safetyRound asks, in two queries for all of this instance's rooms, how far each session's log
// has come and who is connected, so that an event whose notification was lost (an instance died
// between commit and notify) is delivered within a round, and stale presence clears.
func (h *Hub) safetyRound() {
	rooms := h.allRooms()
	if len(rooms) == 0 {
		return
	}
	ids := make([]int64, len(rooms))
	for i, room := range rooms {
		ids[i] = room.id
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	heads, err := h.log.heads(ctx, ids)
	if err != nil {
		h.logger.Warn("live safety round could not read the log", "err", err)
		return
	}
	present, err := h.log.presentIn(ctx, ids, 3*h.cfg.PresenceEvery)
	if err != nil {
		h.logger.Warn("live safety round could not read presence", "err", err)
		return
	}
	for _, room := range rooms {
		room.behind(heads[room.id])
		room.setPresence(present[room.id])
	}
}

// checkSignIns closes connections whose sign-in ended (sign-out, expiry) or whose membership in
// the session's practice was disabled, on whichever instance that happened: one query asks about
// every sign-in the open connections hold.
func (h *Hub) checkSignIns() {
	if h.cfg.EndedSignIns == nil {
		return
	}
	h.mu.Lock()
	held := make(map[SignIn]bool, len(h.conns))
	for c := range h.conns {
		held[c.p.signIn()] = true
	}
	h.mu.Unlock()
	ended, err := endedSignIns(h.cfg.EndedSignIns, held)
	if err != nil {
		h.logger.Warn("live sign-in check failed", "err", err)
	}
	if len(ended) > 0 {
		h.closeWhere(func(c *Conn) bool { return ended[c.p.signIn()] },
			websocket.ClosePolicyViolation, "Your access has ended.")
	}
}

// endedSignIns asks check about the held sign-ins in one call and returns those that ended.
func endedSignIns(check func(context.Context, []SignIn) ([]SignIn, error), held map[SignIn]bool) (map[SignIn]bool, error) {
	if len(held) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ended, err := check(ctx, slices.Collect(maps.Keys(held)))
	if err != nil {
		return nil, err
	}
	gone := make(map[SignIn]bool, len(ended))
	for _, in := range ended {
		gone[in] = true
	}
	return gone, nil
}
