package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/realtime/floor"
)

// Notice types: what a person's open screens are told. Ready opens every stream; resync says
// notices may have been lost, so the screen re-reads its data as after a reconnect.
const (
	NoticeReady               = "ready"
	NoticeResync              = "resync"
	NoticeLiveSessionStarted  = "live_session_started"
	NoticeLiveSessionEnded    = "live_session_ended"
	NoticeAssignmentAssigned  = "assignment_assigned"
	NoticeAssignmentReviewed  = "assignment_reviewed"
	NoticeAssignmentSubmitted = "assignment_submitted"
	NoticeCommitmentConfirmed = "commitment_confirmed"
	// NoticeMeasureFlagged tells the care team that a questionnaire answer asks them to check on
	// a partner's safety.
	NoticeMeasureFlagged = "measure_flagged"
)

// Notice tells a screen that something it shows changed. It carries ids only, never text: the
// screen reads what changed through the API, whose access checks apply as to any read.
type Notice struct {
	Type          string `json:"type"`
	CoupleID      int64  `json:"couple_id,omitempty"`
	LiveSessionID int64  `json:"live_session_id,omitempty"`
	AssignmentID  int64  `json:"assignment_id,omitempty"`
	CommitmentID  int64  `json:"commitment_id,omitempty"`
}

// noticeNote travels between instances on channelNotices: a notice for some users, or the end
// of a sign-in or of a user's access, whose streams close on every instance.
type noticeNote struct {
	Users      []int64 `json:"u,omitempty"`
	Notice     *Notice `json:"n,omitempty"`
	EndSession int64   `json:"end_session,omitempty"`
	EndUser    int64   `json:"end_user,omitempty"`
}

// usersPerNote bounds a note's recipients so that its payload stays far below maxPayload.
const usersPerNote = 200

// ErrTooManyStreams means the account holds as many notice streams on this instance as allowed.
var ErrTooManyStreams = errors.New("too many notice streams for this account")

// noticeStream is one open event stream: one browser tab of a signed-in person.
type noticeStream struct {
	userID      int64
	authSession int64
	queue       chan []byte   // encoded event frames, bounded
	done        chan struct{} // closed when the stream must end
	once        sync.Once
}

func (s *noticeStream) end() { s.once.Do(func() { close(s.done) }) }

// notices keeps this instance's streams by user and carries notices to them through the bus.
type notices struct {
	db      *sqlx.DB
	cfg     HubConfig
	metrics *noticeMetrics

	mu      sync.Mutex
	byUser  map[int64]map[*noticeStream]struct{}
	closing bool
}

func newNotices(db *sqlx.DB, cfg HubConfig) *notices {
	return &notices{db: db, cfg: cfg, metrics: newNoticeMetrics(cfg.Registry), byUser: map[int64]map[*noticeStream]struct{}{}}
}

type noticeMetrics struct {
	streams   prometheus.Gauge
	refused   prometheus.Counter
	published *prometheus.CounterVec
	delivered prometheus.Counter
	overflows prometheus.Counter
}

func newNoticeMetrics(reg prometheus.Registerer) *noticeMetrics {
	m := &noticeMetrics{
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "amend_notice_streams", Help: "Open notice streams (GET /api/v1/me/events) on this instance.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amend_notice_streams_refused_total", Help: "Notice streams refused because the account had as many open as allowed.",
		}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "amend_notices_published_total", Help: "Notices sent to the other instances, by type.",
		}, []string{"type"}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amend_notices_delivered_total", Help: "Notices queued to open streams on this instance.",
		}),
		overflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "amend_notice_queue_overflows_total", Help: "Notice streams closed because their queue was full.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.streams, m.refused, m.published, m.delivered, m.overflows)
	}
	return m
}

// subscribe opens a stream for a signed-in user, within the per-account limit.
func (n *notices) subscribe(userID, authSession int64) (*noticeStream, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closing {
		return nil, ErrClosing
	}
	mine := n.byUser[userID]
	if len(mine) >= n.cfg.NoticeStreamsPerUser {
		n.metrics.refused.Inc()
		return nil, ErrTooManyStreams
	}
	if mine == nil {
		mine = map[*noticeStream]struct{}{}
		n.byUser[userID] = mine
	}
	s := &noticeStream{userID: userID, authSession: authSession,
		queue: make(chan []byte, n.cfg.NoticeQueue), done: make(chan struct{})}
	mine[s] = struct{}{}
	n.metrics.streams.Inc()
	return s, nil
}

