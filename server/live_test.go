package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/store/dbtest"
)

// liveInstance is one server process of a live world: its hub, API and HTTP server.
type liveInstance struct {
	hub      *realtime.Hub
	db       *sqlx.DB // the hub's own pool
	api      *Server
	srv      *httptest.Server
	registry *prometheus.Registry
	stopOnce sync.Once
}

// stop shuts the instance down as serve does: live connections close with 1012 first.
func (in *liveInstance) stop() {
	in.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		in.hub.Shutdown(ctx)
		in.srv.Close()
	})
}

// testClock is a clock the test moves forward, so turn timers expire without waiting.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func newTestClock() *testClock               { return &testClock{} }
func liveConfig(clock *testClock) realtime.HubConfig {
	return realtime.HubConfig{Resync: 50 * time.Millisecond, Clock: clock.now, PresenceEvery: time.Second}
}

// newLiveWorld is a world whose servers run live sessions: n instances on one database, each
// with its own hub and listener. The world's own server is the first instance.
func newLiveWorld(t *testing.T, n int, cfg realtime.HubConfig) (*world, []*liveInstance) {
	t.Helper()
	return newLiveWorldOn(t, dbtest.DSN(t), n, cfg)
}

// startSession has the therapist of p create a live session over REST.
func startSession(t *testing.T, p *practice, body map[string]any) realtime.Session {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	res := p.Therapist.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/live-sessions", body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create live session: %d %s", res.Status, res.Body)
	}
	var s realtime.Session
	res.JSON(t, &s)
	return s
}

