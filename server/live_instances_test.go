package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
)

// sameEvents fails unless every client saw the same events, in the same order, from seq from.
func sameEvents(t *testing.T, from int64, clients ...*client) {
	t.Helper()
	var want string
	for i, c := range clients {
		var b strings.Builder
		for _, e := range c.events {
			if e.Seq >= from {
				b.WriteString(e.raw)
				b.WriteByte('\n')
			}
		}
		if i == 0 {
			want = b.String()
		} else if b.String() != want {
			t.Fatalf("%s saw\n%s\nbut %s saw\n%s", c.name, b.String(), clients[0].name, want)
		}
	}
}

func TestLiveTwoInstancesShareOneOrderFireTimersOnceAndResumeWithoutLoss(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	w, instances := newLiveWorld(t, 2, liveConfig(clock))
	one, two := instances[0], instances[1]
	p := w.A
	session := startSession(t, p, map[string]any{"mode": "turns", "turn_seconds": 30})

	a := dial(t, one.srv.URL, p.PartnerA, session.ID, "")
	b := dial(t, two.srv.URL, p.PartnerB, session.ID, "")
	chair := dial(t, two.srv.URL, p.Therapist, session.ID, "")
	chair.do(cmd("grant", "seat", "a"))

	// Partner a (instance one) and the chair (instance two) talk at once; everyone sees one order.
	var aIDs, chairIDs []string
	for i := range 5 {
		aIDs = append(aIDs, a.send(cmd("say", "text", "a's point "+id(int64(i)))))
		chairIDs = append(chairIDs, chair.send(cmd("moderator", "text", "chair's note "+id(int64(i)))))
	}
	var last int64
	for _, pending := range []struct {
		c   *client
		ids []string
	}{{a, aIDs}, {chair, chairIDs}} {
		for _, msgID := range pending.ids {
			f := pending.c.expect(func(f frame) bool { return f.ID == msgID })
			if f.Type != realtime.FrameAck {
				t.Fatalf("%s: %s", pending.c.name, f.raw)
			}
			last = max(last, f.Seq)
		}
	}
	for _, c := range []*client{a, b, chair} {
		c.until(last)
	}
	sameEvents(t, 1, a, b, chair)

	// b queues; a's turn runs out. Both instances' timers fire, the floor expires once.
	queued := b.do(cmd("request_floor"))
	a.until(queued)
	clock.advance(31 * time.Second)
	expired := func(c *client) int64 {
		return c.expect(func(f frame) bool { return f.Type == floor.EventFloorExpired }).Seq
	}
	expiredAt := expired(a)
	if got := expired(b); got != expiredAt {
		t.Fatalf("b saw the expiry at %d, a at %d", got, expiredAt)
	}
	granted := chair.do(cmd("moderator", "text", "b, the floor is yours."))
	for _, c := range []*client{a, b, chair} {
		c.until(granted)
	}
	sameEvents(t, 1, a, b, chair)
	if got := strings.Count(b.types(), floor.EventFloorExpired); got != 1 {
		t.Fatalf("the turn expired %d times: %s", got, b.types())
	}
	if tail := b.types()[strings.LastIndex(b.types(), floor.EventFloorExpired):]; tail != "floor_expired,floor_granted,moderator" {
		t.Fatalf("after the expiry: %s", tail)
	}

	// Instance one stops: a's connection closes with 1012, and a resumes on instance two.
	seen := a.events[len(a.events)-1].Seq
	one.stop()
	if code := a.closed(); code != websocket.CloseServiceRestart {
		t.Fatalf("a's connection closed with %d, want 1012", code)
	}
	b.do(cmd("say", "text", "I did not know you felt that way."))
	missed := chair.do(cmd("moderator", "text", "Take a breath, both of you."))
	a2 := dial(t, two.srv.URL, p.PartnerA, session.ID, "after="+id(seen))
	a2.until(missed)
	if a2.events[0].Seq != seen+1 {
		t.Fatalf("a resumed at %d after %d", a2.events[0].Seq, seen)
	}
	chair.until(missed)
	sameEvents(t, seen+1, a2, chair)
	if got := a2.eventTexts(floor.EventUtterance); len(got) != 1 || got[0] != "I did not know you felt that way." {
		t.Fatalf("a caught up on %q", got)
	}
}

