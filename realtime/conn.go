package realtime

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/amendcare/amend/realtime/floor"
)

// Close codes the server uses besides the standard normal closure.
const (
	// CloseTooSlow closes a connection whose send queue overflowed; it resumes by seq.
	CloseTooSlow = websocket.CloseTryAgainLater
)

// CodeRateLimited and CodeTooLarge are error codes of the connection itself, not the floor.
const (
	CodeRateLimited = "rate_limited"
	CodeTooLarge    = "too_large"
)

// Conn is one participant's WebSocket. One goroutine reads; a writer goroutine runs only while
// there is something to write (frames, a ping, the close), so an idle connection holds one
// goroutine and no write buffer. Everything for the client passes through its bounded send queue.
type Conn struct {
	hub   *Hub
	room  *Room
	ws    *websocket.Conn
	p     Participant
	queue sendQueue
	// lastSeq is the last event queued for this client; guarded by room.mu once registered.
	lastSeq int64
	// nextPing is when the hub's ping loop pings the connection next; guarded by hub.mu.
	nextPing time.Time
	// limits is made on the client's first message: most connections only listen.
	limits *connLimits
	// mediaLimits is made on the client's first media frame: most connections send none.
	mediaLimits *mediaLimits

	closeOnce sync.Once
	closed    chan struct{}
	closeCode int
	closeText string
}

// connLimits are a connection's rate limits of commands, one for drafts and one for everything
// else, and the refusals not yet told to the client.
type connLimits struct {
	commands, drafts *rate.Limiter
	refusals         refusals
}

// mediaLimits are a connection's rate limit of media frames and its refusals not yet told.
type mediaLimits struct {
	frames   *rate.Limiter
	refusals refusals
}

// refusals counts the messages a rate limit refused and tells the client of them at most once
// per rateLimitWindow: the first refusal of a window at once, the others together when the
// window ends, in one rate_limited error naming how many were refused.
type refusals struct {
	// encode makes the rate_limited error for refused messages, the last with id id.
	encode func(id string, refused int) []byte

	mu sync.Mutex
	// refused counts the messages refused since the last rate_limited error; lastID is the id
	// of the last of them that had one.
	refused int
	lastID  string
	// quietUntil ends the window of the last rate_limited error; report tells of the refusals
	// of the window when it ends.
	quietUntil time.Time
	report     *time.Timer
}

// count counts a refused message with id (possibly empty) and tells the client of it, unless a
// window is running.
func (r *refusals) count(c *Conn, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused++
	if id != "" {
		r.lastID = id
	}
	if now := time.Now(); !now.Before(r.quietUntil) {
		r.reportLocked(c, now)
	}
}

// reportLocked sends the rate_limited error for the refusals counted so far and opens a window
// in which further ones are only counted; r.mu is held.
func (r *refusals) reportLocked(c *Conn, now time.Time) {
	c.send(r.encode(r.lastID, r.refused))
	r.refused, r.lastID = 0, ""
	r.quietUntil = now.Add(rateLimitWindow)
	if r.report == nil {
		r.report = time.AfterFunc(rateLimitWindow, func() { r.windowEnded(c) })
	} else {
		r.report.Reset(rateLimitWindow)
	}
}

// windowEnded tells the client of the refusals counted during the window that just ended.
func (r *refusals) windowEnded(c *Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused > 0 {
		r.reportLocked(c, time.Now())
	}
}

// stop ends the window's timer, for a connection that is going away.
func (r *refusals) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.report != nil {
		r.report.Stop()
	}
}

// rateLimitWindow is how often, at most, a connection is told that its rate limits refused
// messages: refusals are counted, not answered one by one, so a client sending too fast gets a
// few frames a second whatever it sends, and a client that reads is never too far behind.
const rateLimitWindow = time.Second

func newConn(h *Hub, ws *websocket.Conn, p Participant) *Conn {
	return &Conn{hub: h, ws: ws, p: p, queue: sendQueue{limit: h.cfg.SendQueue}, closed: make(chan struct{})}
}

