package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/realtime/floor"
)

// Notification channels shared by every instance.
const (
	channelEvents   = "amend_live"          // "instance|" and a JSON array of eventNotes
	channelDraft    = "amend_live_draft"    // a draftNote as JSON
	channelPresence = "amend_live_presence" // "instance|session,session,…"
	channelNotices  = "amend_notice"        // a noticeNote as JSON: user ids and a notice's ids
	channelHearing  = "amend_hearing"       // "instance|session:hearing", a Hearing as a number
	channelHeard    = "amend_heard"         // "instance|to|session:seq": the media carrier applied a hearing
)

// maxPayload keeps every NOTIFY payload under PostgreSQL's 8000-byte limit.
const maxPayload = 7900

// eventNote tells of one event committed on another instance: its frame, when it fits in a
// notification, or only the seq a session's log reached, which the receiver reads from the log.
type eventNote struct {
	Session int64           `json:"s"`
	Seq     int64           `json:"q"`
	Frame   json.RawMessage `json:"f,omitempty"`
}

// sessionNews is what the next flush announces of one session: the seq its log reached and,
// while they follow one another and fit in a notification, the frames of its events since the
// last flush. Once they do not, events is empty and the seq goes alone.
type sessionNews struct {
	seq    int64
	events []StoredEvent
	bytes  int
}

// draftNote carries a holder's draft to the other instances; it is never stored.
type draftNote struct {
	Instance string `json:"i"`
	Session  int64  `json:"s"`
	Seat     string `json:"seat"`
	Text     string `json:"text"`
}

// busHandler is what the bus tells about notifications from other instances.
type busHandler interface {
	// eventsCommitted says a session's log reached seq; events, when not empty, are its events
	// up to seq as stored (their frames), so the log need not be read for them.
	eventsCommitted(sessionID, seq int64, events []StoredEvent)
	// draftRelayed carries a draft typed on another instance.
	draftRelayed(sessionID int64, seat, text string)
	// presenceChanged says who is connected to a session may have changed.
	presenceChanged(sessionID int64)
	// resync says notifications may have been lost: every room must re-read the log.
	resync()
	// mediaRelayed carries a media_relay notification (see mediaRouter).
	mediaRelayed(payload string)
	// hearingRelayed says who is heard in a session after a command on another instance; it
	// reports whether this instance carries the session's media and so confirms it.
	hearingRelayed(sessionID int64, hearing floor.Hearing) (carried bool)
	// noticeRelayed carries a person's notice (or the end of their streams) from any instance.
	noticeRelayed(payload string)
}

// Bus carries committed events (and drafts and presence changes) between instances. The log
// stays the source of truth: an event whose frame does not fit in a notification is announced
// by its seq only and read from the log, and a lost notification only delays (see resync).
// Committing a transaction that sends a NOTIFY takes a global lock in PostgreSQL, so commands
// never notify in their own transaction: after commit they hand the news to the bus, whose one
// notifier sends whatever accumulated in a single statement, and sends again when more arrived
// meanwhile.
type Bus struct {
	db       *sqlx.DB
	dsn      string
	instance string
	log      *slog.Logger
	handler  busHandler

	mu       sync.Mutex
	news     map[int64]*sessionNews // by session: events not yet announced
	drafts   map[draftKey]string    // latest unsent draft per session and seat
	presence map[int64]struct{}     // sessions whose presence changed
	wake     chan struct{}
	// confirming holds the hearings sent that wait for the media carrier to apply them.
	confirming map[hearingKey]chan struct{}

	listener *pq.Listener
	done     chan struct{}
	stopped  sync.WaitGroup
}

type hearingKey struct{ session, seq int64 }

type draftKey struct {
	session int64
	seat    string
}

func newBus(db *sqlx.DB, dsn, instance string, logger *slog.Logger, handler busHandler) *Bus {
	return &Bus{
		db: db, dsn: dsn, instance: instance, log: logger, handler: handler,
		news: map[int64]*sessionNews{}, drafts: map[draftKey]string{}, presence: map[int64]struct{}{},
		wake: make(chan struct{}, 1), done: make(chan struct{}), confirming: map[hearingKey]chan struct{}{},
	}
}