func TestLiveLostListenerResyncsFromTheLog(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	// No safety re-read: only the listener's reconnect may bring the missed event.
	cfg.Resync = time.Hour
	w, instances := newLiveWorld(t, 2, cfg)
	p := w.A
	session := startSession(t, p, nil)
	a := dial(t, instances[0].srv.URL, p.PartnerA, session.ID, "")
	b := dial(t, instances[1].srv.URL, p.PartnerB, session.ID, "")
	res := p.Therapist.do(http.MethodPost, "/api/v1/live/"+id(session.ID)+"/commands", `{"id":"g","type":"grant","seat":"a"}`)
	if res.Status != http.StatusOK {
		t.Fatalf("grant: %d %s", res.Status, res.Body)
	}
	var ack struct{ Seq int64 }
	res.JSON(t, &ack)
	a.until(ack.Seq)
	b.until(ack.Seq)

	dropListener(t, w, instances[1])
	said := a.do(cmd("say", "text", "Said while the other instance was not listening."))
	b.until(said)
	if got := b.eventTexts(floor.EventUtterance); len(got) != 1 {
		t.Fatalf("b heard %q", got)
	}

	// The listener is back: later events arrive by notification again.
	deadline := time.Now().Add(10 * time.Second)
	for resyncs(t, instances[1]) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not reconnect")
		}
		time.Sleep(20 * time.Millisecond)
	}
	again := a.do(cmd("say", "text", "And now?"))
	b.until(again)
}

// dropListener ends an instance's notification listener from the database side, as a network
// failure or a database restart would; it reconnects on its own.
func dropListener(t *testing.T, w *world, in *liveInstance) {
	t.Helper()
	var terminated int
	err := w.store.DB().GetContext(context.Background(), &terminated, `
		SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'amend-listen-' || $1) t`, in.hub.Instance())
	if err != nil || terminated < 1 {
		t.Fatalf("terminate the listener: %v (%d)", err, terminated)
	}
}

// resyncs reads how often an instance's listener reconnected and re-read the log.
func resyncs(t *testing.T, in *liveInstance) float64 {
	t.Helper()
	return counterValue(t, in, "amend_live_resyncs_total")
}

// counterValue reads one of an instance's counters.
func counterValue(t *testing.T, in *liveInstance, name string) float64 {
	t.Helper()
	families, err := in.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}

// Events said on one instance reach a client of another in the notification that announces
// them, with no read of the log; only an event too large for a notification is read from it.
func TestLiveEventsReachAnotherInstanceInTheirNotification(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	cfg.Resync = time.Hour // no safety re-read: what reaches b comes by notification
	w, instances := newLiveWorld(t, 2, cfg)
	p := w.A
	session := startSession(t, p, nil)
	a := dial(t, instances[0].srv.URL, p.PartnerA, session.ID, "")
	b := dial(t, instances[1].srv.URL, p.PartnerB, session.ID, "")
	chair := dial(t, instances[0].srv.URL, p.Therapist, session.ID, "")
	granted := chair.do(cmd("grant", "seat", "a"))
	b.until(granted)
	readsBefore := counterValue(t, instances[1], "amend_live_log_reads_total")

	var said int64
	texts := []string{"I kept the messages from you.", "I know that broke something.", "I want to earn it back."}
	for _, text := range texts {
		said = a.do(cmd("say", "text", text))
	}
	b.until(said)
	if got := b.eventTexts(floor.EventUtterance); strings.Join(got, "|") != strings.Join(texts, "|") {
		t.Fatalf("b heard %q", got)
	}
	if reads := counterValue(t, instances[1], "amend_live_log_reads_total"); reads != readsBefore {
		t.Errorf("the other instance read the log %v times for events its notifications carried", reads-readsBefore)
	}

	long := strings.Repeat("é", floor.MaxTextLength) // 8,000 bytes: more than a notification holds
	last := a.do(cmd("say", "text", long))
	b.until(last)
	if got := b.eventTexts(floor.EventUtterance); len(got) != 4 || got[3] != long {
		t.Fatalf("b heard %d utterances, the long one intact: %v", len(got), len(got) == 4 && got[3] == long)
	}
	if reads := counterValue(t, instances[1], "amend_live_log_reads_total"); reads <= readsBefore {
		t.Error("the long utterance reached the other instance without a read of the log")
	}
	chair.until(last)
	sameEvents(t, 1, a, b, chair)
}

