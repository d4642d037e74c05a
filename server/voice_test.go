package server

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/media"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/store/dbtest"
)

// loopbackOnly keeps every media candidate, the server's and the test clients', on 127.0.0.0/8.
func loopbackOnly(ip net.IP) bool { return ip.IsLoopback() }

// The TURN relay the voice world's offers name; nothing listens there, the clients are on loopback.
const (
	voiceTURNURL    = "turn:127.0.0.1:3478?transport=udp"
	voiceTURNSecret = "a secret shared with the relay"
)

// voiceLease is the media lease of the voice tests: short, so a lapse is seconds.
const voiceLease = 2 * time.Second

// newVoiceInstances is a live world of n instances, each with its own forwarding units on one
// UDP port of its own.
func newVoiceInstances(t *testing.T, n int) (*world, []*liveInstance, []*media.Units) {
	t.Helper()
	units := make([]*media.Units, n)
	clock := newTestClock()
	w, instances := newLiveWorldEach(t, dbtest.DSN(t), n, func(i int, reg prometheus.Registerer) realtime.HubConfig {
		units[i] = newVoiceUnits(t, reg)
		cfg := liveConfig(clock)
		cfg.Media, cfg.MediaLease = units[i], voiceLease
		// A floor change waits for the media instance however loaded the machine running the
		// tests is: what they check is the order, not the bound.
		cfg.HearingWait = 10 * time.Second
		return cfg
	})
	return w, instances, units
}

// newVoiceUnits is an instance's forwarding units, on loopback only, their metrics in reg.
func newVoiceUnits(t *testing.T, reg prometheus.Registerer) *media.Units {
	t.Helper()
	units, err := media.New(media.Config{IncludeLoopback: true, IPFilter: loopbackOnly, StateEvery: 50 * time.Millisecond,
		TURNURLs: []string{voiceTURNURL}, TURNSecret: voiceTURNSecret, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	return units
}

// voiceClientAPI is the test clients' WebRTC stack: what a browser offers, on loopback only.
func voiceClientAPI(t *testing.T) *webrtc.API {
	t.Helper()
	engine := &webrtc.MediaEngine{}
	if err := engine.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI},
		webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(engine, registry); err != nil {
		t.Fatal(err)
	}
	var settings webrtc.SettingEngine
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetIPFilter(loopbackOnly)
	return webrtc.NewAPI(webrtc.WithMediaEngine(engine), webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings))
}

// received is one packet a voice client got: whose it was (the sender's counter in its payload)
// and the sequence number it arrived with.
type received struct {
	counter uint32
	seq     uint16
	exts    int
}

// voiceClient is a participant with a live connection and a pion peer connection that sends a
// crafted Opus packet every 20 ms, numbered in its payload, at a level the test sets, and with a
// camera, a VP8 packet as often.
type voiceClient struct {
	*client
	role   floor.Role
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticRTP
	camera *webrtc.TrackLocalStaticRTP // nil without video
	// keyframeAsked is closed when the server first asks the camera for a full frame.
	keyframeAsked chan struct{}
	// iceServers are those the server's last offer named.
	iceServers []webrtc.ICEServer
	// level is the RFC 6464 level of the packets sent next: 127 is silence, 30 speech.
	level atomic.Uint32
	// sent counts the packets numbered for sending; the last one carries sent-1. It moves on before
	// the packet is written, so a mark taken while a packet is on its way counts that packet as
	// sent before the mark.
	sent atomic.Uint32
	stop chan struct{}
	done chan struct{}

	// sending serializes the packets of the 20 ms clock and those a test sends at once.
	sending sync.Mutex
	levelID uint8 // the negotiated id of the audio-level extension

	mu  sync.Mutex
	got map[string][]received // by the forwarded track's id: audio-<role> or video-<role>
}

const (
	voiceSilent = 127
	voiceLoud   = 30
)