// frame is any server frame, decoded loosely.
type frame struct {
	Type    string          `json:"type"`
	Seq     int64           `json:"seq"`
	ID      string          `json:"id"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Refused int             `json:"refused"`
	Seat    string          `json:"seat"`
	Text    string          `json:"text"`
	Present []string        `json:"present"`
	State   json.RawMessage `json:"state"`
	raw     string
}

func (f frame) isEvent() bool {
	switch f.Type {
	case realtime.FrameSnapshot, realtime.FrameAck, realtime.FrameError, realtime.FrameDraft, realtime.FramePresence:
		return false
	}
	return f.Seq > 0
}

// client is a participant's WebSocket in a test. A goroutine reads every frame into a channel;
// the test takes them in order.
type client struct {
	t      *testing.T
	name   string
	ws     *websocket.Conn
	frames chan frame
	// closeErr is how the connection ended, once frames is closed.
	closeErr error
	events   []frame
	snapshot frame
	serial   int
}

// wsURL is the live connection address of a session on a server.
func wsURL(base string, sessionID int64, query string) string {
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/live/" + id(sessionID) + "/ws"
	if query != "" {
		u += "?" + query
	}
	return u
}

// dial opens a's live connection to the session on the server at base and waits for the snapshot.
func dial(t *testing.T, base string, a *actor, sessionID int64, query string) *client {
	t.Helper()
	ws, res, err := websocket.DefaultDialer.Dial(wsURL(base, sessionID, query),
		http.Header{"Authorization": {"Bearer " + a.Token}})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("%s dial: %v (status %d)", a.Name, err, status)
	}
	c := &client{t: t, name: a.Name, ws: ws, frames: make(chan frame, 4096)}
	go c.pump()
	t.Cleanup(func() { ws.Close() })
	c.snapshot = c.expect(func(f frame) bool { return f.Type == realtime.FrameSnapshot })
	return c
}

func (c *client) pump() {
	defer close(c.frames)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.closeErr = err
			return
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.closeErr = err
			return
		}
		f.raw = string(data)
		c.frames <- f
	}
}

// next returns the next frame, failing the test when none comes in time or the connection ended.
func (c *client) next() frame {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("%s: connection ended: %v", c.name, c.closeErr)
		}
		c.record(f)
		return f
	case <-time.After(10 * time.Second):
		c.t.Fatalf("%s: no frame within 10s", c.name)
	}
	return frame{}
}

// record keeps a frame taken from the connection if it is an event, checking the seq order.
func (c *client) record(f frame) {
	c.t.Helper()
	if f.isEvent() {
		if n := len(c.events); n > 0 && f.Seq != c.events[n-1].Seq+1 {
			c.t.Fatalf("%s: event seq %d after %d", c.name, f.Seq, c.events[n-1].Seq)
		}
		c.events = append(c.events, f)
	}
}

// expect reads frames until one matches; the ones before it are kept as events where they are.
func (c *client) expect(match func(frame) bool) frame {
	c.t.Helper()
	for {
		if f := c.next(); match(f) {
			return f
		}
	}
}

// expectEvent reads until the next event and checks its type.
func (c *client) expectEvent(eventType string) frame {
	c.t.Helper()
	f := c.expect(frame.isEvent)
	if f.Type != eventType {
		c.t.Fatalf("%s: got event %s, want %s", c.name, f.raw, eventType)
	}
	return f
}

// until reads until the client has seen events up to seq.
func (c *client) until(seq int64) {
	c.t.Helper()
	for len(c.events) == 0 || c.events[len(c.events)-1].Seq < seq {
		c.next()
	}
}

func (c *client) send(cmd map[string]any) string {
	c.t.Helper()
	if _, ok := cmd["id"]; !ok && cmd["type"] != floor.CommandDraft {
		c.serial++
		cmd["id"] = c.name + "-" + id(int64(c.serial))
	}
	if err := c.ws.WriteJSON(cmd); err != nil {
		c.t.Fatalf("%s send: %v", c.name, err)
	}
	s, _ := cmd["id"].(string)
	return s
}

// do sends a command and returns the seq of its ack, failing on a refusal.
func (c *client) do(cmd map[string]any) int64 {
	c.t.Helper()
	msgID := c.send(cmd)
	f := c.expect(func(f frame) bool {
		return (f.Type == realtime.FrameAck || f.Type == realtime.FrameError) && f.ID == msgID
	})
	if f.Type == realtime.FrameError {
		c.t.Fatalf("%s %v: refused: %s", c.name, cmd, f.raw)
	}
	return f.Seq
}

// refused sends a command and checks it is refused with code.
func (c *client) refused(cmd map[string]any, code string) {
	c.t.Helper()
	msgID := c.send(cmd)
	f := c.expect(func(f frame) bool {
		return (f.Type == realtime.FrameAck || f.Type == realtime.FrameError) && f.ID == msgID
	})
	if f.Type != realtime.FrameError || f.Code != code {
		c.t.Fatalf("%s %v: got %s, want error %s", c.name, cmd, f.raw, code)
	}
}

// closed waits for the connection to end and returns its close code.
func (c *client) closed() int {
	c.t.Helper()
	for {
		select {
		case _, ok := <-c.frames:
			if !ok {
				var ce *websocket.CloseError
				if errors.As(c.closeErr, &ce) {
					return ce.Code
				}
				return -1
			}
		case <-time.After(10 * time.Second):
			c.t.Fatalf("%s: connection still open after 10s", c.name)
		}
	}
}

// types lists the types of the events seen, in order.
func (c *client) types() string {
	out := make([]string, len(c.events))
	for i, e := range c.events {
		out[i] = e.Type
	}
	return strings.Join(out, ",")
}

// eventTexts lists the texts of events seen, by type.
func (c *client) eventTexts(eventType string) []string {
	var out []string
	for _, e := range c.events {
		if e.Type == eventType {
			out = append(out, e.Text)
		}
	}
	return out
}

func cmd(kind string, fields ...any) map[string]any {
	m := map[string]any{"type": kind}
	for i := 0; i+1 < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	return m
}

// transcriptTexts reads the whole transcript as the therapist and returns its events.
func transcript(t *testing.T, a *actor, sessionID int64) []frame {
	t.Helper()
	var out []frame
	after := int64(0)
	for {
		res := a.do(http.MethodGet, "/api/v1/live/"+id(sessionID)+"/transcript?limit=2&after="+id(after), nil)
		if res.Status != http.StatusOK {
			t.Fatalf("transcript: %d %s", res.Status, res.Body)
		}
		var page struct {
			Events    []json.RawMessage `json:"events"`
			NextAfter int64             `json:"next_after"`
			HasMore   bool              `json:"has_more"`
		}
		res.JSON(t, &page)
		for _, raw := range page.Events {
			var f frame
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatal(err)
			}
			f.raw = string(raw)
			out = append(out, f)
		}
		if !page.HasMore {
			return out
		}
		after = page.NextAfter
	}
}

func TestLiveTurnsSessionRejectsOutOfTurnTalkAndDeliversItToNobody(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	w, _ := newLiveWorld(t, 1, liveConfig(clock))
	p := w.A
	session := startSession(t, p, map[string]any{"mode": "turns", "turn_seconds": 90})
	if session.Status != realtime.StatusScheduled || session.State.TurnSeconds != 90 || session.State.MinBreakSeconds != 60 {
		t.Fatalf("new session: %+v", session)
	}

	chair := dial(t, w.srv.URL, p.Therapist, session.ID, "")
	a := dial(t, w.srv.URL, p.PartnerA, session.ID, "")
	b := dial(t, w.srv.URL, p.PartnerB, session.ID, "")
	chair.expect(func(f frame) bool { return f.Type == realtime.FramePresence && len(f.Present) == 3 })

	chair.do(cmd("grant", "seat", "a"))
	a.do(cmd("say", "text", "I felt alone that whole winter."))
	b.refused(cmd("say", "text", "That is not how it went."), floor.CodeNotYourTurn)
	b.refused(cmd("say", "text", "You never listen."), floor.CodeNotYourTurn)
	moderated := chair.do(cmd("moderator", "text", "Let us hear the whole of it first."))

	// Everyone sees the grant, a's words and the chair's message, and nothing of b's attempts
	// in between.
	for _, c := range []*client{chair, a, b} {
		c.until(moderated)
		if got := c.types(); got != "floor_granted,utterance,moderator" {
			t.Fatalf("%s saw %s", c.name, got)
		}
		if got := c.eventTexts(floor.EventUtterance); got[0] != "I felt alone that whole winter." {
			t.Fatalf("%s heard %q", c.name, got)
		}
	}

	// A resent command gets the same ack and no second event.
	first := a.do(cmd("say", "id", "same-id", "text", "And I kept quiet about it."))
	again := a.do(cmd("say", "id", "same-id", "text", "And I kept quiet about it."))
	if first != again {
		t.Fatalf("resent command acked %d, first ack %d", again, first)
	}
	a.do(cmd("yield"))
	b.do(cmd("request_floor"))
	chair.do(cmd("grant", "seat", "b"))
	b.do(cmd("say", "text", "I did not know you felt that."))
	end := chair.do(cmd("end"))
	for _, c := range []*client{chair, a, b} {
		c.until(end)
	}
	if got := a.eventTexts(floor.EventUtterance); len(got) != 3 {
		t.Fatalf("partner a saw utterances %q, want 3 (the resend must not repeat)", got)
	}

	events := transcript(t, p.Therapist, session.ID)
	for _, e := range events {
		if strings.Contains(e.raw, "not how it went") || strings.Contains(e.raw, "never listen") {
			t.Fatalf("the refused text reached the transcript: %s", e.raw)
		}
	}
	if len(events) == 0 || events[len(events)-1].Type != floor.EventEnded {
		t.Fatalf("transcript does not end with the end: %v", events)
	}

	res := p.Therapist.do(http.MethodGet, "/api/v1/live/"+id(session.ID)+"/summary", nil)
	var summary struct {
		Status  string           `json:"status"`
		Summary realtime.Summary `json:"summary"`
	}
	res.JSON(t, &summary)
	want := realtime.Summary{Utterances: floor.Tally{A: 2, B: 1}, Blocked: floor.Tally{B: 2}}
	if summary.Status != realtime.StatusEnded || summary.Summary.Utterances != want.Utterances || summary.Summary.Blocked != want.Blocked {
		t.Fatalf("summary: %s", res.Body)
	}
	// The ended session refuses further talk.
	a.refused(cmd("request_floor"), floor.CodeEnded)
}

func TestLiveDraftsReachTheOthersOnlyWhenTheSessionShowsTyping(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	p := w.A
	tests := []struct {
		name  string
		body  map[string]any
		shown bool
	}{
		{"typing is not shown unless the therapist chooses it", map[string]any{}, false},
		{"the therapist keeps typing hidden", map[string]any{"show_drafts": false}, false},
		{"the therapist shows typing as it is written", map[string]any{"show_drafts": true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			session := startSession(t, p, tt.body)
			if session.State.ShowDrafts != tt.shown {
				t.Fatalf("new session shows drafts: %v, want %v", session.State.ShowDrafts, tt.shown)
			}
			chair := dial(t, w.srv.URL, p.Therapist, session.ID, "")
			a := dial(t, w.srv.URL, p.PartnerA, session.ID, "")
			b := dial(t, w.srv.URL, p.PartnerB, session.ID, "")
			var snapshot floor.State
			if err := json.Unmarshal(b.snapshot.State, &snapshot); err != nil || snapshot.ShowDrafts != tt.shown {
				t.Fatalf("snapshot: %s", b.snapshot.raw)
			}
			chair.do(cmd("grant", "seat", "a"))

			// The other partner's draft is refused whatever the setting: the floor is a's.
			b.refused(cmd("draft", "id", "b-draft", "text", "But"), floor.CodeNotYourTurn)
			if tt.shown {
				a.send(cmd("draft", "text", "When you came home la"))
			} else {
				a.refused(cmd("draft", "id", "a-draft", "text", "When you came home la"), floor.CodeNotAllowed)
			}
			a.do(cmd("say", "text", "When you came home late, I worried."))

			// The draft, if relayed, reaches the others before the words said after it.
			for _, c := range []*client{chair, b} {
				f := c.expect(func(f frame) bool { return f.Type == realtime.FrameDraft || f.Type == floor.EventUtterance })
				switch {
				case tt.shown && (f.Type != realtime.FrameDraft || f.Seat != "a" || f.Text != "When you came home la"):
					t.Fatalf("%s: got %s, want a's draft", c.name, f.raw)
				case !tt.shown && f.Type != floor.EventUtterance:
					t.Fatalf("%s: got %s, want no draft before the utterance", c.name, f.raw)
				}
			}
			chair.do(cmd("end"))
		})
	}
}

func TestLiveListenerSessionPassesTheFloorOnlyOnAConfirmedParaphrase(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	p := w.A
	session := startSession(t, p, map[string]any{"mode": "listener", "show_drafts": true})
	chair := dial(t, w.srv.URL, p.Therapist, session.ID, "")
	a := dial(t, w.srv.URL, p.PartnerA, session.ID, "")
	b := dial(t, w.srv.URL, p.PartnerB, session.ID, "")

	chair.do(cmd("grant", "seat", "a"))
	b.expectEvent(floor.EventFloorGranted)

	// The listener sees the speaker's draft; the listener's own draft is refused.
	a.send(cmd("draft", "text", "When you came home la"))
	if d := b.expect(func(f frame) bool { return f.Type == realtime.FrameDraft }); d.Seat != "a" || d.Text != "When you came home la" {
		t.Fatalf("draft: %s", d.raw)
	}
	b.send(cmd("draft", "id", "b-draft", "text", "But"))
	if f := b.expect(func(f frame) bool { return f.Type == realtime.FrameError }); f.Code != floor.CodeNotYourTurn {
		t.Fatalf("listener draft: %s", f.raw)
	}

	a.do(cmd("say", "text", "When you came home late without a word, I felt I did not matter."))
	a.do(cmd("yield"))
	b.refused(cmd("say", "text", "I was working."), floor.CodeNotYourTurn)
	b.do(cmd("paraphrase", "text", "You felt unimportant when I came home late."))
	a.do(cmd("confirm", "ok", false))
	b.do(cmd("paraphrase", "text", "You felt you did not matter to me when I came home late and said nothing."))
	a.do(cmd("more"))
	a.do(cmd("say", "text", "And I was scared to ask."))
	a.do(cmd("yield"))
	b.do(cmd("paraphrase", "text", "And you were afraid to ask me about it."))
	last := a.do(cmd("confirm", "ok", true))

	wantTypes := []string{
		floor.EventFloorGranted, floor.EventUtterance, floor.EventFloorYielded,
		floor.EventParaphrase, floor.EventParaphraseRejected, floor.EventParaphrase,
		floor.EventMore, floor.EventUtterance, floor.EventFloorYielded, floor.EventParaphrase,
		floor.EventParaphraseConfirmed, floor.EventFloorGranted,
	}
	for _, c := range []*client{chair, a, b} {
		c.until(last)
		if got := c.types(); got != strings.Join(wantTypes, ",") {
			t.Fatalf("%s saw %v, want %v", c.name, got, wantTypes)
		}
		if grant := c.events[len(c.events)-1]; grant.Seat != "b" {
			t.Fatalf("%s: the confirmed paraphrase passed the floor to %q", c.name, grant.Seat)
		}
	}
	res := p.PartnerB.do(http.MethodGet, "/api/v1/live/"+id(session.ID), nil)
	var got realtime.Session
	res.JSON(t, &got)
	if got.State.Holder != "b" || got.State.Phase != floor.PhaseSpeaking || got.Seq != last {
		t.Fatalf("state after the confirmed paraphrase: %s", res.Body)
	}
}

func TestLiveHostileFramesAreRefusedAndTheRoomCarriesOn(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	p := w.A
	session := startSession(t, p, nil)
	chair := dial(t, w.srv.URL, p.Therapist, session.ID, "")
	a := dial(t, w.srv.URL, p.PartnerA, session.ID, "")
	b := dial(t, w.srv.URL, p.PartnerB, session.ID, "")
	chair.do(cmd("grant", "seat", "a"))

	errorFrame := func(c *client) frame {
		return c.expect(func(f frame) bool { return f.Type == realtime.FrameError })
	}
	for _, bad := range []string{`not json`, `{"id":"1","type":"shout","text":"x"}`, `[1,2]`, `{"type":"say","text":"no id"}`} {
		if err := b.ws.WriteMessage(websocket.TextMessage, []byte(bad)); err != nil {
			t.Fatal(err)
		}
		if f := errorFrame(b); f.Code != floor.CodeBadRequest {
			t.Fatalf("%s: %s", bad, f.raw)
		}
	}
	if err := b.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"id":"1","type":"yield"}`)); err != nil {
		t.Fatal(err)
	}
	if f := errorFrame(b); f.Code != floor.CodeBadRequest {
		t.Fatalf("binary frame: %s", f.raw)
	}
	// b is still connected and heard.
	b.do(cmd("request_floor"))

	// An oversize frame gets an error and a 1009 close; everyone else carries on.
	huge := `{"id":"big","type":"say","text":"` + strings.Repeat("x", 20<<10) + `"}`
	if err := b.ws.WriteMessage(websocket.TextMessage, []byte(huge)); err != nil {
		t.Fatal(err)
	}
	if f := errorFrame(b); f.Code != realtime.CodeTooLarge {
		t.Fatalf("oversize: %s", f.raw)
	}
	if code := b.closed(); code != websocket.CloseMessageTooBig {
		t.Fatalf("oversize frame closed with %d, want 1009", code)
	}
	seq := a.do(cmd("say", "text", "Still here."))
	chair.until(seq)
	if got := chair.eventTexts(floor.EventUtterance); len(got) != 1 || got[0] != "Still here." {
		t.Fatalf("the chair heard %q", got)
	}
	// b comes back where it left off.
	seen := b.events[len(b.events)-1].Seq
	b2 := dial(t, w.srv.URL, p.PartnerB, session.ID, "after="+id(seen))
	b2.until(seq)
	if b2.events[0].Seq != seen+1 || b2.eventTexts(floor.EventUtterance)[0] != "Still here." {
		t.Fatalf("b resumed after %d with %s", seen, b2.types())
	}
}

