package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
)

// killHard stops an instance the way a crash does as far as its media lease goes: its database
// pool closes first, so it neither renews nor releases the lease, then its server and forwarding
// units stop.
func killHard(in *liveInstance) {
	_ = in.db.Close()
	in.srv.CloseClientConnections()
	in.stop()
}

// waitRejoin waits for the server to tell the client its media moved and it should join again.
func waitRejoin(t *testing.T, v *voiceClient) {
	t.Helper()
	f := v.expect(func(f frame) bool { return f.Type == realtime.FrameMediaError })
	if f.Code != realtime.CodeMediaRejoin {
		t.Fatalf("%s: got %s, want a media_error %s", v.name, f.raw, realtime.CodeMediaRejoin)
	}
	v.quiet()
}

func TestVoiceAcrossInstancesFollowsTheFloorAndMovesWhenTheMediaInstanceDies(t *testing.T) {
	w, instances, units := newVoiceInstances(t, 2)
	one, two := instances[0], instances[1]
	p := w.A
	session := startSession(t, p, map[string]any{"mode": "turns"})
	api := voiceClientAPI(t)

	// The chair joins first, on instance one, whose unit takes the session's media; the partners
	// are connected to instance two, which relays their signalling to one.
	room := joinVoiceRoom(t, api, p, session.ID, one, two)
	chair, a, b := room.all[0], room.all[1], room.all[2]

	t.Run("the session's media lives on one instance", func(t *testing.T) {
		if !units[0].Carries(session.ID) || units[1].Carries(session.ID) {
			t.Fatalf("instance one carries media: %v, instance two: %v; want only one",
				units[0].Carries(session.ID), units[1].Carries(session.ID))
		}
	})
	t.Run("a free floor: only the chair is heard, across instances", func(t *testing.T) {
		room.t = t
		room.wantHeard(room.marks(), chair)
	})
	t.Run("the floor at a: a reaches b and the chair, b reaches no one", func(t *testing.T) {
		room.t = t
		room.wantHeard(room.after(chair, cmd("grant", "seat", "a")), chair, a)
	})
	t.Run("a switch to b, commanded on the other instance, takes effect", func(t *testing.T) {
		room.t = t
		room.wantHeard(room.after(chair, cmd("grant", "seat", "b")), chair, b)
	})
	t.Run("media_state reaches the participants relayed from another instance", func(t *testing.T) {
		want := `{"type":"media_state","participants":[` +
			`{"role":"chair","audio":true,"video":false,"heard":true,"speaking":false},` +
			`{"role":"a","audio":true,"video":false,"heard":false,"speaking":false},` +
			`{"role":"b","audio":true,"video":false,"heard":true,"speaking":false}]}`
		for _, v := range room.all {
			v.expect(func(f frame) bool { return f.raw == want })
		}
	})
	t.Run("someone outside the session cannot open the connection media rides on, on either instance", func(t *testing.T) {
		for _, in := range instances {
			ws, res, err := websocket.DefaultDialer.Dial(wsURL(in.srv.URL, session.ID, ""),
				http.Header{"Authorization": {"Bearer " + p.OtherPartner.Token}})
			if err == nil {
				ws.Close()
				t.Fatal("connected")
			}
			if res == nil || res.StatusCode != http.StatusNotFound {
				t.Fatalf("got %v, want 404", res)
			}
		}
	})

	t.Run("the media instance dies: media resumes on the other within seconds, the floor unchanged", func(t *testing.T) {
		room.t = t
		killed := time.Now()
		killHard(one)
		// The partners' instance sees the lease lapse and tells them to join again.
		waitRejoin(t, a)
		waitRejoin(t, b)
		a = joinVoice(t, api, a.client, floor.RoleA, false)
		b = joinVoice(t, api, b.client, floor.RoleB, false)
		chair.quiet()
		// The chair reconnects to instance two and numbers its commands on from where it was, as
		// a client that resumes does (a reused id would be answered as the command it named).
		again := dial(t, two.srv.URL, p.Therapist, session.ID, "")
		again.serial = chair.serial
		chair = joinVoice(t, api, again, floor.RoleChair, false)
		room.all = []*voiceClient{chair, a, b}
		if !units[1].Carries(session.ID) {
			t.Fatal("instance two does not carry the session's media")
		}
		// b held the floor before the crash and still does: the text floor is untouched.
		room.wantHeard(room.marks(), chair, b)
		if took := time.Since(killed); took > 15*time.Second {
			t.Fatalf("media resumed %v after the crash", took)
		}
		b.do(cmd("say", "text", "As I was saying."))
		room.wantHeard(room.after(chair, cmd("grant", "seat", "a")), chair, a)
	})
}

func TestVoiceLeaseLostToAnotherInstanceSendsEveryoneToJoinAgain(t *testing.T) {
	w, instances, units := newVoiceInstances(t, 1)
	in := instances[0]
	p := w.A
	session := startSession(t, p, map[string]any{"mode": "turns"})
	api := voiceClientAPI(t)
	room := joinVoiceRoom(t, api, p, session.ID, in, in)
	chair, a, b := room.all[0], room.all[1], room.all[2]
	room.wantHeard(room.after(chair, cmd("grant", "seat", "a")), chair, a)

	// Another instance took the lease while this one stalled; it stands for another second.
	if _, err := in.db.Exec(`UPDATE media_leases SET instance = 'instance-elsewhere', expires_at = now() + interval '1 second'
		WHERE session_id = $1`, session.ID); err != nil {
		t.Fatal(err)
	}
	for _, v := range room.all {
		waitRejoin(t, v)
	}
	for deadline := time.Now().Add(5 * time.Second); units[0].Carries(session.ID); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the instance that lost the lease still carries the session's media")
		}
	}
	// Joining again first reaches the other holder; when its lease lapses, the participants are
	// told to join once more, and the media comes back here with the floor as it was.
	chair = joinVoice(t, api, chair.client, floor.RoleChair, false)
	a = joinVoice(t, api, a.client, floor.RoleA, false)
	b = joinVoice(t, api, b.client, floor.RoleB, false)
	room.all = []*voiceClient{chair, a, b}
	room.wantHeard(room.marks(), chair, a)
	b.do(cmd("request_floor"))
}