// shut asks the writer to close the connection with code; the first call wins and reports true.
func (c *Conn) shut(code int, text string) (first bool) {
	c.closeOnce.Do(func() {
		first = true
		c.closeCode, c.closeText = code, text
		close(c.closed)
		if c.queue.close() {
			go c.write()
		}
	})
	return first
}

// send queues a frame; a client too slow to take it is closed and will resume by seq.
func (c *Conn) send(frame []byte) {
	ok, start := c.queue.push(frame)
	if start {
		go c.write()
	}
	if !ok && c.shut(CloseTooSlow, "Too far behind; reconnect with your last seq.") {
		c.hub.metrics.overflows.Inc()
	}
}

// ping has the writer send a ping.
func (c *Conn) ping() {
	if c.queue.requestPing() {
		go c.write()
	}
}

// sendEvent queues an event unless the client has it already; the room holds its lock.
func (c *Conn) sendEvent(e StoredEvent) {
	if e.Seq <= c.lastSeq {
		return
	}
	c.lastSeq = e.Seq
	c.send(e.Frame)
}

// open joins the room, then hands the connection to a reader of its own: the join's database
// work grows a goroutine's stack, and the reader then lives as long as the connection.
func (c *Conn) open(after int64) {
	if err := c.join(after); err != nil {
		if errors.Is(err, ErrSessionNotFound) {
			c.shut(websocket.ClosePolicyViolation, "This session no longer exists.")
		} else if !errors.Is(err, errConnClosed) {
			c.hub.logger.Error("live join failed", "session", c.room.id, "err", err)
			c.shut(websocket.CloseInternalServerErr, "The server could not open the session; please reconnect.")
		}
		c.end(false)
		return
	}
	go c.readUntilClosed()
}

// readUntilClosed reads the client's messages until the connection ends, then leaves the room.
func (c *Conn) readUntilClosed() {
	defer c.end(true)
	c.read()
}

// end closes the connection and lets go of the room; joined says whether it had joined.
func (c *Conn) end(joined bool) {
	c.shut(websocket.CloseNormalClosure, "")
	if c.limits != nil {
		c.limits.refusals.stop()
	}
	if c.mediaLimits != nil {
		c.mediaLimits.refusals.stop()
	}
	c.room.unregister(c)
	if joined {
		c.leaveMedia()
		c.leave()
	}
	c.hub.release(c.room)
	c.hub.untrack(c)
}

var errConnClosed = errors.New("connection closed")

// join sends the snapshot and every event after the client's seq, then registers with the
// room: registration succeeds only when the room has not delivered past what was replayed, so
// the client gets each event once and none is skipped. The snapshot is the room's state and the
// replay comes from the room's latest events when it holds them, so a join usually reads
// nothing from the database; its presence is written with other joins' in the next round.
func (c *Conn) join(after int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	room := c.room
	if err := room.load(ctx); err != nil {
		return err
	}
	if after > room.deliveredSeq() {
		// The client saw events (on another instance) that this room has not read yet: the
		// snapshot must not be older than what the client has.
		if err := room.catchUp(ctx); err != nil {
			return err
		}
	}
	frame, seq, err := room.snapshot()
	if err != nil {
		return err
	}
	if !c.pushWait(frame) {
		return errConnClosed
	}
	if after < 0 || after > seq {
		after = seq
	}
	cursor := after
	for {
		events, err := room.eventsAfter(ctx, cursor)
		if err != nil {
			return err
		}
		for _, e := range events {
			if !c.pushWait(e.Frame) {
				return errConnClosed
			}
			cursor = e.Seq
		}
		if len(events) == 0 && room.register(c, cursor) {
			break
		}
	}
	room.mu.Lock()
	known := room.presence
	room.mu.Unlock()
	if known != nil {
		c.send(known)
	}
	c.hub.presence.change(room.id, c.p.Role, 1)
	return nil
}