func TestLiveJoinIsRefusedToOutsidersAndForeignOrigins(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	session := startSession(t, w.A, nil)
	url := wsURL(w.srv.URL, session.ID, "")
	cases := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"partner of another couple", http.Header{"Authorization": {"Bearer " + w.A.OtherPartner.Token}}, http.StatusNotFound},
		{"therapist not on the care team", http.Header{"Authorization": {"Bearer " + w.A.OtherTherapist.Token}}, http.StatusNotFound},
		{"practice administrator", http.Header{"Authorization": {"Bearer " + w.A.Admin.Token}}, http.StatusNotFound},
		{"partner in practice B", http.Header{"Authorization": {"Bearer " + w.B.PartnerA.Token}}, http.StatusNotFound},
		{"therapist in practice B", http.Header{"Authorization": {"Bearer " + w.B.Therapist.Token}}, http.StatusNotFound},
		{"nobody signed in", http.Header{}, http.StatusUnauthorized},
		{"a foreign site with the partner's cookie", http.Header{"Cookie": {sessionCookie + "=" + w.A.PartnerA.Token},
			"Origin": {"https://elsewhere.example"}}, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws, res, err := websocket.DefaultDialer.Dial(url, tc.header)
			if err == nil {
				ws.Close()
				t.Fatal("connected")
			}
			if res == nil || res.StatusCode != tc.want {
				t.Fatalf("got %v, want %d", res, tc.want)
			}
		})
	}
	// The partner's own browser page, same origin, with the cookie, gets in.
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Cookie": {sessionCookie + "=" + w.A.PartnerA.Token},
		"Origin": {w.srv.URL}})
	if err != nil {
		t.Fatalf("same-origin cookie join: %v", err)
	}
	ws.Close()
}

