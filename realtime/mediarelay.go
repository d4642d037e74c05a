package realtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/realtime/floor"
)

// channelMedia carries "to|from|session|id": a media_relay row for instance to ("*": every
// instance with the session's room).
const channelMedia = "amend_media"

// relayQueue bounds the frames waiting to go to, or to be read from, other instances.
const relayQueue = 1024

// mediaRouter puts a session's media on the one instance holding its lease. A participant's
// media_join on the holder opens their peer connection here; on any other instance their media
// frames are relayed to the holder through PostgreSQL and the holder's frames relayed back, while
// the packets go straight from the participant to the holder's UDP address. When the holder's
// lease lapses, its participants on other instances are told to join again, and the next join
// takes the lease.
type mediaRouter struct {
	h      *Hub
	local  Media
	db     *sqlx.DB
	leases mediaLeases

	mu sync.Mutex
	// held: sessions whose lease this instance holds, with when media was last joined here.
	held map[int64]time.Time
	// relayed: this instance's connections whose media another instance carries.
	relayed map[*Conn]*relayedConn
	byID    map[int64]*Conn
	lastID  int64
	// remotes: participants connected to other instances whose media this instance carries.
	remotes map[remoteKey]*remoteClient

	out     chan relayOut
	in      chan relayIn
	done    chan struct{}
	stopped sync.WaitGroup
}

// relayedConn is a connection of this instance whose media the holder carries.
type relayedConn struct {
	id int64
	mediaHolding
}

// remoteKey names a connection on another instance.
type remoteKey struct {
	instance string
	conn     int64
}

// remoteClient is a participant connected to another instance, as the holder's media sees them.
type remoteClient struct {
	router *mediaRouter
	key    remoteKey
	role   floor.Role
	room   *Room
	since  time.Time
}

// relayNote is a media_relay row's body.
type relayNote struct {
	// Conn is the participant's connection on the instance it is connected to.
	Conn int64      `json:"conn,omitempty"`
	Role floor.Role `json:"role,omitempty"`
	// Signal is a participant's media frame for the holder.
	Signal *MediaFrame `json:"signal,omitempty"`
	// Frame is a frame from the holder for one connection (Conn) or the whole room.
	Frame json.RawMessage `json:"frame,omitempty"`
}

type relayOut struct {
	to      string
	session int64
	note    relayNote
}

type relayIn struct {
	to, from string
	session  int64
	id       int64
}

// relayEveryone addresses a frame to every instance with the session's room.
const relayEveryone = "*"

func newMediaRouter(h *Hub, db *sqlx.DB) *mediaRouter {
	return &mediaRouter{
		h: h, local: h.cfg.Media, db: db, leases: mediaLeases{db: db, instance: h.cfg.Instance, ttl: h.cfg.MediaLease},
		held: map[int64]time.Time{}, relayed: map[*Conn]*relayedConn{}, byID: map[int64]*Conn{},
		remotes: map[remoteKey]*remoteClient{},
		out:     make(chan relayOut, relayQueue), in: make(chan relayIn, relayQueue), done: make(chan struct{}),
	}
}

func (m *mediaRouter) start() {
	m.stopped.Add(3)
	go m.sendLoop()
	go m.receiveLoop()
	go m.leaseLoop()
}