// start listens on the channels and starts the notifier.
func (b *Bus) start() error {
	b.listener = pq.NewListener(withApplicationName(b.dsn, "amend-listen-"+b.instance), 10*time.Millisecond, time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			b.log.Warn("live notifications interrupted", "event", int(ev), "err", err)
		}
	})
	for _, ch := range []string{channelEvents, channelDraft, channelPresence, channelNotices, channelMedia, channelHearing, channelHeard} {
		if err := b.listener.Listen(ch); err != nil {
			b.listener.Close()
			return err
		}
	}
	b.stopped.Add(2)
	go b.receive()
	go b.notify()
	return nil
}

// stop sends what is pending and closes the listener.
func (b *Bus) stop() {
	close(b.done)
	b.stopped.Wait()
	b.listener.Close()
}

// committed announces a session's events, committed here in seq order.
func (b *Bus) committed(sessionID int64, events []StoredEvent) {
	b.mu.Lock()
	n, pending := b.news[sessionID]
	if !pending {
		n = &sessionNews{}
		b.news[sessionID] = n
	}
	// Frames go while every event since the last flush is among them, in order, and they fit.
	follows := !pending || len(n.events) > 0 && events[0].Seq == n.seq+1
	if follows {
		for _, e := range events {
			n.bytes += len(e.Frame)
		}
		n.events = append(n.events, events...)
	}
	if !follows || n.bytes > maxPayload {
		n.events = nil
	}
	n.seq = max(n.seq, events[len(events)-1].Seq)
	b.mu.Unlock()
	b.poke()
}

// draft relays a holder's draft to the other instances; only the latest per seat is sent.
func (b *Bus) draft(sessionID int64, seat, text string) {
	b.mu.Lock()
	b.drafts[draftKey{sessionID, seat}] = text
	b.mu.Unlock()
	b.poke()
}

// presenceChanged tells the other instances to refresh a session's presence.
func (b *Bus) presenceChanged(sessionID int64) {
	b.mu.Lock()
	b.presence[sessionID] = struct{}{}
	b.mu.Unlock()
	b.poke()
}

// hearingSend bounds sending who is heard, and its confirmation, when nothing waits for it.
const hearingSend = 100 * time.Millisecond

// hearing tells the other instances who is heard in a session after a command, before the
// command is answered or fanned out, at once rather than with the accumulated news: the instance
// carrying the session's media applies it to the next packet without reading the log. With a
// wait, it waits that long at most until that instance says it did.
func (b *Bus) hearing(sessionID int64, h floor.Hearing, wait time.Duration) {
	confirm := wait > 0
	ctx, cancel := context.WithTimeout(context.Background(), max(wait, hearingSend))
	defer cancel()
	key := hearingKey{sessionID, h.Seq()}
	applied := make(chan struct{})
	if confirm {
		b.mu.Lock()
		b.confirming[key] = applied
		b.mu.Unlock()
		defer func() {
			b.mu.Lock()
			delete(b.confirming, key)
			b.mu.Unlock()
		}()
	}
	payload := b.instance + "|" + strconv.FormatInt(sessionID, 10) + ":" + strconv.FormatUint(uint64(h), 10)
	if _, err := b.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channelHearing, payload); err != nil {
		b.log.Warn("live hearing notification failed", "session", sessionID, "err", err)
		return
	}
	if confirm {
		select {
		case <-applied:
		case <-ctx.Done():
			b.log.Warn("live hearing not confirmed by the media instance in time", "session", sessionID)
		}
	}
}

// heard tells instance to that this instance, carrying the session's media, applied the hearing
// of seq.
func (b *Bus) heard(to string, sessionID, seq int64) {
	ctx, cancel := context.WithTimeout(context.Background(), hearingSend)
	defer cancel()
	payload := b.instance + "|" + to + "|" + strconv.FormatInt(sessionID, 10) + ":" + strconv.FormatInt(seq, 10)
	if _, err := b.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channelHeard, payload); err != nil {
		b.log.Warn("live hearing confirmation failed", "session", sessionID, "err", err)
	}
}