// joinVoice has a connected client join the room's media, with a camera when video is set, and
// waits until its peer connection is up.
func joinVoice(t *testing.T, api *webrtc.API, c *client, role floor.Role, video bool) *voiceClient {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000,
		Channels: 2}, "mic", "mic-"+string(role))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	v := &voiceClient{client: c, role: role, pc: pc, track: track, stop: make(chan struct{}), done: make(chan struct{}),
		keyframeAsked: make(chan struct{}), got: map[string][]received{}}
	if video {
		v.camera, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
			"camera", "camera-"+string(role))
		if err != nil {
			t.Fatal(err)
		}
		cam, err := pc.AddTransceiverFromTrack(v.camera, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			t.Fatal(err)
		}
		go v.watchKeyframeRequests(cam.Sender())
	}
	v.level.Store(voiceSilent)
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	pc.OnTrack(v.receive)

	c.send(map[string]any{"type": realtime.FrameMediaJoin, "id": "join-" + string(role), "video": video})
	for {
		select {
		case <-connected:
			for _, ext := range tr.Sender().GetParameters().HeaderExtensions {
				if ext.URI == sdp.AudioLevelURI {
					v.levelID = uint8(ext.ID)
				}
			}
			go v.speak()
			return v
		case f, ok := <-c.frames:
			if !ok {
				t.Fatalf("%s: connection ended while joining media: %v", c.name, c.closeErr)
			}
			c.record(f)
			v.signal(f)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: media did not connect within 10s", c.name)
		}
	}
}

// signal answers the server's offer and takes its candidates.
func (v *voiceClient) signal(f frame) {
	t := v.t
	t.Helper()
	var m struct {
		SDP        string                   `json:"sdp"`
		Candidate  *webrtc.ICECandidateInit `json:"candidate"`
		ICEServers []webrtc.ICEServer       `json:"ice_servers"`
	}
	if err := json.Unmarshal([]byte(f.raw), &m); err != nil {
		t.Fatal(err)
	}
	switch f.Type {
	case realtime.FrameMediaError:
		if f.Code == fault.MediaRejoin {
			// The session's media moved before this join was answered: join again, as browsers do.
			v.send(map[string]any{"type": realtime.FrameMediaJoin, "id": "rejoin-" + string(v.role), "video": v.camera != nil})
			return
		}
		t.Fatalf("%s: media error %s", v.name, f.raw)
	case realtime.FrameMediaOffer:
		v.iceServers = m.ICEServers
		if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
			t.Fatal(err)
		}
		answer, err := v.pc.CreateAnswer(nil)
		if err != nil {
			t.Fatal(err)
		}
		gathered := webrtc.GatheringCompletePromise(v.pc)
		if err := v.pc.SetLocalDescription(answer); err != nil {
			t.Fatal(err)
		}
		<-gathered
		v.send(map[string]any{"type": realtime.FrameMediaAnswer, "sdp": v.pc.LocalDescription().SDP})
	case realtime.FrameMediaCandidate:
		if err := v.pc.AddICECandidate(*m.Candidate); err != nil {
			t.Fatal(err)
		}
	}
}

// speak sends a packet every 20 ms until stopped.
func (v *voiceClient) speak() {
	defer close(v.done)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-tick.C:
		}
		if _, err := v.packet(); err != nil {
			return
		}
	}
}

// packet sends the next packet now and returns its number: the payload carries the number, the
// audio-level extension the level set; with a camera, a VP8 packet goes with it.
func (v *voiceClient) packet() (uint32, error) {
	v.sending.Lock()
	defer v.sending.Unlock()
	n := v.sent.Add(1) - 1
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(n), Timestamp: n * 960}, Payload: make([]byte, 8)}
	pkt.Payload[0] = 0xfc // an Opus TOC byte: a 20 ms CELT frame
	binary.BigEndian.PutUint32(pkt.Payload[4:], n)
	if v.levelID != 0 {
		level, err := rtp.AudioLevelExtension{Level: uint8(v.level.Load()), Voice: true}.Marshal()
		if err == nil {
			_ = pkt.SetExtension(v.levelID, level)
		}
	}
	if err := v.track.WriteRTP(pkt); err != nil {
		return 0, err
	}
	if v.camera != nil {
		frame := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(n), Timestamp: n * 1800},
			Payload: pkt.Payload}
		if err := v.camera.WriteRTP(frame); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// watchKeyframeRequests notes the server's first request for a full frame from the camera.
