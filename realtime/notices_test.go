package realtime

import (
	"encoding/json"
	"testing"
)

// streamsOf opens streams on a hub with no database behind it: users[i] signed in as sessions[i].
func streamsOf(t *testing.T, h *Hub, users, sessions []int64) []*noticeStream {
	t.Helper()
	out := make([]*noticeStream, len(users))
	for i := range users {
		s, err := h.notices.subscribe(users[i], sessions[i])
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

func ended(s *noticeStream) bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func note(t *testing.T, n noticeNote) string {
	t.Helper()
	data, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestNoticeNotesReachOnlyTheirUsersAndEndOnlyTheirStreams(t *testing.T) {
	started := &Notice{Type: NoticeLiveSessionStarted, CoupleID: 3, LiveSessionID: 9}
	cases := []struct {
		name   string
		note   noticeNote
		queued []int // notices queued per stream
		ended  []bool
	}{
		{"a notice reaches every tab of its users", noticeNote{Users: []int64{1}, Notice: started}, []int{1, 1, 0}, []bool{false, false, false}},
		{"a notice for nobody here reaches nobody", noticeNote{Users: []int64{7}, Notice: started}, []int{0, 0, 0}, []bool{false, false, false}},
		{"a sign-in's end closes its tabs only", noticeNote{EndSession: 11}, []int{0, 0, 0}, []bool{true, false, false}},
		{"a user's end closes all their tabs", noticeNote{EndUser: 1}, []int{0, 0, 0}, []bool{true, true, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHub(nil, HubConfig{})
			// User 1 in two tabs of two sign-ins, user 2 in one.
			streams := streamsOf(t, h, []int64{1, 1, 2}, []int64{11, 12, 21})
			h.noticeRelayed(note(t, tc.note))
			for i, s := range streams {
				if len(s.queue) != tc.queued[i] || ended(s) != tc.ended[i] {
					t.Errorf("stream %d: %d queued, ended %v; want %d, %v", i, len(s.queue), ended(s), tc.queued[i], tc.ended[i])
				}
			}
		})
	}
}

func TestNoticeStreamWhoseQueueIsFullIsClosedAndOthersCarryOn(t *testing.T) {
	h := NewHub(nil, HubConfig{NoticeQueue: 2})
	streams := streamsOf(t, h, []int64{1, 2}, []int64{11, 21})
	slow, other := streams[0], streams[1]
	for range 3 {
		h.noticeRelayed(note(t, noticeNote{Users: []int64{1}, Notice: &Notice{Type: NoticeAssignmentAssigned, AssignmentID: 5}}))
	}
	if !ended(slow) || len(slow.queue) != 2 {
		t.Fatalf("the slow stream: ended %v with %d queued", ended(slow), len(slow.queue))
	}
	h.resync()
	if ended(other) || len(other.queue) != 1 || string(<-other.queue) != "event: resync\ndata: {\"type\":\"resync\"}\n\n" {
		t.Fatalf("the other stream after a resync: ended %v", ended(other))
	}
}

func TestNoticeStreamsPerAccountAreLimitedAndFreedOnClose(t *testing.T) {
	h := NewHub(nil, HubConfig{NoticeStreamsPerUser: 2})
	streams := streamsOf(t, h, []int64{1, 1, 2}, []int64{11, 11, 21})
	if _, err := h.notices.subscribe(1, 11); err != ErrTooManyStreams {
		t.Fatalf("a third stream: %v", err)
	}
	h.notices.unsubscribe(streams[0])
	if _, err := h.notices.subscribe(1, 11); err != nil {
		t.Fatalf("after one closed: %v", err)
	}
	h.notices.closeAll()
	if _, err := h.notices.subscribe(3, 31); err != ErrClosing {
		t.Fatalf("while shutting down: %v", err)
	}
	for i, s := range streams[1:] {
		if !ended(s) {
			t.Errorf("stream %d is open after shutdown", i+1)
		}
	}
}