func TestLiveStateAndTranscriptAreForTheCoupleAndCareTeamOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	session := startSession(t, w.A, nil)
	path := "/api/v1/live/" + id(session.ID)
	cases := []struct {
		who                       *actor
		read, transcript, summary int
	}{
		{w.A.Therapist, http.StatusOK, http.StatusOK, http.StatusOK},
		{w.A.PartnerA, http.StatusOK, http.StatusOK, http.StatusForbidden},
		{w.A.PartnerB, http.StatusOK, http.StatusOK, http.StatusForbidden},
		{w.A.Admin, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound},
		{w.A.OtherTherapist, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound},
		{w.A.OtherPartner, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound},
		{w.B.Therapist, http.StatusNotFound, http.StatusNotFound, http.StatusNotFound},
	}
	for _, tc := range cases {
		for suffix, want := range map[string]int{"": tc.read, "/transcript": tc.transcript, "/summary": tc.summary} {
			if res := tc.who.do(http.MethodGet, path+suffix, nil); res.Status != want {
				t.Errorf("%s GET %s: %d, want %d", tc.who.Name, path+suffix, res.Status, want)
			}
		}
	}
	if res := w.A.Therapist.doInvalid(http.MethodGet, path+"/transcript?limit=0", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("limit=0: %d", res.Status)
	}
	res := w.A.PartnerA.do(http.MethodGet, "/api/v1/couples/"+id(w.A.CoupleID)+"/live-sessions", nil)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"id":`+id(session.ID)) {
		t.Errorf("list: %d %s", res.Status, res.Body)
	}
}

// A draft typed on one instance reaches a partner on another before the words said right after
// it, and a draft typed alone arrives too, however few events go with it.
func TestLiveDraftReachesAnotherInstanceBeforeTheWordsSaidAfterIt(t *testing.T) {
	t.Parallel()
	w, instances := newLiveWorld(t, 2, liveConfig(newTestClock()))
	p := w.A
	session := startSession(t, p, map[string]any{"show_drafts": true})
	a := dial(t, instances[0].srv.URL, p.PartnerA, session.ID, "")
	b := dial(t, instances[1].srv.URL, p.PartnerB, session.ID, "")
	chair := dial(t, instances[1].srv.URL, p.Therapist, session.ID, "")
	granted := chair.do(cmd("grant", "seat", "a"))
	a.until(granted) // a's instance knows the floor is a's before a types
	b.until(granted)

	// The second draft follows the first within the time drafts alone wait for: it goes out
	// with the utterance, and still before it.
	a.send(cmd("draft", "text", "When"))
	b.expect(func(f frame) bool { return f.Type == realtime.FrameDraft && f.Text == "When" })
	chair.expect(func(f frame) bool { return f.Type == realtime.FrameDraft && f.Text == "When" })
	a.send(cmd("draft", "text", "When you stopped answering my ca"))
	a.do(cmd("say", "text", "When you stopped answering my calls, I panicked."))
	for _, c := range []*client{b, chair} {
		f := c.expect(func(f frame) bool { return f.Type == realtime.FrameDraft || f.Type == floor.EventUtterance })
		if f.Type != realtime.FrameDraft || f.Text != "When you stopped answering my ca" {
			t.Fatalf("%s: got %s first, want a's draft", c.name, f.raw)
		}
	}

	a.send(cmd("draft", "text", "I"))
	a.send(cmd("draft", "text", "I need"))
	b.expect(func(f frame) bool { return f.Type == realtime.FrameDraft && f.Text == "I need" })
}
