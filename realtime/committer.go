package realtime

import (
	"context"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
	"github.com/amendcare/amend/realtime/floor"
)

// Execute runs a command for a participant outside a connection (the REST command endpoint)
// and delivers its events like a connection's command.
func (h *Hub) Execute(ctx context.Context, sessionID int64, cmd floor.Command, actor floor.Actor) (Result, error) {
	return h.execute(ctx, sessionID, cmd, actor)
}

// Commands are committed in batches by a few committers per instance. A session always goes to
// the same committer, so its commands keep their order; different sessions share commits. Two
// committers keep the peak of four, while their batches are larger at ordinary rates: fewer
// commits, each a WAL flush (docs/benchmarks.md, round two).
const (
	commitShards  = 2
	maxBatch      = 128
	commitTimeout = 10 * time.Second
	// snapshotsKept is how long a committer remembers a session no command has touched.
	snapshotsKept = 5 * time.Minute
)

// commitRequest is a command waiting for its committer.
type commitRequest struct {
	ctx   context.Context
	p     Pending
	start time.Time
	done  chan Outcome
}

// execute runs a command through its session's committer and answers once it is committed.
func (h *Hub) execute(ctx context.Context, sessionID int64, cmd floor.Command, actor floor.Actor) (Result, error) {
	r := &commitRequest{ctx: ctx, p: Pending{SessionID: sessionID, Command: cmd, Actor: actor}, start: time.Now(), done: make(chan Outcome, 1)}
	if h.commits == nil {
		// Not started (no committers): commit it alone.
		h.commit([]*commitRequest{r}, nil)
	} else {
		select {
		case h.commits[uint64(sessionID)%commitShards] <- r:
		case <-ctx.Done():
			return Result{}, pgerr.Map(ctx.Err())
		case <-h.done:
			return Result{}, ErrClosing
		}
	}
	select {
	case out := <-r.done:
		return out.Result, out.Err
	case <-h.done:
		return Result{}, ErrClosing
	}
}

// commitLoop takes whatever commands wait when the previous commit ends as the next batch:
// under light load a batch is one command and waits for nothing; under heavy load one commit
// carries many.
func (h *Hub) commitLoop(in chan *commitRequest) {
	defer h.loops.Done()
	batch := make([]*commitRequest, 0, maxBatch)
	known := newSnapshots()
	sweep := time.NewTicker(snapshotsKept)
	defer sweep.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-sweep.C:
			known.forgetUnused(time.Now().Add(-snapshotsKept))
			continue
		case r := <-in:
			batch = append(batch[:0], r)
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-in:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		h.commit(batch, known)
	}
}

// commit executes a batch, then, in order, hands each command's events to the local room,
// announces them to the other instances and answers its sender. known, when not nil, holds the
// states the committer stored last.
func (h *Hub) commit(batch []*commitRequest, known *snapshots) {
	reqs := make([]*commitRequest, 0, len(batch))
	pending := make([]Pending, 0, len(batch))
	deadline := time.Now().Add(commitTimeout)
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- Outcome{Err: pgerr.Map(err)}
			continue
		}
		if d, ok := r.ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d // never keep a sender waiting past its own deadline
		}
		reqs = append(reqs, r)
		pending = append(pending, r.p)
	}
	if len(reqs) == 0 {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	outs, err := h.log.executeBatch(ctx, pending, h.cfg.Clock(), known)
	h.metrics.batchSize.Observe(float64(len(reqs)))
	for i, r := range reqs {
		out := Outcome{Err: err}
		if err == nil {
			out = outs[i]
		}
		h.metrics.duration.WithLabelValues(r.p.Command.Type).Observe(time.Since(r.start).Seconds())
		h.metrics.commands.WithLabelValues(r.p.Command.Type, outcome(out.Result, out.Err)).Inc()
		if len(out.Result.Events) > 0 {
			h.hear(r.p.SessionID, out.Result)
			if room := h.room(r.p.SessionID); room != nil {
				room.deliverLocal(out.Result)
			}
			h.bus.committed(r.p.SessionID, out.Result.Events)
			h.noticeEnded(r.p.SessionID, out.Result)
		}
		r.done <- out
	}
}

// hear makes who is heard after a command hold for the audio before anyone hears of the command:
// in this instance's room, even when it has yet to read events from elsewhere, and, when the
// command moved the floor and this instance does not carry the session's media, on the instance
// that may, told directly rather than through the log. When this instance relays media of the
// session to that instance, the command waits until it confirms (at most HubConfig.HearingWait),
// so no participant hears of the change before their audio follows it.
func (h *Hub) hear(sessionID int64, res Result) {
	if room := h.room(sessionID); room != nil {
		room.hear(res.Hearing)
	}
	if res.HearingMoved && h.media != nil && !h.media.local.Carries(sessionID) {
		var wait time.Duration
		if h.media.relaysSession(sessionID) {
			wait = h.cfg.HearingWait
		}
		h.bus.hearing(sessionID, res.Hearing, wait)
	}
}

func outcome(res Result, err error) string {
	switch {
	case err != nil:
		return frameCode(fault.ErrorCode(err))
	case res.Resent:
		return "resent"
	}
	return "ok"
}
