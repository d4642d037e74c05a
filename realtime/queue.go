package realtime

import "sync"

// sendQueue is a connection's bounded queue of outgoing frames. It holds no memory while empty,
// so idle connections stay small; frames are shared between connections and never modified.
//
// The queue also says when a writer is needed: a connection has a writer goroutine only while
// there is something to write (frames, a ping, the close), so an idle connection costs one
// goroutine, its reader. Whoever is told to start the writer (push, requestPing or close
// returning true) must start exactly one.
type sendQueue struct {
	mu     sync.Mutex
	frames [][]byte
	ping   bool
	limit  int
	// writing is set while a writer runs; it stays set once the writer has closed the socket,
	// so that no writer starts again.
	writing bool
	closing bool
	// finished is set once the writer has taken its last batch: later frames go nowhere.
	finished bool
	// space wakes a producer waiting for room (the replay on join); made when first needed.
	space chan struct{}
}

func newSendQueue(limit int) *sendQueue {
	return &sendQueue{limit: limit}
}

// push adds a frame, or returns ok false when the queue is full. start tells the caller to
// start the writer.
func (q *sendQueue) push(frame []byte) (ok, start bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.finished {
		return true, false
	}
	if len(q.frames) >= q.limit {
		return false, false
	}
	q.frames = append(q.frames, frame)
	return true, q.claimLocked()
}

// pushWait adds a frame, waiting for room while the queue is full; it gives up (ok false) when
// stop closes. start tells the caller to start the writer.
func (q *sendQueue) pushWait(frame []byte, stop <-chan struct{}) (ok, start bool) {
	for {
		q.mu.Lock()
		if q.finished {
			q.mu.Unlock()
			return false, false
		}
		if len(q.frames) < q.limit {
			q.frames = append(q.frames, frame)
			start = q.claimLocked()
			q.mu.Unlock()
			return true, start
		}
		if q.space == nil {
			q.space = make(chan struct{}, 1)
		}
		space := q.space
		q.mu.Unlock()
		select {
		case <-space:
		case <-stop:
			return false, false
		}
	}
}

// requestPing asks the writer to send a ping with its next batch; true tells the caller to
// start the writer.
func (q *sendQueue) requestPing() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ping = true
	return q.claimLocked()
}

// close asks the writer to send what is queued and the close frame; true tells the caller to
// start the writer.
func (q *sendQueue) close() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closing = true
	return q.claimLocked()
}

// claimLocked marks the writer running and reports whether it has to be started.
func (q *sendQueue) claimLocked() bool {
	if q.writing {
		return false
	}
	q.writing = true
	return true
}

// take hands the writer everything queued; it gives the slice back with done. With nothing to
// do and no close asked for, more is false and the writer ends: the next push starts another.
func (q *sendQueue) take() (frames [][]byte, ping, closing, more bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.frames) == 0 && !q.ping && !q.closing {
		q.writing = false
		return nil, false, false, false
	}
	frames, q.frames = q.frames, nil
	ping, q.ping = q.ping, false
	q.finished = q.closing
	return frames, ping, q.closing, true
}

// done returns a taken slice for reuse (small ones only, so a burst does not pin memory) and
// tells a waiting producer there is room.
func (q *sendQueue) done(frames [][]byte) {
	clear(frames)
	q.mu.Lock()
	if cap(frames) <= 16 && q.frames == nil && !q.finished {
		q.frames = frames[:0]
	}
	space := q.space
	q.mu.Unlock()
	if space != nil {
		signal(space)
	}
}

// signal wakes whoever waits on a one-slot channel, without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