func (v *voiceClient) watchKeyframeRequests(sender *webrtc.RTPSender) {
	asked := false
	for {
		packets, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range packets {
			if _, ok := p.(*rtcp.PictureLossIndication); ok && !asked {
				asked = true
				close(v.keyframeAsked)
			}
		}
	}
}

// receive records every packet forwarded to this client, by whose it is.
func (v *voiceClient) receive(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	from := track.ID()
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		if len(pkt.Payload) < 8 {
			continue
		}
		v.mu.Lock()
		v.got[from] = append(v.got[from], received{counter: binary.BigEndian.Uint32(pkt.Payload[4:]),
			seq: pkt.SequenceNumber, exts: len(pkt.Extensions)})
		v.mu.Unlock()
	}
}

// from returns the numbers of the audio packets received from role, from packet first on.
func (v *voiceClient) from(role floor.Role, first uint32) []uint32 {
	return v.numbers("audio-"+string(role), first)
}

// numbers returns the numbers of the packets received on a track, from packet first on.
func (v *voiceClient) numbers(trackID string, first uint32) []uint32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []uint32
	for _, r := range v.got[trackID] {
		if r.counter >= first {
			out = append(out, r.counter)
		}
	}
	return out
}

// serverPort is the server's UDP port the client's media flows to.
func (v *voiceClient) serverPort() int {
	v.t.Helper()
	pair, err := v.pc.GetTransceivers()[0].Sender().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		v.t.Fatalf("%s has no selected candidate pair: %v", v.name, err)
	}
	return int(pair.Remote.Port)
}

// quiet stops sending and closes the client's peer connection.
func (v *voiceClient) quiet() {
	close(v.stop)
	<-v.done
	_ = v.pc.Close()
}

// voiceRoom is the three participants' voice clients.
type voiceRoom struct {
	t   *testing.T
	all []*voiceClient
}

// joinVoiceRoom connects the therapist of p to the session on chairAt and the partners on
// partnersAt, and joins the three to its media in that order (the chair's join takes the media
// to chairAt's instance), the roles in cameras with a camera.
func joinVoiceRoom(t *testing.T, api *webrtc.API, p *practice, sessionID int64, chairAt, partnersAt *liveInstance,
	cameras ...floor.Role) *voiceRoom {
	t.Helper()
	room := &voiceRoom{t: t}
	for _, who := range []struct {
		role floor.Role
		at   *liveInstance
		user *actor
	}{{floor.RoleChair, chairAt, p.Therapist}, {floor.RoleA, partnersAt, p.PartnerA}, {floor.RoleB, partnersAt, p.PartnerB}} {
		c := dial(t, who.at.srv.URL, who.user, sessionID, "")
		room.all = append(room.all, joinVoice(t, api, c, who.role, slices.Contains(cameras, who.role)))
	}
	return room
}

// marks notes the number of each client's next packet: packets from a mark on were sent after it.
func (r *voiceRoom) marks() map[*voiceClient]uint32 {
	out := map[*voiceClient]uint32{}
	for _, v := range r.all {
		out[v] = v.sent.Load()
	}
	return out
}