// stop ends the relay and gives up this instance's leases, so another instance takes the
// sessions' media at the next join without waiting for the leases to lapse.
func (m *mediaRouter) stop() {
	close(m.done)
	m.stopped.Wait()
	m.mu.Lock()
	held := make([]int64, 0, len(m.held))
	for session := range m.held {
		held = append(held, session)
	}
	remotes := m.remotes
	m.held, m.remotes = map[int64]time.Time{}, map[remoteKey]*remoteClient{}
	m.mu.Unlock()
	for _, rc := range remotes {
		m.local.Leave(m.roomOf(rc.room), rc)
		m.h.release(rc.room)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.leases.release(ctx, held); err != nil {
		m.h.logger.Warn("live media leases not released", "err", err)
	}
}

// roomOf is the room as the forwarding unit sees it: its media_state reaches every instance.
func (m *mediaRouter) roomOf(room *Room) MediaRoom { return mediaRoom{room, m} }

type mediaRoom struct {
	*Room
	router *mediaRouter
}

// Broadcast sends the frame to the room's connections here and on every other instance.
func (r mediaRoom) Broadcast(frame []byte) {
	r.Room.Broadcast(frame)
	r.router.post(relayOut{to: relayEveryone, session: r.id, note: relayNote{Frame: frame}})
}

// signal handles an admitted connection's media frame: here when this instance carries the
// session's media, else relayed to the instance that does. A join takes the lease when it is free.
func (m *mediaRouter) signal(c *Conn, frame MediaFrame) error {
	switch frame.Type {
	case FrameMediaJoin:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		holder, err := m.leases.take(ctx, c.room.id)
		cancel()
		if err != nil {
			return err
		}
		if holder == m.h.cfg.Instance {
			m.mu.Lock()
			m.held[c.room.id] = time.Now()
			m.mu.Unlock()
			m.unrelay(c)
			break
		}
		if m.relaysTo(c) != holder {
			m.unrelay(c)
			m.local.Leave(m.roomOf(c.room), c)
		}
		m.relay(c, holder, frame)
		return nil
	case FrameMediaLeave:
		if m.unrelay(c) {
			return nil
		}
	default:
		if m.relay(c, "", frame) {
			return nil
		}
	}
	return m.local.Signal(m.roomOf(c.room), c, frame)
}

// relaysSession reports whether a connection of this instance has its media in the session
// carried by another instance.
func (m *mediaRouter) relaysSession(sessionID int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, rc := range m.relayed {
		if rc.session == sessionID {
			return true
		}
	}
	return false
}

// relaysTo is the instance the connection's media is relayed to, or "" when it is not.
func (m *mediaRouter) relaysTo(c *Conn) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rc := m.relayed[c]; rc != nil {
		return rc.holder
	}
	return ""
}

// relay sends the connection's frame to the holder carrying its media (to holder, when set,
// making it the one) and reports whether another instance carries it.
func (m *mediaRouter) relay(c *Conn, holder string, frame MediaFrame) bool {
	m.mu.Lock()
	rc := m.relayed[c]
	if rc == nil && holder != "" {
		m.lastID++
		rc = &relayedConn{id: m.lastID, mediaHolding: mediaHolding{session: c.room.id, holder: holder}}
		m.relayed[c], m.byID[rc.id] = rc, c
	}
	m.mu.Unlock()
	if rc == nil {
		return false
	}
	m.post(relayOut{to: rc.holder, session: rc.session, note: relayNote{Conn: rc.id, Role: c.p.Role, Signal: &frame}})
	return true
}

// unrelay ends the relay of the connection's media, telling its holder, and reports whether
// there was one.
func (m *mediaRouter) unrelay(c *Conn) bool {
	m.mu.Lock()
	rc := m.relayed[c]
	if rc != nil {
		m.forgetLocked(c, rc)
	}
	m.mu.Unlock()
	if rc == nil {
		return false
	}
	m.post(relayOut{to: rc.holder, session: rc.session, note: relayNote{Conn: rc.id, Role: c.p.Role,
		Signal: &MediaFrame{Type: FrameMediaLeave}}})
	return true
}

// leave closes a departing connection's media, wherever it is carried.
func (m *mediaRouter) leave(c *Conn) {
	if !m.unrelay(c) {
		m.local.Leave(m.roomOf(c.room), c)
	}
}

func (m *mediaRouter) forgetLocked(c *Conn, rc *relayedConn) {
	delete(m.relayed, c)
	delete(m.byID, rc.id)
}

// post queues a frame for another instance; when the queue is full the frame is lost, and the
// participant's media recovers by joining again.
func (m *mediaRouter) post(o relayOut) {
	select {
	case m.out <- o:
	default:
		m.h.logger.Warn("live media relay queue full; a frame was dropped", "session", o.session)
	}
}