// confirmed ends the wait for the hearing of seq in a session, if one is waiting.
func (b *Bus) confirmed(sessionID, seq int64) {
	b.mu.Lock()
	applied := b.confirming[hearingKey{sessionID, seq}]
	delete(b.confirming, hearingKey{sessionID, seq})
	b.mu.Unlock()
	if applied != nil {
		close(applied)
	}
}

func (b *Bus) poke() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// draftEvery is how often drafts alone are sent: a draft changes with every few keystrokes, and
// the latest one a little later reads the same to the person watching it. Drafts go at once with
// events or presence changes.
const draftEvery = 50 * time.Millisecond

// notify sends the accumulated news, one statement per round.
func (b *Bus) notify() {
	defer b.stopped.Done()
	var draftsDue <-chan time.Time
	var draftsSent time.Time
	for {
		select {
		case <-b.wake:
		case <-draftsDue:
			draftsDue = nil
		case <-b.done:
			b.flush(true)
			return
		}
		wait := draftEvery - time.Since(draftsSent)
		switch sent, held := b.flush(wait <= 0); {
		case sent:
			draftsSent = time.Now()
		case held && draftsDue == nil:
			draftsDue = time.After(wait)
		}
	}
}

// flush sends what accumulated; with nothing but drafts, only when withDrafts is set. It reports
// whether it sent drafts, and whether it held some back.
func (b *Bus) flush(withDrafts bool) (sent, held bool) {
	b.mu.Lock()
	news, drafts, presence := b.news, b.drafts, b.presence
	if len(news)+len(presence) == 0 && (len(drafts) == 0 || !withDrafts) {
		b.mu.Unlock()
		return false, len(drafts) > 0
	}
	b.news, b.drafts, b.presence = map[int64]*sessionNews{}, map[draftKey]string{}, map[int64]struct{}{}
	b.mu.Unlock()

	var channels, payloads []string
	prefix := b.instance + "|"
	add := func(channel string, body *strings.Builder) {
		if body.Len() > 0 {
			channels = append(channels, channel)
			payloads = append(payloads, prefix+body.String())
			body.Reset()
		}
	}
	// Drafts go first: one held back was typed before the events that came with it, as the
	// instance's own connections saw it.
	for key, text := range drafts {
		note, err := json.Marshal(draftNote{Instance: b.instance, Session: key.session, Seat: key.seat, Text: text})
		if err != nil || len(note) > maxPayload {
			// A draft too long for a notification stays local; the said text will reach everyone.
			continue
		}
		channels = append(channels, channelDraft)
		payloads = append(payloads, string(note))
	}
	for _, payload := range eventPayloads(news, maxPayload-len(prefix)) {
		channels = append(channels, channelEvents)
		payloads = append(payloads, prefix+payload)
	}
	var body strings.Builder
	for session := range presence {
		if body.Len() > maxPayload-len(prefix)-24 {
			add(channelPresence, &body)
		}
		if body.Len() > 0 {
			body.WriteByte(',')
		}
		body.WriteString(strconv.FormatInt(session, 10))
	}
	add(channelPresence, &body)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := b.db.ExecContext(ctx, `SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS n(c, p)`,
		pq.StringArray(channels), pq.StringArray(payloads))
	if err != nil {
		// The other instances' safety re-read picks the events up; drafts are best effort.
		b.log.Warn("live notification failed", "err", err)
	}
	return len(drafts) > 0, false
}

// eventPayloads packs the news into JSON arrays of eventNotes of at most limit bytes each, a
// session's notes always in one array: its frames when they fit in one, else its seq alone.
func eventPayloads(news map[int64]*sessionNews, limit int) []string {
	var payloads []string
	var body, notes []byte
	for session, n := range news {
		notes = notes[:0]
		for _, e := range n.events {
			notes = appendEventNote(notes, session, e.Seq, e.Frame)
		}
		if len(n.events) == 0 || len(notes)+2 > limit {
			notes = appendEventNote(notes[:0], session, n.seq, nil)
		}
		if len(body) > 0 && len(body)+len(notes)+2 > limit {
			payloads = append(payloads, "["+string(body)+"]")
			body = body[:0]
		}
		if len(body) > 0 {
			body = append(body, ',')
		}
		body = append(body, notes...)
	}
	if len(body) > 0 {
		payloads = append(payloads, "["+string(body)+"]")
	}
	return payloads
}