func TestLiveConnectionClosesWhenTheMemberIsDisabledOrSignsOut(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	cfg.AliveEvery = 50 * time.Millisecond
	w, _ := newLiveWorld(t, 1, cfg)
	session := startSession(t, w.A, nil)
	a := dial(t, w.srv.URL, w.A.PartnerA, session.ID, "")
	b := dial(t, w.srv.URL, w.A.PartnerB, session.ID, "")

	res := w.A.Admin.do(http.MethodPatch, "/api/v1/practices/"+id(w.A.ID)+"/members/"+id(w.A.PartnerA.ID), map[string]any{"disabled": true})
	if res.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", res.Status, res.Body)
	}
	if code := a.closed(); code != websocket.ClosePolicyViolation {
		t.Fatalf("disabled member's socket closed with %d", code)
	}
	if res := w.A.PartnerB.do(http.MethodPost, "/api/v1/auth/logout", nil); res.Status != http.StatusNoContent {
		t.Fatalf("logout: %d", res.Status)
	}
	if code := b.closed(); code != websocket.ClosePolicyViolation {
		t.Fatalf("signed-out member's socket closed with %d", code)
	}
}

func TestLiveRESTCommandsFollowTheFloor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	session := startSession(t, p, nil)
	path := "/api/v1/live/" + id(session.ID) + "/commands"
	if res := p.Therapist.do(http.MethodPost, path, `{"id":"g1","type":"grant","seat":"a"}`); res.Status != http.StatusOK {
		t.Fatalf("grant: %d %s", res.Status, res.Body)
	}
	cases := []struct {
		name string
		who  *actor
		body string
		want int
		code string
	}{
		{"out of turn", p.PartnerB, `{"id":"b1","type":"say","text":"hm"}`, http.StatusConflict, floor.CodeNotYourTurn},
		{"a partner moderating", p.PartnerB, `{"id":"b2","type":"skip"}`, http.StatusForbidden, codeForbidden},
		{"a draft", p.PartnerA, `{"type":"draft","text":"hm"}`, http.StatusUnprocessableEntity, codeInvalid},
		{"unknown type", p.PartnerA, `{"id":"a1","type":"shout"}`, http.StatusUnprocessableEntity, codeInvalid},
		{"another couple's partner", p.OtherPartner, `{"id":"o1","type":"say","text":"hm"}`, http.StatusNotFound, codeNotFound},
		{"the holder", p.PartnerA, `{"id":"a2","type":"say","text":"I am listening now."}`, http.StatusOK, ""},
	}
	for _, tc := range cases {
		res := tc.who.doExpecting(tc.want, http.MethodPost, path, tc.body)
		if res.Status != tc.want || tc.code != "" && res.ErrorCode() != tc.code {
			t.Errorf("%s: got %d %s, want %d %s", tc.name, res.Status, res.Body, tc.want, tc.code)
		}
	}
	res := p.PartnerA.do(http.MethodGet, "/api/v1/live/"+id(session.ID)+"/transcript", nil)
	if res.Status != http.StatusOK || strings.Contains(string(res.Body), `"hm"`) || !strings.Contains(string(res.Body), "I am listening now.") {
		t.Fatalf("transcript: %d %s", res.Status, res.Body)
	}
}

