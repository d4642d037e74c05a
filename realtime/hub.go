package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Action classes: what the access policy is asked before a participant's command runs.
const (
	ActionJoin     = "join"
	ActionSpeak    = "speak"    // commands only partners send, and a partner's pause
	ActionModerate = "moderate" // commands only the chair sends, and the chair's pause
)

// ActionClass says which policy action a command of this type by a participant in role needs.
func ActionClass(commandType string, role Role) string {
	allowed, _ := sendersOf(commandType)
	switch {
	case allowed == byChair:
		return ActionModerate
	case allowed == byPartner:
		return ActionSpeak
	case role == RoleChair:
		return ActionModerate
	}
	return ActionSpeak
}

// HubConfig tunes the live-session plumbing; zero fields take the defaults in brackets.
type HubConfig struct {
	// DSN is the database the listener connects to for notifications from other instances.
	DSN string
	// Instance names this process in notifications and presence [random].
	Instance string
	// PongWait is how long a silent connection lives [60s]; PingPeriod how often it is pinged [25s].
	PongWait   time.Duration
	PingPeriod time.Duration
	// WriteWait bounds each write to a client [10s].
	WriteWait time.Duration
	// MaxFrameBytes is the largest message a client may send [16 KiB].
	MaxFrameBytes int
	// SendQueue is how many frames may wait for a slow client before it is closed [256].
	SendQueue int
	// CommandRate and CommandBurst limit a connection's commands [20/s, 40]; DraftRate and
	// DraftBurst its drafts [10/s, 20].
	CommandRate  rate.Limit
	CommandBurst int
	DraftRate    rate.Limit
	DraftBurst   int
	// Resync is how often a room re-reads the log in case a notification was lost [5s].
	Resync time.Duration
	// AliveEvery is how often connections' sign-ins are checked [30s].
	AliveEvery time.Duration
	// SessionAlive reports whether a sign-in (auth session) still holds and its user is still an
	// active member of the practice (of any practice when practiceID is 0); nil skips the check.
	SessionAlive func(ctx context.Context, authSessionID, practiceID int64) (bool, error)
	// PresenceEvery is how often this instance refreshes its presence rows [10s].
	PresenceEvery time.Duration
	// NoticeStreamsPerUser is how many notice streams one account may hold open on this
	// instance [10]; NoticeQueue how many notices may wait for a slow stream before it is
	// closed [64].
	NoticeStreamsPerUser int
	NoticeQueue          int
	// Media is the forwarding unit that carries voice and video; nil leaves the rooms text only.
	Media Media
	// MediaLease is how long a session's media lease lasts unless renewed; the holder renews it
	// every third of that [6s].
	MediaLease time.Duration
	// HearingWait bounds how long a floor change commanded on an instance that relays media of
	// the session waits for the instance carrying it to apply the change before it is answered
	// and fanned out anyway; the carrier then applies it when it reads the events [100ms].
	HearingWait time.Duration
	// Clock is the time commands and turn timers go by [time.Now].
	Clock    func() time.Time
	Registry prometheus.Registerer
	Logger   *slog.Logger
}