// appendEventNote appends an eventNote, preceded by a comma when b has one already; the frame,
// being JSON already, goes in as it is.
func appendEventNote(b []byte, session, seq int64, frame []byte) []byte {
	if len(b) > 0 {
		b = append(b, ',')
	}
	b = append(b, `{"s":`...)
	b = strconv.AppendInt(b, session, 10)
	b = append(b, `,"q":`...)
	b = strconv.AppendInt(b, seq, 10)
	if frame != nil {
		b = append(b, `,"f":`...)
		b = append(b, frame...)
	}
	return append(b, '}')
}

// receive drains the listener so its small channel never fills, and dispatches.
func (b *Bus) receive() {
	defer b.stopped.Done()
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-b.done:
			return
		case <-ping.C:
			go func() { _ = b.listener.Ping() }()
		case n := <-b.listener.Notify:
			if n == nil {
				// The listener reconnected: anything sent meanwhile was lost.
				b.handler.resync()
				continue
			}
			b.dispatch(n.Channel, n.Extra)
		}
	}
}

func (b *Bus) dispatch(channel, payload string) {
	if channel == channelNotices {
		b.handler.noticeRelayed(payload)
		return
	}
	if channel == channelMedia {
		b.handler.mediaRelayed(payload)
		return
	}
	if channel == channelDraft {
		var note draftNote
		if json.Unmarshal([]byte(payload), &note) == nil && note.Instance != b.instance {
			b.handler.draftRelayed(note.Session, note.Seat, note.Text)
		}
		return
	}
	from, body, ok := strings.Cut(payload, "|")
	if !ok || from == b.instance {
		return
	}
	if channel == channelHeard {
		to, item, _ := strings.Cut(body, "|")
		if id, seq, ok := sessionItem(item); ok && to == b.instance {
			b.confirmed(id, int64(seq))
		}
		return
	}
	if channel == channelEvents {
		b.relayEvents(body)
		return
	}
	for item := range strings.SplitSeq(body, ",") {
		switch channel {
		case channelPresence:
			if id, err := strconv.ParseInt(item, 10, 64); err == nil {
				b.handler.presenceChanged(id)
			}
		case channelHearing:
			if id, h, ok := sessionItem(item); ok && b.handler.hearingRelayed(id, floor.Hearing(h)) {
				// Confirmed off the receive loop, which never waits for the database.
				go b.heard(from, id, floor.Hearing(h).Seq())
			}
		}
	}
}

// relayEvents hands the events of a notification to the handler, session by session. A note
// that cannot be read is treated like a lost notification: every room re-reads the log.
func (b *Bus) relayEvents(body string) {
	var notes []eventNote
	if err := json.Unmarshal([]byte(body), &notes); err != nil {
		b.log.Warn("live event notification unreadable", "err", err)
		b.handler.resync()
		return
	}
	for len(notes) > 0 {
		session := notes[0].Session
		n := 1
		for n < len(notes) && notes[n].Session == session {
			n++
		}
		var events []StoredEvent
		for _, note := range notes[:n] {
			if note.Frame == nil {
				events = nil
				break
			}
			events = append(events, StoredEvent{Seq: note.Seq, Frame: note.Frame})
		}
		b.handler.eventsCommitted(session, notes[n-1].Seq, events)
		notes = notes[n:]
	}
}

// sessionItem parses "session:number", the shape of the per-session items of notifications.
func sessionItem(item string) (session int64, n uint64, ok bool) {
	id, number, found := strings.Cut(item, ":")
	session, err1 := strconv.ParseInt(id, 10, 64)
	n, err2 := strconv.ParseUint(number, 10, 64)
	return session, n, found && err1 == nil && err2 == nil
}

// withApplicationName names the listener's connection, so an operator can tell it apart in
// pg_stat_activity. dsn is a URL or a key=value string.
func withApplicationName(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("application_name", name)
			u.RawQuery = q.Encode()
			return u.String()
		}
		return dsn
	}
	return dsn + " application_name=" + name
}