func liveMatrix() []matrixCase {
	session := func(w *world, p *practice) int64 {
		s, err := w.api.liveLog.Create(context.Background(), realtime.NewSession{PracticeID: p.ID, CoupleID: p.CoupleID,
			CreatedBy: p.Therapist.ID, Mode: floor.ModeTurns})
		if err != nil {
			w.t.Fatal(err)
		}
		return s.ID
	}
	sessionPath := func(suffix string) func(*world, *practice) (string, string, any) {
		return func(w *world, p *practice) (string, string, any) {
			return http.MethodGet, "/api/v1/live/" + id(session(w, p)) + suffix, nil
		}
	}
	command := func(body string) func(*world, *practice) (string, string, any) {
		return func(w *world, p *practice) (string, string, any) {
			return http.MethodPost, "/api/v1/live/" + id(session(w, p)) + "/commands", body
		}
	}
	return []matrixCase{
		{name: "create a live session", object: "live_session", action: "create", success: http.StatusCreated,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/couples/" + id(p.CoupleID) + "/live-sessions", map[string]any{"mode": "listener"}
			}, relation: coupleRelation},
		{name: "list a couple's live sessions", object: "live_session", action: "list", success: http.StatusOK,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/couples/" + id(p.CoupleID) + "/live-sessions", nil
			}, relation: coupleRelation},
		{name: "read a live session", object: "live_session", action: "read", success: http.StatusOK,
			request: sessionPath(""), relation: coupleRelation},
		{name: "read a live session's transcript", object: "live_session", action: "transcript", success: http.StatusOK,
			request: sessionPath("/transcript"), relation: coupleRelation},
		{name: "read a live session's summary", object: "live_session", action: "summary", success: http.StatusOK,
			request: sessionPath("/summary"), relation: coupleRelation},
		// A plain GET passes the policy and is then told the address speaks WebSocket only;
		// real joins are tested with WebSocket clients.
		{name: "join a live session", object: "live_session", action: "join", success: http.StatusUpgradeRequired,
			request: sessionPath("/ws"), relation: coupleRelation},
		{name: "speak in a live session", object: "live_session", action: "speak", success: http.StatusOK,
			request: command(`{"id":"r1","type":"request_floor"}`), relation: coupleRelation},
		{name: "moderate a live session", object: "live_session", action: "moderate", success: http.StatusOK,
			request: command(`{"id":"m1","type":"moderator","text":"Welcome, both of you."}`), relation: coupleRelation},
	}
}