func (c HubConfig) withDefaults() HubConfig {
	if c.Instance == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.Instance = hex.EncodeToString(b[:])
	}
	setDuration(&c.PongWait, 60*time.Second)
	setDuration(&c.PingPeriod, 25*time.Second)
	setDuration(&c.WriteWait, 10*time.Second)
	setDuration(&c.Resync, 5*time.Second)
	setDuration(&c.AliveEvery, 30*time.Second)
	setDuration(&c.PresenceEvery, 10*time.Second)
	setDuration(&c.MediaLease, 6*time.Second)
	setDuration(&c.HearingWait, 100*time.Millisecond)
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 16 << 10
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 256
	}
	if c.NoticeStreamsPerUser <= 0 {
		c.NoticeStreamsPerUser = 10
	}
	if c.NoticeQueue <= 0 {
		c.NoticeQueue = 64
	}
	if c.CommandRate <= 0 {
		c.CommandRate, c.CommandBurst = 20, 40
	}
	if c.DraftRate <= 0 {
		c.DraftRate, c.DraftBurst = 10, 20
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func setDuration(d *time.Duration, fallback time.Duration) {
	if *d <= 0 {
		*d = fallback
	}
}

// Participant is who joins a room, as the server resolved them: their role is fixed for the
// connection, and so is what the access policy lets them do.
type Participant struct {
	UserID int64
	// PracticeID is the practice the live session belongs to: the connection lasts only as long
	// as the user's membership there.
	PracticeID int64
	Role       Role
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
	h.loops.Add(2)
	go h.background()
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

// Execute runs a command for a participant outside a connection (the REST command endpoint)
// and delivers its events like a connection's command.
func (h *Hub) Execute(ctx context.Context, sessionID int64, cmd Command, actor Actor) (Result, error) {
	return h.execute(ctx, sessionID, cmd, actor)
}

// Commands are committed in batches by a few committers per instance. A session always goes to
// the same committer, so its commands keep their order; different sessions share commits.
const (
	commitShards  = 4
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
func (h *Hub) execute(ctx context.Context, sessionID int64, cmd Command, actor Actor) (Result, error) {
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
			h.bus.committed(r.p.SessionID, out.Result.Seq)
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

// hearingRelayed is the bus telling who is heard in a session after a command on another
// instance; it reports whether this instance carries the session's media.
func (h *Hub) hearingRelayed(sessionID int64, hearing Hearing) bool {
	if room := h.room(sessionID); room != nil {
		room.hear(hearing)
	}
	return h.media != nil && h.media.local.Carries(sessionID)
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

// eventsCommitted is the bus telling that another instance advanced a session.
func (h *Hub) eventsCommitted(sessionID, seq int64) {
	if room := h.room(sessionID); room != nil {
		room.want(seq)
	}
}

func (h *Hub) draftRelayed(sessionID int64, seat, text string) {
	if room := h.room(sessionID); room != nil {
		room.broadcast(EncodeDraft(seat, text), nil)
	}
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

// pingRounds is how many rounds the ping loop takes per ping period: each round pings the
// connections that are due, so the pings, and the short-lived writers that send them, are
// spread over the period instead of arriving all at once.
const pingRounds = 25

// background pings every connection, refreshes presence and checks sign-ins, with one timer
// each for the whole hub rather than per connection.
func (h *Hub) background() {
	defer h.loops.Done()
	h.loops.Add(1)
	go h.presenceLoop()
	ping := time.NewTicker(h.cfg.PingPeriod / pingRounds)
	presence := time.NewTicker(h.cfg.PresenceEvery)
	alive := time.NewTicker(h.cfg.AliveEvery)
	safety := time.NewTicker(h.cfg.Resync)
	defer safety.Stop()
	defer ping.Stop()
	defer presence.Stop()
	defer alive.Stop()
	for {
		select {
		case <-h.done:
			return
		case now := <-ping.C:
			h.pingDue(now)
		case <-presence.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := h.log.keepPresence(ctx, h.cfg.Instance); err != nil {
				h.logger.Warn("live presence refresh failed", "err", err)
			}
			cancel()
		case <-alive.C:
			h.checkSignIns()
		case <-safety.C:
			h.safetyRound()
		}
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
// the session's practice was disabled, on whichever instance that happened.
func (h *Hub) checkSignIns() {
	if h.cfg.SessionAlive == nil {
		return
	}
	type access struct{ authSession, practice int64 }
	h.mu.Lock()
	held := map[access]bool{}
	for c := range h.conns {
		held[access{c.p.AuthSession, c.p.PracticeID}] = true
	}
	h.mu.Unlock()
	ended := map[access]bool{}
	for a := range held {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok, err := h.cfg.SessionAlive(ctx, a.authSession, a.practice)
		cancel()
		if err == nil && !ok {
			ended[a] = true
		}
	}
	if len(ended) > 0 {
		h.closeWhere(func(c *Conn) bool { return ended[access{c.p.AuthSession, c.p.PracticeID}] },
			websocket.ClosePolicyViolation, "Your access has ended.")
	}
}