func (n *notices) unsubscribe(s *noticeStream) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if mine := n.byUser[s.userID]; mine != nil {
		delete(mine, s)
		if len(mine) == 0 {
			delete(n.byUser, s.userID)
		}
	}
	n.metrics.streams.Dec()
}

// endWhere ends every local stream that matches.
func (n *notices) endWhere(match func(*noticeStream) bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, mine := range n.byUser {
		for s := range mine {
			if match(s) {
				s.end()
			}
		}
	}
}

// closeAll ends every stream and refuses new ones: the instance is shutting down.
func (n *notices) closeAll() {
	n.mu.Lock()
	n.closing = true
	n.mu.Unlock()
	n.endWhere(func(*noticeStream) bool { return true })
}

// deliver queues a frame to the user's local streams; a stream whose queue is full is closed,
// and its client reconnects and re-reads rather than holding up anyone else.
func (n *notices) deliver(userID int64, frame []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for s := range n.byUser[userID] {
		select {
		case s.queue <- frame:
			n.metrics.delivered.Inc()
		default:
			n.metrics.overflows.Inc()
			s.end()
		}
	}
}

// resync tells every local stream that notices may have been lost.
func (n *notices) resync() {
	frame := encodeNotice(Notice{Type: NoticeResync})
	n.mu.Lock()
	users := make([]int64, 0, len(n.byUser))
	for userID := range n.byUser {
		users = append(users, userID)
	}
	n.mu.Unlock()
	for _, userID := range users {
		n.deliver(userID, frame)
	}
}

// publish sends a note to every instance, this one included (its listener hears it too).
func (n *notices) publish(ctx context.Context, note noticeNote) error {
	payload, err := json.Marshal(note)
	if err != nil {
		return err
	}
	if len(payload) > maxPayload {
		return errors.New("notice payload over the notification limit")
	}
	_, err = n.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channelNotices, string(payload))
	return unavailable(err)
}

// relayed handles a note heard on channelNotices.
func (n *notices) relayed(payload string) {
	var note noticeNote
	if err := json.Unmarshal([]byte(payload), &note); err != nil {
		return
	}
	switch {
	case note.EndSession != 0:
		n.endWhere(func(s *noticeStream) bool { return s.authSession == note.EndSession })
	case note.EndUser != 0:
		n.endWhere(func(s *noticeStream) bool { return s.userID == note.EndUser })
	case note.Notice != nil:
		frame := encodeNotice(*note.Notice)
		for _, userID := range note.Users {
			n.deliver(userID, frame)
		}
	}
}

// anyPractice asks EndedSignIns about a sign-in whatever practice it is used in: a notice stream
// belongs to the person, not to one of their practices.
const anyPractice = 0

// checkSignIns ends the streams whose sign-in has ended (expiry, a reset), asking about every
// sign-in at once, and about each once however many tabs it has open.
func (n *notices) checkSignIns() {
	if n.cfg.EndedSignIns == nil {
		return
	}
	n.mu.Lock()
	held := map[SignIn]bool{}
	for _, mine := range n.byUser {
		for s := range mine {
			held[SignIn{AuthSession: s.authSession, PracticeID: anyPractice}] = true
		}
	}
	n.mu.Unlock()
	ended, err := endedSignIns(n.cfg.EndedSignIns, held)
	if err != nil {
		n.cfg.Logger.Warn("notice sign-in check failed", "err", err)
	}
	if len(ended) > 0 {
		n.endWhere(func(s *noticeStream) bool { return ended[SignIn{AuthSession: s.authSession, PracticeID: anyPractice}] })
	}
}

// run checks sign-ins until done closes.
func (n *notices) run(done <-chan struct{}) {
	alive := time.NewTicker(n.cfg.AliveEvery)
	defer alive.Stop()
	for {
		select {
		case <-done:
			return
		case <-alive.C:
			n.checkSignIns()
		}
	}
}