// sendLoop writes the queued frames, in order, each as a media_relay row and a notification.
func (m *mediaRouter) sendLoop() {
	defer m.stopped.Done()
	for {
		select {
		case <-m.done:
			return
		case o := <-m.out:
			body, err := json.Marshal(o.note)
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err = m.db.ExecContext(ctx, `
					WITH r AS (INSERT INTO media_relay (session_id, to_instance, body) VALUES ($1, $2, $3) RETURNING id)
					SELECT pg_notify($4, $2 || '|' || $5 || '|' || $1 || '|' || id) FROM r`,
					o.session, o.to, string(body), channelMedia, m.h.cfg.Instance)
				cancel()
			}
			if err != nil {
				m.h.logger.Warn("live media relay failed", "session", o.session, "err", err)
			}
		}
	}
}

// noted takes a notification from the bus; frames for this instance are read in order by the
// receive loop, never on the bus's own goroutine.
func (m *mediaRouter) noted(payload string) {
	parts := strings.SplitN(payload, "|", 4)
	if len(parts) != 4 || parts[1] == m.h.cfg.Instance || parts[0] != m.h.cfg.Instance && parts[0] != relayEveryone {
		return
	}
	session, err1 := strconv.ParseInt(parts[2], 10, 64)
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || parts[0] == relayEveryone && m.h.room(session) == nil {
		return
	}
	select {
	case m.in <- relayIn{to: parts[0], from: parts[1], session: session, id: id}:
	default:
		m.h.logger.Warn("live media relay backlog full; a frame was dropped", "session", session)
	}
}

func (m *mediaRouter) receiveLoop() {
	defer m.stopped.Done()
	for {
		select {
		case <-m.done:
			return
		case r := <-m.in:
			if err := m.receive(r); err != nil {
				m.h.logger.Warn("live media relay not read", "session", r.session, "err", err)
			}
		}
	}
}

// receive reads one relayed frame and acts on it. A frame for this instance alone is deleted as
// it is read; a frame for everyone is left to the sweep.
func (m *mediaRouter) receive(r relayIn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	query := `DELETE FROM media_relay WHERE id = $1 RETURNING body`
	if r.to == relayEveryone {
		query = `SELECT body FROM media_relay WHERE id = $1`
	}
	var body string
	if err := m.db.GetContext(ctx, &body, query, r.id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	}
	var note relayNote
	if err := json.Unmarshal([]byte(body), &note); err != nil {
		return err
	}
	switch {
	case note.Signal != nil:
		m.fromParticipant(ctx, r, note)
	case r.to == relayEveryone:
		if room := m.h.room(r.session); room != nil {
			room.Broadcast(note.Frame)
		}
	default:
		m.mu.Lock()
		c := m.byID[note.Conn]
		m.mu.Unlock()
		if c != nil {
			c.Send(note.Frame)
		}
	}
	return nil
}

// errMediaMoved tells a participant that the session's media is now carried elsewhere.
var errMediaMoved = &floor.Error{Code: CodeMediaRejoin, Message: "Voice moved to another server; join again."}

// fromParticipant runs a relayed frame of a participant connected to another instance.
func (m *mediaRouter) fromParticipant(ctx context.Context, r relayIn, note relayNote) {
	key := remoteKey{instance: r.from, conn: note.Conn}
	frame := *note.Signal
	m.mu.Lock()
	rc := m.remotes[key]
	m.mu.Unlock()
	if rc == nil {
		if frame.Type == FrameMediaLeave {
			return
		}
		room := m.h.acquire(r.session)
		if err := room.load(ctx); err != nil {
			m.h.release(room)
			m.toRemote(key, r.session, EncodeMediaError(frame.ID, m.h.mediaRefusal(r.session, frame.Type, err)))
			return
		}
		rc = &remoteClient{router: m, key: key, role: note.Role, room: room, since: time.Now()}
		m.mu.Lock()
		m.remotes[key] = rc
		m.mu.Unlock()
	}
	if frame.Type == FrameMediaJoin {
		holder, err := m.leases.take(ctx, r.session)
		if err == nil && holder != m.h.cfg.Instance {
			err = errMediaMoved
		}
		if err != nil {
			m.forgetRemote(rc)
			rc.Send(EncodeMediaError(frame.ID, m.h.mediaRefusal(r.session, frame.Type, err)))
			return
		}
		m.mu.Lock()
		m.held[r.session], rc.since = time.Now(), time.Now()
		m.mu.Unlock()
	}
	err := m.local.Signal(m.roomOf(rc.room), rc, frame)
	if frame.Type == FrameMediaLeave {
		m.forgetRemote(rc)
	}
	if err != nil {
		rc.Send(EncodeMediaError(frame.ID, m.h.mediaRefusal(r.session, frame.Type, err)))
	}
}

