// Package realtime runs live sessions over WebSockets: the rooms, the wire protocol, the event log
// in PostgreSQL and the plumbing between instances; the floor rules themselves live in floor.
package realtime

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/realtime/floor"
)

// Action classes: what the access policy is asked before a participant's command runs.
const (
	ActionJoin     = "join"
	ActionSpeak    = "speak"    // commands only partners send, and a partner's pause
	ActionModerate = "moderate" // commands only the chair sends, and the chair's pause
)

// ActionClass says which policy action a command of this type by a participant in role needs.
func ActionClass(commandType string, role floor.Role) string {
	byChair, byPartner := floor.Sends(floor.RoleChair, commandType), floor.Sends(floor.RoleA, commandType)
	switch {
	case byChair && !byPartner:
		return ActionModerate
	case byPartner && !byChair:
		return ActionSpeak
	case role == floor.RoleChair:
		return ActionModerate
	}
	return ActionSpeak
}

// Participant is who joins a room, as the server resolved them: their role is fixed for the
// connection, and so is what the access policy lets them do.
type Participant struct {
	UserID int64
	// PracticeID is the practice the live session belongs to: the connection lasts only as long
	// as the user's membership there.
	PracticeID int64
	Role       floor.Role
	// AuthSession is the sign-in the connection was opened with; when it ends, the connection does.
	AuthSession int64
	MaySpeak    bool
	MayModerate bool
}

// may reports whether the participant may send a command of this type.
func (p Participant) may(commandType string) bool {
	if ActionClass(commandType, p.Role) == ActionModerate {
		return p.MayModerate
	}
	return p.MaySpeak
}

// signIn is the sign-in the participant's connection lasts as long as.
func (p Participant) signIn() SignIn {
	return SignIn{AuthSession: p.AuthSession, PracticeID: p.PracticeID}
}

// Hub runs this instance's rooms: one per live session with local connections.
type Hub struct {
	cfg      HubConfig
	log      *Log
	bus      *Bus
	metrics  *metrics
	logger   *slog.Logger
	upgrader websocket.Upgrader
	buffers  sync.Pool // messages read from clients
	batches  sync.Pool // frames written to a client at once

	presence *presenceBook
	notices  *notices
	// media routes media signalling to the instance holding each session's media lease; nil
	// when the server carries no media.
	media *mediaRouter
	// sessionEnded is told when a command ends a live session (see OnSessionEnded).
	sessionEnded func(sessionID int64)

	mu      sync.Mutex
	rooms   map[int64]*Room
	conns   map[*Conn]struct{}
	closing bool

	done    chan struct{}
	commits []chan *commitRequest // one per committer, set by Start
	loops   sync.WaitGroup
	readers sync.WaitGroup
}

// NewHub builds the hub over the database; Start connects it to the other instances.
func NewHub(db *sqlx.DB, cfg HubConfig) *Hub {
	cfg = cfg.withDefaults()
	h := &Hub{
		cfg: cfg, log: NewLog(db), metrics: newMetrics(cfg.Registry), logger: cfg.Logger,
		rooms: map[int64]*Room{}, conns: map[*Conn]struct{}{}, done: make(chan struct{}),
		presence: newPresenceBook(), notices: newNotices(db, cfg),
	}
	h.bus = newBus(db, cfg.DSN, cfg.Instance, cfg.Logger, h)
	if cfg.Media != nil {
		h.media = newMediaRouter(h, db)
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout:  10 * time.Second,
		ReadBufferSize:    1024,
		WriteBufferSize:   4096,
		WriteBufferPool:   &sync.Pool{},
		EnableCompression: false,
	}
	size := cfg.MaxFrameBytes + 1
	h.buffers.New = func() any {
		b := make([]byte, size)
		return &b
	}
	h.batches.New = func() any {
		b := make([]byte, 0, 4096)
		return &b
	}
	return h
}

// Log is the hub's event log, for reads outside a connection.
func (h *Hub) Log() *Log { return h.log }

// Instance is the name this instance goes by in notifications.
func (h *Hub) Instance() string { return h.cfg.Instance }

// Start listens for the other instances and starts the hub's background work.
func (h *Hub) Start() error {
	if err := h.bus.start(); err != nil {
		return err
	}
	if h.media != nil {
		h.media.start()
	}
	h.loops.Add(4)
	go h.pingLoop()
	go h.upkeepLoop()
	go h.presenceLoop()
	go func() {
		defer h.loops.Done()
		h.notices.run(h.done)
	}()
	h.commits = make([]chan *commitRequest, commitShards)
	for i := range h.commits {
		h.commits[i] = make(chan *commitRequest, maxBatch*4)
		h.loops.Add(1)
		go h.commitLoop(h.commits[i])
	}
	return nil
}

// Shutdown closes every connection with 1012 (service restart) so clients resume elsewhere,
// waits for them to finish until ctx ends, and disconnects from the other instances.
func (h *Hub) Shutdown(ctx context.Context) {
	h.notices.closeAll()
	h.mu.Lock()
	h.closing = true
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.shut(websocket.CloseServiceRestart, "The server is restarting; reconnect to resume.")
	}
	finished := make(chan struct{})
	go func() {
		h.readers.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
	}
	close(h.done)
	h.loops.Wait()
	if h.media != nil {
		h.media.stop()
	}
	h.bus.stop()
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := h.log.dropPresence(cleanup, h.cfg.Instance); err != nil {
		h.logger.Warn("live presence cleanup failed", "err", err)
	}
}