func TestClosingACoupleEndsItsLiveSessionsOnEveryInstanceAndRefusesCommands(t *testing.T) {
	t.Parallel()
	w, instances := newLiveWorld(t, 2, liveConfig(newTestClock()))
	p := w.A
	session := startSession(t, p, map[string]any{"mode": "turns"})
	other := instances[1].srv.URL
	chair := dial(t, other, p.Therapist, session.ID, "")
	a := dial(t, other, p.PartnerA, session.ID, "")
	chair.do(cmd(floor.CommandModerator, "text", "Welcome, both of you."))

	couple := "/api/v1/couples/" + id(p.CoupleID)
	if res := p.Admin.do(http.MethodPatch, couple, map[string]any{"status": "closed"}); res.Status != http.StatusOK {
		t.Fatalf("close the couple: %d %s", res.Status, res.Body)
	}
	chair.expect(func(f frame) bool { return f.Type == floor.EventEnded })
	a.expect(func(f frame) bool { return f.Type == floor.EventEnded })
	a.refused(cmd(floor.CommandRequestFloor), floor.CodeEnded)
	// Who joins the closed couple's session reads it and may send nothing.
	b := dial(t, other, p.PartnerB, session.ID, "")
	b.refused(cmd(floor.CommandRequestFloor), floor.CodeNotAllowed)

	commands := "/api/v1/live/" + id(session.ID) + "/commands"
	for _, tc := range []struct {
		name   string
		by     *actor
		method string
		path   string
		body   any
		want   int
	}{
		{"the chair sends a command over REST", p.Therapist, http.MethodPost, commands, `{"id":"m9","type":"moderator","text":"Still there?"}`, http.StatusConflict},
		{"a partner sends a command over REST", p.PartnerB, http.MethodPost, commands, `{"id":"r9","type":"request_floor"}`, http.StatusConflict},
		{"the care team starts a new session", p.Therapist, http.MethodPost, couple + "/live-sessions", map[string]any{}, http.StatusConflict},
		{"another practice's therapist sends a command", w.B.Therapist, http.MethodPost, commands, `{"id":"x1","type":"moderator","text":"Hello"}`, http.StatusNotFound},
		{"the care team reads the transcript", p.Therapist, http.MethodGet, "/api/v1/live/" + id(session.ID) + "/transcript", nil, http.StatusOK},
	} {
		res := tc.by.do(tc.method, tc.path, tc.body)
		if res.Status != tc.want || tc.want == http.StatusConflict && res.ErrorCode() != codeCoupleClosed {
			t.Errorf("%s: got %d %s, want %d", tc.name, res.Status, res.Body, tc.want)
		}
	}

	if res := p.Therapist.do(http.MethodPatch, couple, map[string]any{"status": "active"}); res.Status != http.StatusOK {
		t.Fatalf("reopen the couple: %d %s", res.Status, res.Body)
	}
	fresh := startSession(t, p, nil)
	dial(t, other, p.Therapist, fresh.ID, "").do(cmd(floor.CommandModerator, "text", "Welcome back."))
}