// pushWait queues a frame of the join, waiting for room while the queue is full; false means
// the connection closed meanwhile.
func (c *Conn) pushWait(frame []byte) bool {
	ok, start := c.queue.pushWait(frame, c.closed)
	if start {
		go c.write()
	}
	return ok
}

// leave withdraws the connection from presence.
func (c *Conn) leave() {
	c.hub.presence.change(c.room.id, c.p.Role, -1)
}

// read handles the client's messages one at a time, so a client's commands keep their order.
func (c *Conn) read() {
	cfg := c.hub.cfg
	_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait)) })
	for {
		kind, r, err := c.ws.NextReader()
		if err != nil {
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
		bufp := c.hub.buffers.Get().(*[]byte)
		n, err := readUpTo(r, *bufp)
		switch {
		case err != nil:
			c.hub.buffers.Put(bufp)
			return
		case n > cfg.MaxFrameBytes:
			c.hub.buffers.Put(bufp)
			c.send(EncodeError("", floor.Refuse(CodeTooLarge, "The message is larger than the limit.")))
			c.shut(websocket.CloseMessageTooBig, "Message too big.")
			return
		case kind == websocket.TextMessage && !utf8.Valid((*bufp)[:n]):
			// RFC 6455, section 8.1: a text message must be UTF-8, and an endpoint that gets
			// anything else fails the connection (1007) rather than read it as something else.
			c.hub.buffers.Put(bufp)
			c.shut(websocket.CloseInvalidFramePayloadData, "Text messages must be valid UTF-8.")
			return
		default:
			c.handle(kind, (*bufp)[:n])
		}
		c.hub.buffers.Put(bufp)
	}
}