// socketSendBuffer is each client socket's kernel send buffer: several replay batches' worth.
const socketSendBuffer = 64 << 10

// ErrClosing is returned by Serve while the hub shuts down.
var ErrClosing = errors.New("the live service is shutting down")

// Serve upgrades the request to a WebSocket and runs the participant's connection to the
// session's room; it returns as soon as the connection's pumps run. after is the last seq the
// client has seen, or -1 for none. originAllowed decides the Origin check of the handshake.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, sessionID int64, p Participant, after int64,
	originAllowed func(*http.Request) bool) error {
	h.mu.Lock()
	closing := h.closing
	h.mu.Unlock()
	if closing {
		return ErrClosing
	}
	up := h.upgrader
	up.CheckOrigin = originAllowed
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered the request.
		return nil
	}
	if tcp, ok := ws.NetConn().(*net.TCPConn); ok {
		// A fixed kernel send buffer instead of one that grows to megabytes: a client that stops
		// reading fills it within seconds, then a write waits out the write wait or its send
		// queue overflows, and the connection is closed while the room goes on, rather than the
		// kernel hiding minutes of its backlog.
		_ = tcp.SetWriteBuffer(socketSendBuffer)
	}
	c := newConn(h, ws, p)
	room := h.acquire(sessionID)
	c.room = room
	if !h.track(c) {
		h.release(room)
		c.shut(websocket.CloseServiceRestart, "The server is restarting; reconnect to resume.")
		return nil
	}
	go c.open(after)
	return nil
}

// DisconnectMember closes at once every connection of a user to the live sessions of one
// practice (their membership there was disabled); their sessions elsewhere go on.
func (h *Hub) DisconnectMember(practiceID, userID int64) {
	h.closeWhere(func(c *Conn) bool { return c.p.UserID == userID && c.p.PracticeID == practiceID },
		websocket.ClosePolicyViolation, "Your access has ended.")
	h.endUserNotices(userID)
}

func (h *Hub) closeWhere(match func(*Conn) bool, code int, text string) {
	h.mu.Lock()
	var matched []*Conn
	for c := range h.conns {
		if match(c) {
			matched = append(matched, c)
		}
	}
	h.mu.Unlock()
	for _, c := range matched {
		c.shut(code, text)
	}
}

func (h *Hub) track(c *Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns[c] = struct{}{}
	c.nextPing = time.Now().Add(h.cfg.PingPeriod)
	h.readers.Add(1)
	h.metrics.connections.Inc()
	return true
}

func (h *Hub) untrack(c *Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.metrics.connections.Dec()
	h.readers.Done()
}

// acquire returns the session's room, creating it, and counts one more user of it.
func (h *Hub) acquire(sessionID int64) *Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	room, ok := h.rooms[sessionID]
	if !ok {
		room = openRoom(h, sessionID)
		h.rooms[sessionID] = room
		go room.run()
	}
	room.users++
	return room
}

// release counts one user less of a room and stops it when none is left.
func (h *Hub) release(room *Room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	room.users--
	if room.users == 0 {
		delete(h.rooms, room.id)
		close(room.stop)
	}
}

func (h *Hub) room(sessionID int64) *Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[sessionID]
}

func (h *Hub) allRooms() []*Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	return rooms
}

// eventsCommitted is the bus telling that another instance advanced a session: the room delivers
// the events the notification carried, or reads the log when it carried none or they leave a gap.
func (h *Hub) eventsCommitted(sessionID, seq int64, events []StoredEvent) {
	if room := h.room(sessionID); room != nil && (len(events) == 0 || !room.deliver(events, nil)) {
		room.want(seq)
	}
}

func (h *Hub) draftRelayed(sessionID int64, seat, text string) {
	if room := h.room(sessionID); room != nil {
		room.broadcast(EncodeDraft(seat, text), nil)
	}
}

// hearingRelayed is the bus telling who is heard in a session after a command on another
// instance; it reports whether this instance carries the session's media.
func (h *Hub) hearingRelayed(sessionID int64, hearing floor.Hearing) bool {
	if room := h.room(sessionID); room != nil {
		room.hear(hearing)
	}
	return h.media != nil && h.media.local.Carries(sessionID)
}

// mediaRelayed is the bus telling of media signalling relayed between instances.
func (h *Hub) mediaRelayed(payload string) {
	if h.media != nil {
		h.media.noted(payload)
	}
}

func (h *Hub) presenceChanged(sessionID int64) {
	if room := h.room(sessionID); room != nil {
		room.wantPresence()
	}
}

// resync makes every room re-read the log and presence after notifications may have been lost.
func (h *Hub) resync() {
	h.metrics.notifyLost.Inc()
	h.notices.resync()
	for _, room := range h.allRooms() {
		room.want(math.MaxInt64)
		room.wantPresence()
	}
}
