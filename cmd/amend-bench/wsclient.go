package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// seqCheck verifies that a client sees one gap-free, duplicate-free sequence of events, across
// reconnections: each event must carry exactly the next number.
type seqCheck struct {
	last       int64
	gaps       int64
	duplicates int64
}

// start sets the position the client resumes from (the snapshot's seq on a first connection).
func (c *seqCheck) start(seq int64) { c.last = seq }

// see checks one event's seq.
func (c *seqCheck) see(seq int64) {
	switch {
	case seq == c.last+1:
		c.last = seq
	case seq <= c.last:
		c.duplicates++
	default:
		c.gaps++
		c.last = seq
	}
}

// frame is any server frame, decoded loosely.
type frame struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	ID   string `json:"id"`
	Code string `json:"code"`
	Seat string `json:"seat"`
}

// wsClient is one participant's connection. It reconnects with after=SEQ and checks the order.
type wsClient struct {
	url     string
	token   string
	dialer  *websocket.Dialer
	mu      sync.Mutex // guards conn writes and pending
	conn    *websocket.Conn
	pending map[string]chan frame
	check   seqCheck
	checkMu sync.Mutex
	nextID  atomic.Int64
	name    string
	// onEvent is told of every event with its arrival time (for fan-out latency).
	onEvent func(f frame, at time.Time)
	// onMedia, when set, is given every media signalling frame, in order, on the reading goroutine.
	onMedia func(f frame, data []byte)
	closed  chan struct{}
	quit    chan struct{}
	// stalled clients stop reading, like a phone whose app froze: the server must close them
	// when their queue fills, without holding up the room.
	stalled atomic.Bool
}

var (
	errNoAck   = errors.New("no answer before the deadline")
	errDropped = errors.New("the connection dropped before the answer")
)

func (c *wsClient) connect(ctx context.Context, first bool) error {
	u := c.url
	if !first {
		c.checkMu.Lock()
		u += "?after=" + strconv.FormatInt(c.check.last, 10)
		c.checkMu.Unlock()
	}
	header := http.Header{"Authorization": {"Bearer " + c.token}}
	conn, res, err := c.dialer.DialContext(ctx, u, header)
	if err != nil {
		if res != nil {
			return fmt.Errorf("%s: dial: %w (HTTP %d)", c.name, err, res.StatusCode)
		}
		return fmt.Errorf("%s: dial: %w", c.name, err)
	}
	// The first frame is the snapshot.
	_, data, err := conn.ReadMessage()
	if err != nil {
		conn.Close()
		return fmt.Errorf("%s: snapshot: %w", c.name, err)
	}
	var snap frame
	if err := json.Unmarshal(data, &snap); err != nil || snap.Type != "snapshot" {
		conn.Close()
		return fmt.Errorf("%s: first frame is not a snapshot: %.100s", c.name, data)
	}
	if first {
		c.checkMu.Lock()
		c.check.start(snap.Seq)
		c.checkMu.Unlock()
	}
	c.mu.Lock()
	c.conn = conn
	c.closed = make(chan struct{})
	c.quit = make(chan struct{})
	c.mu.Unlock()
	go c.read(conn, c.closed, c.quit)
	return nil
}

func (c *wsClient) read(conn *websocket.Conn, closed, quit chan struct{}) {
	defer close(closed)
	for {
		if c.stalled.Load() {
			// Read nothing more until the connection is dropped: the socket's buffers fill,
			// then the server's send queue, and the server closes the connection.
			<-quit
			return
		}
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		at := time.Now()
		var f frame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		switch f.Type {
		case "ack", "error":
			c.mu.Lock()
			ch := c.pending[f.ID]
			delete(c.pending, f.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- f
			}
		case "snapshot", "draft", "presence":
		default:
			if strings.HasPrefix(f.Type, "media_") && c.onMedia != nil {
				c.onMedia(f, data)
				continue
			}
			if f.Seq > 0 {
				c.checkMu.Lock()
				c.check.see(f.Seq)
				c.checkMu.Unlock()
				if c.onEvent != nil {
					c.onEvent(f, at)
				}
			}
		}
	}
}

// send writes a command and waits for its ack or error; drafts and media frames get no answer.
func (c *wsClient) send(ctx context.Context, cmd map[string]any) (frame, error) {
	typ, _ := cmd["type"].(string)
	var ch chan frame
	c.mu.Lock()
	if c.conn == nil {
		c.mu.Unlock()
		return frame{}, errors.New("not connected")
	}
	if typ != "draft" && !strings.HasPrefix(typ, "media_") {
		id := c.name + "-" + strconv.FormatInt(c.nextID.Add(1), 10)
		cmd["id"] = id
		ch = make(chan frame, 1)
		c.pending[id] = ch
	}
	data, _ := json.Marshal(cmd)
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	err := c.conn.WriteMessage(websocket.TextMessage, data)
	c.mu.Unlock()
	if err != nil || ch == nil {
		return frame{}, err
	}
	select {
	case f, ok := <-ch:
		if !ok {
			return frame{}, errDropped
		}
		return f, nil
	case <-time.After(10 * time.Second):
		return frame{}, errNoAck
	case <-ctx.Done():
		return frame{}, ctx.Err()
	}
}

// closedByServer reads what a stalled client left unread and reports whether the server had
// closed the connection (the stream ends within wait) rather than kept it open.
func (c *wsClient) closedByServer(wait time.Duration) bool {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return true
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			netErr, ok := errors.AsType[net.Error](err)
			return !ok || !netErr.Timeout()
		}
	}
}

// drop closes the connection as a phone losing its network would, and waits for the reader.
func (c *wsClient) drop() {
	c.mu.Lock()
	conn, closed := c.conn, c.closed
	if conn != nil {
		close(c.quit)
	}
	c.conn = nil
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
		<-closed
	}
}

func (c *wsClient) counts() (gaps, dups, last int64) {
	c.checkMu.Lock()
	defer c.checkMu.Unlock()
	return c.check.gaps, c.check.duplicates, c.check.last
}

func wsURL(base string, session int64) string {
	return strings.Replace(base, "http", "ws", 1) + "/api/v1/live/" + strconv.FormatInt(session, 10) + "/ws"
}
