package realtime

import "sync"

// sendQueue is a connection's bounded queue of outgoing frames. It holds no memory while empty,
// so idle connections stay small; frames are shared between connections and never modified.
type sendQueue struct {
	mu     sync.Mutex
	frames [][]byte
	ping   bool
	limit  int
	// ready wakes the writer; space wakes a producer waiting for room (the replay on join).
	ready chan struct{}
	space chan struct{}
}

func newSendQueue(limit int) *sendQueue {
	return &sendQueue{limit: limit, ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// push adds a frame, or returns false when the queue is full.
func (q *sendQueue) push(frame []byte) bool {
	q.mu.Lock()
	if len(q.frames) >= q.limit {
		q.mu.Unlock()
		return false
	}
	q.frames = append(q.frames, frame)
	q.mu.Unlock()
	signal(q.ready)
	return true
}

// pushWait adds a frame, waiting for room while the queue is full; it gives up when stop closes.
func (q *sendQueue) pushWait(frame []byte, stop <-chan struct{}) bool {
	for !q.push(frame) {
		select {
		case <-q.space:
		case <-stop:
			return false
		}
	}
	return true
}

// requestPing asks the writer to send a ping with its next batch.
func (q *sendQueue) requestPing() {
	q.mu.Lock()
	q.ping = true
	q.mu.Unlock()
	signal(q.ready)
}

// take hands the writer everything queued; it gives the slice back with done.
func (q *sendQueue) take() (frames [][]byte, ping bool) {
	q.mu.Lock()
	frames, q.frames = q.frames, nil
	ping, q.ping = q.ping, false
	q.mu.Unlock()
	return frames, ping
}

// done returns a taken slice for reuse (small ones only, so a burst does not pin memory) and
// tells a waiting producer there is room.
func (q *sendQueue) done(frames [][]byte) {
	clear(frames)
	q.mu.Lock()
	if cap(frames) <= 16 && q.frames == nil {
		q.frames = frames[:0]
	}
	q.mu.Unlock()
	signal(q.space)
}

// signal wakes whoever waits on a one-slot channel, without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