// wantHeard checks, for packets sent after the marks, that the heard participants' packets reach
// every other participant and the others' reach no one. It waits for the next 15 packets (300 ms)
// of every sender to be sent and the heard ones' to arrive.
func (r *voiceRoom) wantHeard(marks map[*voiceClient]uint32, heard ...*voiceClient) {
	t := r.t
	t.Helper()
	const window = 15
	deadline := time.Now().Add(5 * time.Second)
	for _, sender := range r.all {
		for sender.sent.Load() < marks[sender]+window+1 {
			if time.Now().After(deadline) {
				t.Fatalf("%s stopped sending", sender.name)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	isHeard := map[*voiceClient]bool{}
	for _, v := range heard {
		isHeard[v] = true
	}
	for _, sender := range r.all {
		for _, receiver := range r.all {
			if receiver == sender {
				continue
			}
			after := marks[sender]
			if !isHeard[sender] {
				if got := receiver.from(sender.role, after); len(got) > 0 {
					t.Fatalf("%s received %d packets of %s sent while %s was not heard (first %d after mark %d)",
						receiver.name, len(got), sender.name, sender.name, got[0], after)
				}
				continue
			}
			for len(receiver.from(sender.role, after)) < window {
				if time.Now().After(deadline) {
					t.Fatalf("%s received %d of %s's %d packets after the mark, want all",
						receiver.name, len(receiver.from(sender.role, after)), sender.name, window)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
}

// after runs a command and returns the marks taken once it was acknowledged: the floor it set
// is in force for every packet sent after them.
func (r *voiceRoom) after(c *voiceClient, command map[string]any) map[*voiceClient]uint32 {
	r.t.Helper()
	c.do(command)
	return r.marks()
}

func TestVoiceForwardsOnlyWhatTheFloorLetsBeHeard(t *testing.T) {
	w, instances, allUnits := newVoiceInstances(t, 1)
	units := allUnits[0]
	p := w.A
	session := startSession(t, p, map[string]any{"mode": "turns"})
	room := joinVoiceRoom(t, voiceClientAPI(t), p, session.ID, instances[0], instances[0], floor.RoleB)
	chair, a, b := room.all[0], room.all[1], room.all[2]

	t.Run("every participant's media flows through the instance's one UDP port", func(t *testing.T) {
		addrs := units.UDPAddrs()
		if len(addrs) != 1 {
			t.Fatalf("the media port listens on %v, want one loopback address", addrs)
		}
		for _, v := range room.all {
			if got := v.serverPort(); got != addrs[0].Port {
				t.Errorf("%s sends its media to port %d, want %d", v.name, got, addrs[0].Port)
			}
		}
	})
	t.Run("the offer names the TURN relay with credentials that expire", func(t *testing.T) {
		for _, v := range room.all {
			if len(v.iceServers) != 1 || len(v.iceServers[0].URLs) != 1 || v.iceServers[0].URLs[0] != voiceTURNURL {
				t.Fatalf("%s was offered ICE servers %+v, want the relay %s", v.name, v.iceServers, voiceTURNURL)
			}
			expiry, err := strconv.ParseInt(v.iceServers[0].Username, 10, 64)
			if err != nil {
				t.Fatalf("%s: TURN username %q is not an expiry time", v.name, v.iceServers[0].Username)
			}
			if left := time.Until(time.Unix(expiry, 0)); left <= time.Hour || left > media.TURNCredentialLifetime {
				t.Errorf("%s: TURN credentials expire in %v, want within %v", v.name, left, media.TURNCredentialLifetime)
			}
			if v.iceServers[0].Credential == "" {
				t.Errorf("%s: TURN credentials without a password", v.name)
			}
		}
	})
	t.Run("a free floor: only the chair is heard", func(t *testing.T) {
		room.t = t
		room.wantHeard(room.marks(), chair)
	})
	t.Run("video is forwarded to everyone, heard or not, and a keyframe is asked for", func(t *testing.T) {
		select {
		case <-b.keyframeAsked:
		case <-time.After(5 * time.Second):
			t.Fatal("the server never asked b's camera for a full frame")
		}
		mark := b.sent.Load()
		deadline := time.Now().Add(5 * time.Second)
		for _, receiver := range []*voiceClient{chair, a} {
			for len(receiver.numbers("video-b", mark)) < 10 {
				if time.Now().After(deadline) {
					t.Fatalf("%s received %d of b's video packets", receiver.name, len(receiver.numbers("video-b", mark)))
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	})
	t.Run("the floor at a: a reaches b and the chair, b reaches no one", func(t *testing.T) {
		room.t = t
		room.wantHeard(room.after(chair, cmd("grant", "seat", "a")), chair, a)
	})
	t.Run("a switch to b takes effect from the next packet", func(t *testing.T) {
		room.t = t
		room.wantHeard(room.after(chair, cmd("grant", "seat", "b")), chair, b)
	})
	t.Run("a pause drops both partners and passes the chair", func(t *testing.T) {
		room.t = t
		room.wantHeard(room.after(a, cmd("pause")), chair)
		room.wantHeard(room.after(chair, cmd("resume")), chair, b)
	})
	t.Run("listener mode: the paraphrasing listener is heard, the speaker is not", func(t *testing.T) {
		room.t = t
		room.wantHeard(room.after(chair, cmd("mode", "mode", "listener")), chair, b)
		room.wantHeard(room.after(b, cmd("yield")), chair, a)
		room.wantHeard(room.after(a, cmd("paraphrase", "text", "You felt left out.")), chair, b)
	})
	t.Run("b speaking over a's paraphrase is one spoken interruption per episode", func(t *testing.T) {
		room.t = t
		room.after(b, cmd("confirm", "ok", false)) // a paraphrases again, and is the one heard
		b.level.Store(voiceLoud)
		f := chair.expect(func(f frame) bool { return f.Type == floor.EventSpokenInterruption })
		var e struct {
			Seat  string      `json:"seat"`
			Actor floor.Actor `json:"actor"`
		}
		if err := json.Unmarshal([]byte(f.raw), &e); err != nil {
			t.Fatal(err)
		}
		if e.Seat != floor.SeatB || e.Actor.Role != floor.RoleB {
			t.Fatalf("spoken interruption %s, want one of b by b", f.raw)
		}
		// b goes on speaking: still the same episode.
		for mark := b.sent.Load(); b.sent.Load() < mark+25; {
			time.Sleep(5 * time.Millisecond)
		}
		b.level.Store(voiceSilent)
		seq := chair.do(cmd("moderator", "text", "Let's let a finish."))
		chair.until(seq)
		var summary struct {
			Summary realtime.Summary `json:"summary"`
		}
		res := p.Therapist.do(http.MethodGet, "/api/v1/live/"+id(session.ID)+"/summary", nil)
		res.JSON(t, &summary)
		if want := (floor.Tally{B: 1}); summary.Summary.SpokenInterruptions != want {
			t.Fatalf("summary spoken interruptions %+v, want %+v (%s)", summary.Summary.SpokenInterruptions, want, res.Body)
		}
		if n := strings.Count(chair.types(), floor.EventSpokenInterruption); n != 1 {
			t.Fatalf("the chair saw %d spoken interruptions: %s", n, chair.types())
		}
	})
	t.Run("receivers see contiguous sequence numbers and no foreign header extensions", func(t *testing.T) {
		for _, receiver := range room.all {
			receiver.mu.Lock()
			for from, packets := range receiver.got {
				for i, r := range packets {
					if r.exts != 0 {
						t.Errorf("%s got a packet of %s with %d header extensions", receiver.name, from, r.exts)
					}
					if i > 0 && r.seq != packets[i-1].seq+1 {
						t.Errorf("%s: %s's packets jump from seq %d to %d", receiver.name, from, packets[i-1].seq, r.seq)
					}
				}
			}
			receiver.mu.Unlock()
		}
	})
	t.Run("media_state tells everyone who sends and who is heard", func(t *testing.T) {
		// a paraphrases: the chair and a are heard, b is not; all three send audio, b video too.
		want := `{"type":"media_state","participants":[` +
			`{"role":"chair","audio":true,"video":false,"heard":true,"speaking":false},` +
			`{"role":"a","audio":true,"video":false,"heard":true,"speaking":false},` +
			`{"role":"b","audio":true,"video":true,"heard":false,"speaking":false}]}`
		for _, v := range room.all {
			v.expect(func(f frame) bool { return f.raw == want })
		}
	})
	t.Run("leaving and disconnecting close every peer connection", func(t *testing.T) {
		chair.send(map[string]any{"type": realtime.FrameMediaLeave})
		for _, v := range room.all {
			v.quiet()
		}
		a.ws.Close()
		b.ws.Close()
		deadline := time.Now().Add(10 * time.Second)
		for units.Sessions() != 0 || mediaGoroutines() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d sessions and %d goroutines of the forwarding unit or WebRTC are left", units.Sessions(), mediaGoroutines())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// mediaGoroutines counts the goroutines running the forwarding unit's or pion's code.
func mediaGoroutines() int {
	buf := make([]byte, 1<<22)
	stacks := string(buf[:runtime.Stack(buf, true)])
	n := 0
	for _, g := range strings.Split(stacks, "\n\n") {
		// The shared UDP port's reader lives as long as the units, not a session.
		if strings.Contains(g, "UDPMuxDefault).connWorker") {
			continue
		}
		if strings.Contains(g, "amend/media.") || strings.Contains(g, "github.com/pion/") {
			n++
		}
	}
	return n
}

func TestVoiceSignallingIsRefusedWhereItDoesNotBelong(t *testing.T) {
	t.Parallel()
	w, _, _ := newVoiceInstances(t, 1)
	session := startSession(t, w.A, nil)
	for _, tc := range []struct {
		name string
		who  *actor
	}{
		{"partner of another couple", w.A.OtherPartner},
		{"therapist not on the care team", w.A.OtherTherapist},
		{"therapist in practice B", w.B.Therapist},
	} {
		t.Run(tc.name+" cannot open the connection media rides on", func(t *testing.T) {
			ws, res, err := websocket.DefaultDialer.Dial(wsURL(w.srv.URL, session.ID, ""),
				http.Header{"Authorization": {"Bearer " + tc.who.Token}})
			if err == nil {
				ws.Close()
				t.Fatal("connected")
			}
			if res == nil || res.StatusCode != http.StatusNotFound {
				t.Fatalf("got %v, want 404", res)
			}
		})
	}

	a := dial(t, w.srv.URL, w.A.PartnerA, session.ID, "")
	for _, tc := range []struct {
		name  string
		frame map[string]any
		code  string
	}{
		{"an answer before joining", map[string]any{"type": "media_answer", "id": "m1", "sdp": "v=0"}, "bad_request"},
		{"a candidate before joining", map[string]any{"type": "media_candidate", "id": "m2",
			"candidate": map[string]any{"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}}, "bad_request"},
		{"an answer without its sdp", map[string]any{"type": "media_answer", "id": "m3"}, "bad_request"},
		{"a field of another frame", map[string]any{"type": "media_join", "id": "m4", "sdp": "v=0"}, "bad_request"},
		{"an unknown field", map[string]any{"type": "media_mute", "id": "m5", "audio": true, "volume": 3}, "bad_request"},
		{"an unknown media frame", map[string]any{"type": "media_record", "id": "m6"}, "bad_request"},
		{"a mute with nothing to say", map[string]any{"type": "media_mute", "id": "m7"}, "bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.send(tc.frame)
			f := a.expect(func(f frame) bool { return f.Type == realtime.FrameMediaError || f.Type == realtime.FrameError })
			if f.Type != realtime.FrameMediaError || f.ID != tc.frame["id"] || f.Code != tc.code {
				t.Fatalf("got %s, want a media_error %s for %s", f.raw, tc.code, tc.frame["id"])
			}
		})
	}
	// The text room carries on.
	a.do(cmd("request_floor"))
}

func TestVoiceOnATextOnlyServerIsUnavailableAndTheRoomCarriesOn(t *testing.T) {
	t.Parallel()
	w, _ := newLiveWorld(t, 1, liveConfig(newTestClock()))
	session := startSession(t, w.A, nil)
	a := dial(t, w.srv.URL, w.A.PartnerA, session.ID, "")
	a.send(map[string]any{"type": realtime.FrameMediaJoin, "id": "m1"})
	f := a.expect(func(f frame) bool { return f.Type == realtime.FrameMediaError })
	if f.ID != "m1" || f.Code != fault.MediaUnavailable {
		t.Fatalf("got %s, want media_unavailable for m1", f.raw)
	}
	a.do(cmd("request_floor"))
}

// TestVoiceFloorChangeHoldsForThePacketsSentOnItsEvent: a partner who sends audio the moment
// they hear that the floor moved is heard if it moved to them and not heard if it moved away.
// Each round, the holder yields to the partner waiting, and both send a packet as soon as the
// grant reaches them, with the command on the instance carrying the media and on another.
func TestVoiceFloorChangeHoldsForThePacketsSentOnItsEvent(t *testing.T) {
	for _, tc := range []struct {
		name      string
		instances int
	}{
		{"the floor moves on the instance carrying the media", 1},
		{"the floor moves on another instance than the media", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, instances, _ := newVoiceInstances(t, tc.instances)
			p := w.A
			session := startSession(t, p, map[string]any{"mode": "turns"})
			room := joinVoiceRoom(t, voiceClientAPI(t), p, session.ID, instances[0], instances[tc.instances-1])
			chair, holder, waiting := room.all[0], room.all[1], room.all[2]
			granted := chair.do(cmd("grant", "seat", "a"))
			holder.until(granted)
			waiting.until(granted)
			for round := range 6 {
				waiting.do(cmd("request_floor"))
				holder.send(cmd("yield"))
				granted := func(f frame) bool { return f.Type == floor.EventFloorGranted }
				waiting.expect(granted)
				heard, err := waiting.packet()
				if err != nil {
					t.Fatal(err)
				}
				holder.expect(granted)
				unheard, err := holder.packet()
				if err != nil {
					t.Fatal(err)
				}
				for _, receiver := range []*voiceClient{chair, holder} {
					for deadline := time.Now().Add(5 * time.Second); !slices.Contains(receiver.from(waiting.role, heard), heard); {
						if time.Now().After(deadline) {
							got := receiver.from(waiting.role, heard-min(heard, 3))
							t.Fatalf("round %d: %s never received packet %d that %s sent on being granted the floor (got %v)",
								round, receiver.name, heard, waiting.name, got[:min(len(got), 12)])
						}
						time.Sleep(5 * time.Millisecond)
					}
				}
				// Packets forwarded after the new holder's are forwarded after the old holder's,
				// which went out at once: waiting for a later packet of the new holder bounds the wait.
				later := waiting.sent.Load() + 2
				for deadline := time.Now().Add(5 * time.Second); len(chair.from(waiting.role, later)) == 0; {
					if time.Now().After(deadline) {
						t.Fatalf("round %d: the chair stopped receiving %s", round, waiting.name)
					}
					time.Sleep(5 * time.Millisecond)
				}
				for _, receiver := range []*voiceClient{chair, waiting} {
					if got := receiver.from(holder.role, unheard); len(got) > 0 {
						t.Fatalf("round %d: %s received packets %v of %s sent after the floor left them (from %d)",
							round, receiver.name, got, holder.name, unheard)
					}
				}
				holder, waiting = waiting, holder
			}
		})
	}
}

// TestVoiceTimesEachForwardedPacketInTheServer: the server measures, for every audio packet it
// forwards, the time from its media port to the last forwarded write, and reports it on /metrics;
// dropped packets are not counted.
func TestVoiceTimesEachForwardedPacketInTheServer(t *testing.T) {
	t.Parallel()
	w, instances, _ := newVoiceInstances(t, 1)
	session := startSession(t, w.A, map[string]any{"mode": "turns"})
	room := joinVoiceRoom(t, voiceClientAPI(t), w.A, session.ID, instances[0], instances[0])
	chair, a, b := room.all[0], room.all[1], room.all[2]
	chair.do(cmd("grant", "seat", "a"))
	// Only a, who holds the floor, and b, who does not, send from here on.
	chair.quiet()
	before := forwardTimes(t, instances[0])
	aFrom, bFrom := a.sent.Load(), b.sent.Load()
	const window = 25
	deadline := time.Now().Add(10 * time.Second)
	for len(b.from(a.role, aFrom)) < window || b.sent.Load() < bFrom+window {
		if time.Now().After(deadline) {
			t.Fatalf("b received %d of a's packets in 10 s", len(b.from(a.role, aFrom)))
		}
		time.Sleep(5 * time.Millisecond)
	}
	after := forwardTimes(t, instances[0])
	// a's packets sent meanwhile are counted, with those still in flight when the count began;
	// b's, dropped, are not (they would double the count).
	timed, sentByA := after.count-before.count, a.sent.Load()-aFrom
	if timed < window/2 || timed > uint64(sentByA)+3 {
		t.Fatalf("%d packets timed while a sent %d and b %d, want about a's (at least %d)", timed, sentByA,
			b.sent.Load()-bFrom, window/2)
	}
	if mean := (after.sum - before.sum) / float64(timed); mean <= 0 || mean > 1 {
		t.Fatalf("a forwarded packet spent %v s in the server on average, want a time under a second", mean)
	}
}

// forwardTimeTotals are the count and sum of the server's forwarding-time histogram.
type forwardTimeTotals struct {
	count uint64
	sum   float64
}

// forwardTimes reads the forwarding-time histogram's totals from an instance's /metrics.
func forwardTimes(t *testing.T, in *liveInstance) forwardTimeTotals {
	t.Helper()
	res, err := http.Get(in.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out forwardTimeTotals
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "amend_media_forward_seconds_count "); ok {
			out.count, err = strconv.ParseUint(v, 10, 64)
		} else if v, ok := strings.CutPrefix(line, "amend_media_forward_seconds_sum "); ok {
			out.sum, err = strconv.ParseFloat(v, 64)
		}
		if err != nil {
			t.Fatalf("/metrics: %q: %v", line, err)
		}
	}
	return out
}

// TestVoiceMediaFramesAreRateLimitedLikeCommands floods one connection with media frames while
// the client reads everything: the excess is told in at most one rate_limited media_error a
// second, naming how many frames were refused, as for commands; the connection stays open and
// another participant's allowance is untouched.
func TestVoiceMediaFramesAreRateLimitedLikeCommands(t *testing.T) {
	t.Parallel()
	w, _, _ := newVoiceInstances(t, 1)
	session := startSession(t, w.A, nil)
	a := dial(t, w.srv.URL, w.A.PartnerA, session.ID, "")
	b := dial(t, w.srv.URL, w.A.PartnerB, session.ID, "")

	const flood = 300
	started := time.Now()
	for i := range flood {
		a.send(map[string]any{"type": realtime.FrameMediaMute, "id": "mute-" + id(int64(i)), "audio": true})
	}
	// Each mute let through is answered (there is no media to mute yet); the refused ones are counted.
	answered, refused, reports := 0, 0, 0
	for answered+refused < flood {
		f := a.expect(func(f frame) bool { return f.Type == realtime.FrameMediaError })
		switch {
		case f.Code == "bad_request":
			answered++
		case f.Code == fault.RateLimited && f.Refused > 0:
			refused += f.Refused
			reports++
		default:
			t.Fatalf("flooded media_mute: %s", f.raw)
		}
	}
	if answered < 80 || refused == 0 {
		t.Fatalf("%d media frames answered and %d refused of %d, want the burst of 80 through and the rest refused", answered, refused, flood)
	}
	if most := int(time.Since(started)/time.Second) + 2; reports > most {
		t.Fatalf("%d rate_limited media errors in %v, want at most one a second", reports, time.Since(started))
	}

	b.send(map[string]any{"type": realtime.FrameMediaMute, "id": "b-mute", "audio": true})
	if f := b.expect(func(f frame) bool { return f.Type == realtime.FrameMediaError }); f.ID != "b-mute" || f.Code != "bad_request" {
		t.Fatalf("b's media frame: got %s, want it answered, not rate limited", f.raw)
	}
	a.do(cmd("request_floor"))
}