func (m *mediaRouter) forgetRemote(rc *remoteClient) {
	m.mu.Lock()
	_, ok := m.remotes[rc.key]
	if ok {
		delete(m.remotes, rc.key)
	}
	m.mu.Unlock()
	if ok {
		m.local.Leave(m.roomOf(rc.room), rc)
		m.h.release(rc.room)
	}
}

func (m *mediaRouter) toRemote(key remoteKey, session int64, frame []byte) {
	m.post(relayOut{to: key.instance, session: session, note: relayNote{Conn: key.conn, Frame: frame}})
}

// Role is the participant's role in the session.
func (rc *remoteClient) Role() floor.Role { return rc.role }

// Send relays a frame to the participant's connection on its instance.
func (rc *remoteClient) Send(frame []byte) { rc.router.toRemote(rc.key, rc.room.id, frame) }

// leaseLoop renews this instance's leases, gives up those of sessions whose media ended here,
// tells participants whose media holder lapsed to join again, and sweeps unread relay rows.
func (m *mediaRouter) leaseLoop() {
	defer m.stopped.Done()
	tick := time.NewTicker(m.h.cfg.MediaLease / 3)
	defer tick.Stop()
	for {
		select {
		case <-m.done:
			return
		case now := <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), m.h.cfg.MediaLease/3)
			if err := m.tend(ctx, now); err != nil {
				m.h.logger.Warn("live media leases not tended", "err", err)
			}
			cancel()
		}
	}
}

func (m *mediaRouter) tend(ctx context.Context, now time.Time) error {
	grace := m.h.cfg.MediaLease
	var keep, ended []int64
	var idle []*remoteClient
	m.mu.Lock()
	for session, joined := range m.held {
		if now.Sub(joined) > grace && !m.local.Carries(session) {
			ended = append(ended, session)
			delete(m.held, session)
		} else {
			keep = append(keep, session)
		}
	}
	for _, rc := range m.remotes {
		if now.Sub(rc.since) > grace && !m.local.Carries(rc.room.id) {
			idle = append(idle, rc)
		}
	}
	holdings := make([]mediaHolding, 0, len(m.relayed))
	for _, rc := range m.relayed {
		holdings = append(holdings, rc.mediaHolding)
	}
	m.mu.Unlock()
	for _, rc := range idle {
		m.forgetRemote(rc)
	}
	if len(ended) > 0 {
		if err := m.leases.release(ctx, ended); err != nil {
			return err
		}
	}
	if len(keep) > 0 {
		lost, err := m.leases.renew(ctx, keep)
		if err != nil {
			return err
		}
		if len(lost) > 0 {
			// Another instance took the lease while this one could not renew it: its media
			// is no longer the session's, so its participants join again where the lease is.
			m.h.logger.Warn("live media leases lost to another instance", "sessions", len(lost))
			m.mu.Lock()
			for _, session := range lost {
				delete(m.held, session)
			}
			m.mu.Unlock()
			for _, session := range lost {
				m.local.Evict(session, EncodeMediaError("", errMediaMoved))
			}
		}
	}
	if len(holdings) > 0 {
		lapsed, err := m.leases.lapsed(ctx, holdings)
		if err != nil {
			return err
		}
		m.rejoin(lapsed)
	}
	_, err := m.db.ExecContext(ctx, `DELETE FROM media_relay WHERE created_at < now() - interval '1 minute'`)
	return err
}

// rejoin tells this instance's participants whose media holder lapsed to join again.
func (m *mediaRouter) rejoin(lapsed []mediaHolding) {
	if len(lapsed) == 0 {
		return
	}
	gone := map[mediaHolding]bool{}
	for _, h := range lapsed {
		gone[h] = true
	}
	var tell []*Conn
	m.mu.Lock()
	for c, rc := range m.relayed {
		if gone[rc.mediaHolding] {
			m.forgetLocked(c, rc)
			tell = append(tell, c)
		}
	}
	m.mu.Unlock()
	for _, c := range tell {
		c.Send(EncodeMediaError("", errMediaMoved))
	}
}