// readUpTo reads a message into buf; a message that does not fit returns len(buf).
func readUpTo(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// handle runs one client message. Every message counts against a rate limit, the malformed
// ones too, so that nothing a client sends can make the server answer faster than the limit.
// A refusal names the message's id whenever the message was a JSON object with a string id.
func (c *Conn) handle(kind int, data []byte) {
	if kind == websocket.TextMessage && c.handleMedia(data) {
		return
	}
	cmd, err := DecodeCommand(data)
	if !c.allow(cmd) {
		return
	}
	switch {
	case kind != websocket.TextMessage:
		c.send(EncodeError(cmd.ID, floor.Refuse(floor.CodeBadRequest, "Send JSON text messages, not binary ones.")))
		return
	case err != nil:
		c.send(EncodeError(cmd.ID, err))
		return
	case !c.p.may(cmd.Type):
		c.hub.metrics.commands.WithLabelValues(cmd.Type, floor.CodeNotAllowed).Inc()
		c.send(EncodeError(cmd.ID, floor.Refuse(floor.CodeNotAllowed, "You may not do that in this session.")))
		return
	}
	actor := floor.Actor{UserID: c.p.UserID, Role: c.p.Role}
	if floor.Ephemeral(cmd.Type) {
		c.draft(cmd, actor)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.hub.execute(ctx, c.room.id, cmd, actor)
	switch {
	case errors.Is(err, ErrSessionNotFound):
		c.shut(websocket.ClosePolicyViolation, "This session no longer exists.")
	case err != nil:
		var refusal *floor.Error
		if !errors.As(err, &refusal) {
			c.hub.logger.Error("live command failed", "session", c.room.id, "type", cmd.Type, "err", err)
		}
		c.send(EncodeError(cmd.ID, err))
	default:
		c.send(EncodeAck(cmd.ID, res.Seq))
	}
}

// allow takes a message from its rate limit (drafts have their own), or counts it as refused.
// The first refusal of a window is told at once; the others are told together when the window
// ends, in one rate_limited error naming how many were refused.
func (c *Conn) allow(cmd floor.Command) bool {
	if c.limits == nil {
		cfg := c.hub.cfg
		c.limits = &connLimits{commands: rate.NewLimiter(cfg.CommandRate, cfg.CommandBurst),
			drafts: rate.NewLimiter(cfg.DraftRate, cfg.DraftBurst), refusals: refusals{encode: EncodeRateLimited}}
	}
	l := c.limits
	limiter := l.commands
	if floor.Ephemeral(cmd.Type) {
		limiter = l.drafts
	}
	if limiter.Allow() {
		return true
	}
	c.hub.metrics.commands.WithLabelValues(cmd.Type, CodeRateLimited).Inc()
	l.refusals.count(c, cmd.ID)
	return false
}

// draft relays the holder's unsent text to the room and the other instances; the floor
// refuses a draft from anyone else. Drafts are never stored.
func (c *Conn) draft(cmd floor.Command, actor floor.Actor) {
	state := c.room.currentState()
	if _, err := floor.Decide(state, cmd, actor, c.hub.cfg.Clock()); err != nil {
		c.hub.metrics.commands.WithLabelValues(cmd.Type, outcome(Result{}, err)).Inc()
		c.send(EncodeError(cmd.ID, err))
		return
	}
	c.hub.metrics.commands.WithLabelValues(cmd.Type, "ok").Inc()
	seat := string(actor.Role)
	c.room.broadcast(EncodeDraft(seat, cmd.Text), c)
	c.hub.bus.draft(c.room.id, seat, cmd.Text)
}

// write sends what is queued and ends when nothing is left; on close it sends what is queued
// (unless the client fell behind or a write failed) and the close frame, and closes the socket.
func (c *Conn) write() {
	wait := c.hub.cfg.WriteWait
	broken := false
	for {
		frames, ping, closing, more := c.queue.take()
		if !more {
			return
		}
		if closing {
			if !broken && c.closeCode != CloseTooSlow {
				broken = c.flush(frames, ping, wait) != nil
			}
			c.queue.done(frames)
			if !broken {
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText),
					time.Now().Add(wait))
			}
			_ = c.ws.Close()
			return
		}
		err := c.flush(frames, ping, wait)
		c.queue.done(frames)
		if err != nil {
			broken = true
			netErr, ok := errors.AsType[net.Error](err)
			if c.shut(websocket.CloseAbnormalClosure, "") && ok && netErr.Timeout() {
				// The client stopped taking what is sent: it is as far behind as one whose
				// queue overflowed, and resumes by seq the same way.
				c.hub.metrics.writeTimeouts.Inc()
			}
		}
	}
}

// maxPooledBatch is the largest batch buffer kept for reuse, so a burst does not pin memory.
const maxPooledBatch = 64 << 10

// flush writes a batch of frames to the socket in one write, then the ping if one is due. Only
// the writer writes data frames, and a write to the socket is never interleaved with another
// (gorilla/websocket's pongs and close replies are whole frames written in one write too), so
// the frames can be laid out here rather than written one system call each.
func (c *Conn) flush(frames [][]byte, ping bool, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	if len(frames) > 0 {
		bufp := c.hub.batches.Get().(*[]byte)
		batch := (*bufp)[:0]
		for _, frame := range frames {
			batch = appendTextFrame(batch, frame)
		}
		socket := c.ws.NetConn()
		err := socket.SetWriteDeadline(deadline)
		if err == nil {
			_, err = socket.Write(batch)
		}
		if cap(batch) <= maxPooledBatch {
			*bufp = batch[:0]
			c.hub.batches.Put(bufp)
		}
		if err != nil {
			return err
		}
	}
	if ping {
		return c.ws.WriteControl(websocket.PingMessage, nil, deadline)
	}
	return nil
}

// appendTextFrame appends payload as one final, unmasked text frame (RFC 6455, section 5.2):
// what a server sends for a message when compression is off.
func appendTextFrame(b, payload []byte) []byte {
	const finText = 0x81
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, finText, byte(n))
	case n <= 0xffff:
		b = append(b, finText, 126, byte(n>>8), byte(n))
	default:
		b = append(b, finText, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}
