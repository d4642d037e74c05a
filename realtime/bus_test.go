package realtime

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/amendcare/amend/realtime/floor"
)

// relayed is a busHandler that records the events relayed to it, by session.
type relayed struct {
	busHandler
	seq     map[int64]int64
	events  map[int64][]StoredEvent
	calls   map[int64]int
	resyncs int
}

func (r *relayed) resync() { r.resyncs++ }

func (r *relayed) eventsCommitted(sessionID, seq int64, events []StoredEvent) {
	r.seq[sessionID] = seq
	r.events[sessionID] = events
	r.calls[sessionID]++
}

func saidFrame(seq int64, text string) StoredEvent {
	e := floor.Event{Seq: seq, Type: floor.EventUtterance, Actor: partnerA, At: start, Text: text}
	return StoredEvent{Seq: seq, Type: e.Type, Frame: AppendEvent(nil, e)}
}

// Events committed on one instance reach the others in their notifications: every session once,
// with its frames when they fit in one notification, else with the seq alone so the receiver reads
// the log; no notification over PostgreSQL's limit, and a break in a session's seqs sends the
// seq alone too.
func TestEventNotificationsCarryFramesThatFitAndSeqsOfTheRest(t *testing.T) {
	const sessions = 60
	bus := newBus(nil, "", "one", nil, nil)
	for s := int64(1); s <= sessions; s++ {
		for seq := int64(1); seq <= 3; seq++ {
			bus.committed(s, []StoredEvent{saidFrame(seq, "I was scared to tell you.")})
		}
	}
	bus.committed(100, []StoredEvent{saidFrame(1, strings.Repeat("é", floor.MaxTextLength))}) // too big for any notification
	bus.committed(101, []StoredEvent{saidFrame(4, "Later."), saidFrame(5, "And later.")})
	bus.committed(101, []StoredEvent{saidFrame(2, "A resend of an earlier one.")})
	bus.committed(101, []StoredEvent{saidFrame(6, "Once the seq goes alone, it goes alone until the flush.")})
	bus.committed(102, []StoredEvent{saidFrame(7, "Two events of one command."), saidFrame(8, "The second.")})

	prefix := "one|"
	payloads := eventPayloads(bus.news, maxPayload-len(prefix))
	if len(payloads) < 2 {
		t.Fatalf("%d notifications for %d sessions' events: they were not split", len(payloads), sessions+3)
	}
	got := &relayed{seq: map[int64]int64{}, events: map[int64][]StoredEvent{}, calls: map[int64]int{}}
	receiver := newBus(nil, "", "two", slog.New(slog.DiscardHandler), got)
	for _, p := range payloads {
		if len(prefix+p) > maxPayload {
			t.Errorf("a notification of %d bytes, over the %d allowed", len(prefix+p), maxPayload)
		}
		receiver.dispatch(channelEvents, prefix+p)
	}
	for s := int64(1); s <= sessions; s++ {
		if got.calls[s] != 1 || got.seq[s] != 3 || len(got.events[s]) != 3 {
			t.Fatalf("session %d: told %d times, seq %d, %d events; want once, 3, 3", s, got.calls[s], got.seq[s], len(got.events[s]))
		}
		for i, e := range got.events[s] {
			want := saidFrame(int64(i+1), "I was scared to tell you.")
			if e.Seq != want.Seq || string(e.Frame) != string(want.Frame) {
				t.Fatalf("session %d event %d arrived as seq %d: %s", s, i, e.Seq, e.Frame)
			}
		}
	}
	for _, tc := range []struct {
		session, seq int64
		events       int
	}{{100, 1, 0}, {101, 6, 0}, {102, 8, 2}} {
		if got.calls[tc.session] != 1 || got.seq[tc.session] != tc.seq || len(got.events[tc.session]) != tc.events {
			t.Errorf("session %d: told %d times, seq %d, %d events; want once, %d, %d",
				tc.session, got.calls[tc.session], got.seq[tc.session], len(got.events[tc.session]), tc.seq, tc.events)
		}
	}

	// A notification that cannot be read counts as lost: every room re-reads the log.
	receiver.dispatch(channelEvents, prefix+`[{"s":1,"q":`)
	if got.resyncs != 1 {
		t.Errorf("an unreadable notification made %d resyncs, want 1", got.resyncs)
	}

	// Its own notifications are not news to an instance.
	got.calls = map[int64]int{}
	bus.handler = got
	for _, p := range payloads {
		bus.dispatch(channelEvents, prefix+p)
	}
	if len(got.calls) != 0 {
		t.Errorf("an instance relayed its own events to itself: %v", got.calls)
	}
}