// TestLiveTurnRunsOutAtItsDeadlineWhoeverSendsTheNextCommand checks that a turn's deadline holds
// with no timer running (nobody connected, or the command reaching another instance first): a
// say after it is refused, the expiry is stored as the session timer's at the deadline, and the
// holder's talk time stops there.
func TestLiveTurnRunsOutAtItsDeadlineWhoeverSendsTheNextCommand(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	w, instances := newLiveWorld(t, 2, liveConfig(clock))
	p := w.A
	restOn := func(in *liveInstance) func(*testing.T, int64) {
		return func(t *testing.T, sessionID int64) {
			res := p.PartnerA.onInstance(in, http.MethodPost, "/api/v1/live/"+id(sessionID)+"/commands",
				`{"id":"late-1","type":"say","text":"And another thing."}`)
			if res.Status != http.StatusConflict || res.ErrorCode() != floor.CodeNotYourTurn {
				t.Fatalf("a say 58 s after a 10 s turn: %d %s", res.Status, res.Body)
			}
		}
	}
	cases := []struct {
		name string
		// connect runs before the clock moves past the deadline; lateSay sends the say after it.
		connect func(*testing.T, int64) func(*testing.T, int64)
	}{
		{"over REST on the instance that granted the turn", func(*testing.T, int64) func(*testing.T, int64) {
			return restOn(instances[0])
		}},
		{"over REST on another instance", func(*testing.T, int64) func(*testing.T, int64) {
			return restOn(instances[1])
		}},
		{"over the holder's live connection", func(t *testing.T, sessionID int64) func(*testing.T, int64) {
			a := dial(t, instances[1].srv.URL, p.PartnerA, sessionID, "")
			return func(*testing.T, int64) {
				a.refused(cmd("say", "text", "And another thing."), floor.CodeNotYourTurn)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			session := startSession(t, p, map[string]any{"mode": "turns", "turn_seconds": 10})
			lateSay := tc.connect(t, session.ID)
			path := "/api/v1/live/" + id(session.ID)
			if res := p.Therapist.do(http.MethodPost, path+"/commands", `{"id":"g1","type":"grant","seat":"a"}`); res.Status != http.StatusOK {
				t.Fatalf("grant: %d %s", res.Status, res.Body)
			}
			clock.advance(58 * time.Second)
			lateSay(t, session.ID)

			var granted, expired struct {
				Type     string      `json:"type"`
				Actor    floor.Actor `json:"actor"`
				At       time.Time   `json:"at"`
				Deadline time.Time   `json:"deadline"`
			}
			for _, e := range transcript(t, p.Therapist, session.ID) {
				switch e.Type {
				case floor.EventFloorGranted:
					mustUnmarshal(t, e.raw, &granted)
				case floor.EventFloorExpired:
					mustUnmarshal(t, e.raw, &expired)
				}
			}
			if expired.Type == "" || expired.Actor.Role != floor.RoleSystem || !expired.At.Equal(granted.Deadline) {
				t.Fatalf("expiry %+v, want the session timer's at the deadline %v", expired, granted.Deadline)
			}
			res := p.Therapist.do(http.MethodGet, path+"/summary", nil)
			var summary struct {
				Summary realtime.Summary `json:"summary"`
			}
			res.JSON(t, &summary)
			if summary.Summary.TalkSeconds != (floor.Tally{A: 10}) || summary.Summary.Utterances != (floor.Tally{}) {
				t.Fatalf("summary after the late say: %s", res.Body)
			}
		})
	}
}

// onInstance sends a request as this actor to one instance of a live world.
func (a *actor) onInstance(in *liveInstance, method, path string, body any) *response {
	a.w.t.Helper()
	return a.w.requestTo(in.srv, method, path, body, map[string]string{"Authorization": "Bearer " + a.Token})
}

func mustUnmarshal(t *testing.T, raw string, into any) {
	t.Helper()
	if err := json.Unmarshal([]byte(raw), into); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}

// TestLiveReusedCommandIDIsRefusedUnlessItIsAResend checks a client whose id counter restarted:
// a new command under a used id is refused as a conflict, over the live connection and over
// REST, and nothing of it is stored or heard; the same command under the same id still gets the
// first answer.
func TestLiveReusedCommandIDIsRefusedUnlessItIsAResend(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	p := w.A
	session := startSession(t, p, nil)
	chair := dial(t, w.srv.URL, p.Therapist, session.ID, "")
	a := dial(t, w.srv.URL, p.PartnerA, session.ID, "")
	chair.do(cmd("grant", "seat", "a"))
	first := a.do(cmd("say", "id", "a-1", "text", "I was hurt when you left."))

	commands := "/api/v1/live/" + id(session.ID) + "/commands"
	cases := []struct {
		name string
		send func() frame
		want string // the error code, or "" for the first ack again
	}{
		{"another say under the id, live", func() frame {
			return a.answer(cmd("say", "id", "a-1", "text", "I am fine now."), 10*time.Second)
		}, floor.CodeConflict},
		{"another command type under the id, live", func() frame {
			return a.answer(cmd("yield", "id", "a-1"), 10*time.Second)
		}, floor.CodeConflict},
		{"another say under the id, REST", func() frame {
			res := p.PartnerA.do(http.MethodPost, commands, `{"id":"a-1","type":"say","text":"I am fine now."}`)
			if res.Status != http.StatusOK {
				return frame{Type: realtime.FrameError, Code: res.ErrorCode(), Message: string(res.Body)}
			}
			var f frame
			res.JSON(t, &f)
			f.Type = realtime.FrameAck
			return f
		}, floor.CodeConflict},
		{"the same say again, live", func() frame {
			return a.answer(cmd("say", "id", "a-1", "text", "I was hurt when you left."), 10*time.Second)
		}, ""},
	}
	for _, tc := range cases {
		f := tc.send()
		switch {
		case tc.want == "" && (f.Type != realtime.FrameAck || f.Seq != first):
			t.Errorf("%s: got %+v, want the first ack at %d", tc.name, f, first)
		case tc.want != "" && (f.Type != realtime.FrameError || f.Code != tc.want || !strings.Contains(f.Message, "already used")):
			t.Errorf("%s: got %+v, want a %s error saying the id was used", tc.name, f, tc.want)
		}
	}
	last := chair.do(cmd("moderator", "text", "Go on."))
	chair.until(last)
	if got := chair.eventTexts(floor.EventUtterance); len(got) != 1 || got[0] != "I was hurt when you left." {
		t.Fatalf("the chair heard %q, want only the first say", got)
	}
	for _, e := range transcript(t, p.Therapist, session.ID) {
		if strings.Contains(e.raw, "fine now") || e.Type == floor.EventFloorYielded {
			t.Fatalf("a refused command was stored: %s", e.raw)
		}
	}
}

// TestLiveErrorFramesCarryTheIDWheneverItCanBeRead checks that a refused frame's error names the
// command whenever the frame was a JSON object with a string id, so a client never waits out a
// time-out for a command already refused; a frame with no readable id gets an empty one.
func TestLiveErrorFramesCarryTheIDWheneverItCanBeRead(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	p := w.A
	session := startSession(t, p, nil)
	b := dial(t, w.srv.URL, p.PartnerB, session.ID, "")
	cases := []struct {
		name   string
		kind   int
		frame  string
		wantID string
	}{
		{"unknown type", websocket.TextMessage, `{"id":"b-1","type":"shout","text":"x"}`, "b-1"},
		{"unknown field", websocket.TextMessage, `{"id":"b-2","type":"say","text":"x","volume":11}`, "b-2"},
		{"field of the wrong type", websocket.TextMessage, `{"id":"b-3","type":"say","text":42}`, "b-3"},
		{"field of another command", websocket.TextMessage, `{"id":"b-4","type":"yield","seat":"a"}`, "b-4"},
		{"a second object after the first", websocket.TextMessage, `{"id":"b-5","type":"yield"} {}`, "b-5"},
		{"a binary message", websocket.BinaryMessage, `{"id":"b-6","type":"yield"}`, "b-6"},
		{"a command of the other side", websocket.TextMessage, `{"id":"b-7","type":"skip"}`, "b-7"},
		{"not JSON", websocket.TextMessage, `{"id":"b-8",`, ""},
		{"an id that is a number", websocket.TextMessage, `{"id":9,"type":"yield"}`, ""},
	}
	for _, tc := range cases {
		if err := b.ws.WriteMessage(tc.kind, []byte(tc.frame)); err != nil {
			t.Fatal(err)
		}
		f := b.expect(func(f frame) bool { return f.Type == realtime.FrameError })
		if f.ID != tc.wantID || f.Code == "" || f.Message == "" {
			t.Errorf("%s: got %s, want an error with the id %q", tc.name, f.raw, tc.wantID)
		}
	}
}

// TestLiveTextMessageThatIsNotUTF8ClosesWith1007 checks RFC 6455's rule for text messages: one
// that is not valid UTF-8 fails the connection with 1007 and nothing of it is stored (no
// replacement characters in the log).
func TestLiveTextMessageThatIsNotUTF8ClosesWith1007(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	p := w.A
	session := startSession(t, p, nil)
	chair := dial(t, w.srv.URL, p.Therapist, session.ID, "")
	a := dial(t, w.srv.URL, p.PartnerA, session.ID, "")
	chair.do(cmd("grant", "seat", "a"))
	if err := a.ws.WriteMessage(websocket.TextMessage, []byte("{\"id\":\"a-1\",\"type\":\"say\",\"text\":\"caf\xe9\"}")); err != nil {
		t.Fatal(err)
	}
	if code := a.closed(); code != websocket.CloseInvalidFramePayloadData {
		t.Fatalf("a text message with invalid UTF-8 closed the connection with %d, want 1007", code)
	}
	last := chair.do(cmd("moderator", "text", "Are you there?"))
	for _, e := range transcript(t, p.Therapist, session.ID) {
		if e.Type == floor.EventUtterance {
			t.Fatalf("the invalid message was stored: %s", e.raw)
		}
	}
	if events := transcript(t, p.Therapist, session.ID); events[len(events)-1].Seq != last {
		t.Fatalf("the log goes past the chair's message at %d", last)
	}
}