// encodeNotice writes a notice as one Server-Sent Events frame named by its type.
func encodeNotice(notice Notice) []byte {
	data, _ := json.Marshal(notice) // ids and a type: cannot fail
	frame := make([]byte, 0, len(data)+len(notice.Type)+16)
	frame = append(frame, "event: "...)
	frame = append(frame, notice.Type...)
	frame = append(frame, "\ndata: "...)
	frame = append(frame, data...)
	return append(frame, "\n\n"...)
}

// heartbeatFrame is a comment line: EventSource ignores it, proxies see traffic.
var heartbeatFrame = []byte(": heartbeat\n\n")

// noticeRetry is how long a browser waits before reconnecting a dropped stream, in ms.
const noticeRetry = "retry: 2000\n"

// Notify tells users' open screens about a change, on whichever instance they are connected.
// The caller has checked that each user may know of it.
func (h *Hub) Notify(ctx context.Context, users []int64, notice Notice) error {
	for start := 0; start < len(users); start += usersPerNote {
		chunk := users[start:min(start+usersPerNote, len(users))]
		if err := h.notices.publish(ctx, noticeNote{Users: chunk, Notice: &notice}); err != nil {
			return err
		}
	}
	h.notices.metrics.published.WithLabelValues(notice.Type).Inc()
	return nil
}

// EndSignIn closes, on every instance, the notice streams opened with a sign-in that ended.
func (h *Hub) EndSignIn(ctx context.Context, authSessionID int64) error {
	return h.notices.publish(ctx, noticeNote{EndSession: authSessionID})
}

// endUserNotices closes a user's notice streams here at once and on the other instances.
func (h *Hub) endUserNotices(userID int64) {
	h.notices.endWhere(func(s *noticeStream) bool { return s.userID == userID })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.notices.publish(ctx, noticeNote{EndUser: userID}); err != nil {
		h.logger.Warn("notice stream closure not sent to other instances", "err", err)
	}
}

// OnSessionEnded registers what to do when a live session ends on this instance (tell the
// people who may join it). It runs on its own goroutine, never holding up the committer.
func (h *Hub) OnSessionEnded(fn func(sessionID int64)) { h.sessionEnded = fn }

// noticeEnded calls the OnSessionEnded function when a command's events ended its session.
func (h *Hub) noticeEnded(sessionID int64, res Result) {
	if h.sessionEnded == nil {
		return
	}
	for _, e := range res.Decoded {
		if e.Type == floor.EventEnded {
			go h.sessionEnded(sessionID)
			return
		}
	}
}

// noticeRelayed is the bus handing over a note from channelNotices.
func (h *Hub) noticeRelayed(payload string) { h.notices.relayed(payload) }

// ServeNotices runs a signed-in user's notice stream (Server-Sent Events) until the client goes
// away, the sign-in or access ends, its queue overflows or the instance shuts down. It returns
// ErrTooManyStreams or ErrClosing before anything is written; once the stream is open it
// returns nil.
func (h *Hub) ServeNotices(w http.ResponseWriter, r *http.Request, userID, authSession int64) error {
	stream, err := h.notices.subscribe(userID, authSession)
	if err != nil {
		return err
	}
	defer h.notices.unsubscribe(stream)
	rc := http.NewResponseController(w)
	header := w.Header()
	header.Set("Content-Type", "text/event-stream")
	header.Set("Cache-Control", "no-store")
	header.Set("X-Accel-Buffering", "no") // nginx: pass events through unbuffered
	w.WriteHeader(http.StatusOK)
	// Each write gets its own deadline: the server's write timeout would end the stream early.
	write := func(frame []byte) error {
		_ = rc.SetWriteDeadline(time.Now().Add(h.cfg.WriteWait))
		if _, err := w.Write(frame); err != nil {
			return err
		}
		return rc.Flush()
	}
	ready := append([]byte(noticeRetry), encodeNotice(Notice{Type: NoticeReady})...)
	if write(ready) != nil {
		return nil
	}
	heartbeat := time.NewTicker(h.cfg.PingPeriod)
	defer heartbeat.Stop()
	for {
		var frame []byte
		select {
		case frame = <-stream.queue:
		case <-heartbeat.C:
			frame = heartbeatFrame
		case <-stream.done:
			return nil
		case <-r.Context().Done():
			return nil
		}
		if write(frame) != nil {
			return nil
		}
	}
}
