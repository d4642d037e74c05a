package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// VoiceResult is what a voice run measured.
type VoiceResult struct {
	Rooms        int     `json:"rooms"`
	Seconds      float64 `json:"seconds"`
	PacketsSent  int64   `json:"audio_packets_sent"`
	PacketsHeard int64   `json:"audio_packets_received"`
	// Forwarding is packet in to packet out through the server, timed by the send time each packet
	// carries in its payload; it includes both loopback hops and the clients' own WebRTC stacks.
	Forwarding Latency `json:"forwarding"`
	// ServerForwarding is the part of it spent in the server, from its media port to the last
	// forwarded write, as the server's own histogram (amend_media_forward_seconds) saw it.
	ServerForwarding Latency `json:"server_forwarding"`
	FloorChanges     int64   `json:"floor_changes"`
	// OutOfTurn counts partners' packets that passed the server after the floor had left them.
	OutOfTurn         int64   `json:"out_of_turn_received"`
	ServerCPUPercent  float64 `json:"server_cpu_percent_of_one_core,omitempty"`
	CPUPerRoomPercent float64 `json:"server_cpu_percent_of_one_core_per_room,omitempty"`
	// CPUPerPacket is the server's CPU time per audio packet sent to it, forwarding included:
	// comparable between runs whose clients could not keep the full 50 packets a second.
	CPUPerPacketMicros   float64          `json:"server_cpu_us_per_audio_packet,omitempty"`
	ConnectSeconds       float64          `json:"connect_seconds"`
	Errors               map[string]int64 `json:"errors_by_code"`
	Failures             int64            `json:"failures"`
	PacketsPerRoomPerSec float64          `json:"audio_packets_in_per_room_per_second"`
	// BenchCPUPercent is this generator's own CPU: its three clients a room share the machine
	// with the server.
	BenchCPUPercent float64 `json:"bench_cpu_percent_of_one_core"`
	CPU             CPUCost `json:"cpu"`
}

type voiceFlags struct {
	url        string
	admin      string
	password   string
	rooms      int
	duration   time.Duration
	floorEvery time.Duration
	serverPIDs pidList
	dataDir    string
	jsonOut    string
}

// Audio levels of the packets: the floor holder speaks, the others are quiet (RFC 6464, -dBov).
const (
	levelSpeech  = 30
	levelSilence = 127
	packetEvery  = 20 * time.Millisecond
	// opusPayload is the size of a 20 ms Opus frame of speech at about 24 kbit/s.
	opusPayload = 60
)

func runVoice(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("voice", flag.ContinueOnError)
	var f voiceFlags
	fs.StringVar(&f.url, "url", "http://127.0.0.1:8080", "Amend's address (loopback only)")
	fs.StringVar(&f.admin, "admin", "admin@demo.amend.test", "a practice administrator to set up with")
	fs.StringVar(&f.password, "password", "amend-demo-password", "that administrator's password")
	fs.IntVar(&f.rooms, "rooms", 10, "live sessions, each with three participants sending audio")
	fs.DurationVar(&f.duration, "duration", 20*time.Second, "how long to measure once every room is connected")
	fs.DurationVar(&f.floorEvery, "floor-every", 5*time.Second, "how often each room's chair passes the floor to the other partner")
	fs.Var(&f.serverPIDs, "server-pid", "the server's process id, to report its CPU per room")
	fs.StringVar(&f.dataDir, "data-dir", "", "the server's --data-dir, to report its embedded PostgreSQL's CPU")
	fs.StringVar(&f.jsonOut, "json", "", "also write the result as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopbackOnly(f.url); err != nil {
		return err
	}
	res, err := voiceLoad(ctx, f)
	if err != nil {
		return err
	}
	printVoiceResult(res)
	if werr := maybeWriteJSON(f.jsonOut, res); werr != nil {
		return werr
	}
	if res.Failures > 0 {
		return fmt.Errorf("%d commands or media connections failed (see the errors above)", res.Failures)
	}
	return nil
}

// voiceRoom is one session's chair, who passes the floor, and who holds it.
type voiceRoom struct {
	chair *wsClient
	floor floorView
}

// floorView is the bench's knowledge of a room's floor. The server moves the floor between the
// chair sending a grant and the chair receiving its event, and judges a packet when it arrives,
// so a partner's packet is known to be out of turn only when it was sent after the event that
// took the floor from them and received while no next grant had been sent yet.
type floorView struct {
	mu          sync.Mutex
	holder      string
	movedAt     time.Time // the chair received the event that gave holder the floor
	grantSentAt time.Time // a grant is on its way; zero when none is
}

func (v *floorView) seat() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.holder
}

func (v *floorView) granting(at time.Time) {
	v.mu.Lock()
	v.grantSentAt = at
	v.mu.Unlock()
}

func (v *floorView) moved(seat string, at time.Time) {
	v.mu.Lock()
	v.holder, v.movedAt, v.grantSentAt = seat, at, time.Time{}
	v.mu.Unlock()
}

// outOfTurn reports whether a partner's packet, sent at sent and received now, passed the server
// while the floor was surely not theirs.
func (v *floorView) outOfTurn(seat string, sent time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return seat != v.holder && !v.movedAt.IsZero() && sent.After(v.movedAt) && v.grantSentAt.IsZero()
}

// voicePeer is a participant's WebRTC side: a pion peer connection that sends a crafted Opus
// packet every 20 ms, carrying its send time, and times every packet it receives.
type voicePeer struct {
	ws        *wsClient
	seat      string // "a", "b", or "" for the chair
	room      *voiceRoom
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticRTP
	mic       *webrtc.RTPSender
	levelID   atomic.Uint32
	connected chan struct{}
	failed    chan string
}

// voiceClientAPI is the bench's WebRTC stack, like a browser's: Opus with the audio-level
// extension, UDP over IPv4 on loopback only.
func voiceClientAPI() (*webrtc.API, error) {
	engine := &webrtc.MediaEngine{}
	if err := engine.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	if err := engine.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI},
		webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(engine, registry); err != nil {
		return nil, err
	}
	var settings webrtc.SettingEngine
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	return webrtc.NewAPI(webrtc.WithMediaEngine(engine), webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings)), nil
}

func newVoicePeer(api *webrtc.API, room *voiceRoom, ws *wsClient, seat string, forwarding *recorder, heard, outOfTurn *atomic.Int64) (*voicePeer, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2},
		"mic", "mic-"+ws.name)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	// The microphone, ready before the offer comes: the offer's first section takes it.
	mic, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	p := &voicePeer{ws: ws, seat: seat, room: room, pc: pc, track: track, mic: mic.Sender(), connected: make(chan struct{}),
		failed: make(chan string, 1)}
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(p.connected) })
		}
	})
	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		// The server's track ids are audio-<role> and video-<role>.
		from := strings.TrimPrefix(remote.ID(), "audio-")
		for {
			pkt, _, err := remote.ReadRTP()
			if err != nil {
				return
			}
			at := time.Now()
			if len(pkt.Payload) < 9 {
				continue
			}
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(pkt.Payload[1:])))
			forwarding.add(at.Sub(sent))
			heard.Add(1)
			if from != "chair" && room.floor.outOfTurn(from, sent) {
				outOfTurn.Add(1)
			}
		}
	})
	ws.onMedia = p.signal
	return p, nil
}

// signal answers the server's offer with every candidate in the answer and takes its candidates.
func (p *voicePeer) signal(f frame, data []byte) {
	var m struct {
		SDP       string                   `json:"sdp"`
		Candidate *webrtc.ICECandidateInit `json:"candidate"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		p.fail("media: " + err.Error())
		return
	}
	switch f.Type {
	case "media_error":
		p.fail("media_error " + f.Code)
	case "media_offer":
		if err := p.answer(m.SDP); err != nil {
			p.fail("media answer: " + err.Error())
		}
	case "media_candidate":
		if m.Candidate != nil {
			if err := p.pc.AddICECandidate(*m.Candidate); err != nil {
				p.fail("media candidate: " + err.Error())
			}
		}
	}
}

func (p *voicePeer) answer(offer string) error {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return err
	}
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return err
	}
	<-gathered
	for _, ext := range p.mic.GetParameters().HeaderExtensions {
		if ext.URI == sdp.AudioLevelURI {
			p.levelID.Store(uint32(ext.ID))
		}
	}
	_, err = p.ws.send(context.Background(), map[string]any{"type": "media_answer", "sdp": p.pc.LocalDescription().SDP})
	return err
}

func (p *voicePeer) fail(reason string) {
	select {
	case p.failed <- reason:
	default:
	}
}

// join asks for media and waits until the peer connection is up.
func (p *voicePeer) join(ctx context.Context) error {
	if _, err := p.ws.send(ctx, map[string]any{"type": "media_join", "video": false}); err != nil {
		return err
	}
	select {
	case <-p.connected:
		return nil
	case reason := <-p.failed:
		return fmt.Errorf("%s: %s", p.ws.name, reason)
	case <-time.After(20 * time.Second):
		return fmt.Errorf("%s: media did not connect within 20s", p.ws.name)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// speak sends a packet every 20 ms until ctx ends: an Opus TOC byte, the send time, padding to
// a speech frame's size, and the audio level of speech while the participant's seat holds the
// floor (the chair and the others are quiet).
func (p *voicePeer) speak(ctx context.Context, sent *atomic.Int64) {
	tick := time.NewTicker(packetEvery)
	defer tick.Stop()
	payload := make([]byte, opusPayload)
	payload[0] = 0xfc // a 20 ms CELT frame
	for n := uint32(0); ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		level := uint8(levelSilence)
		if p.seat != "" && p.seat == p.room.floor.seat() {
			level = levelSpeech
		}
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(n), Timestamp: n * 960}, Payload: payload}
		if id := uint8(p.levelID.Load()); id != 0 {
			if ext, err := (rtp.AudioLevelExtension{Level: level, Voice: true}).Marshal(); err == nil {
				_ = pkt.SetExtension(id, ext)
			}
		}
		binary.BigEndian.PutUint64(payload[1:], uint64(time.Now().UnixNano()))
		if p.track.WriteRTP(pkt) != nil {
			return
		}
		sent.Add(1)
	}
}

// forwardHistogram is the server's measure of each forwarded audio packet's time inside it.
const forwardHistogram = "amend_media_forward_seconds"

func voiceLoad(ctx context.Context, f voiceFlags) (VoiceResult, error) {
	res := VoiceResult{Rooms: f.rooms, Errors: map[string]int64{}}
	rtc, err := voiceClientAPI()
	if err != nil {
		return res, err
	}
	root := &api{base: strings.TrimRight(f.url, "/"), client: &http.Client{Timeout: 30 * time.Second}}
	fix, err := setUp(ctx, root, f.admin, f.password, "turns", f.rooms, f.rooms, f.rooms)
	if err != nil {
		return res, err
	}
	var errMu sync.Mutex
	countErr := func(code string) {
		errMu.Lock()
		res.Errors[code]++
		res.Failures++
		errMu.Unlock()
	}
	dialer := &websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	var forwarding recorder
	var sent, heard, outOfTurn, floorChanges atomic.Int64
	rooms := make([]*voiceRoom, len(fix.sessions))
	var all []*wsClient
	var peers []*voicePeer
	defer func() {
		for _, p := range peers {
			_ = p.pc.Close()
		}
		for _, c := range all {
			c.drop()
		}
	}()
	for i, s := range fix.sessions {
		couple := fix.couples[s.couple]
		r := &voiceRoom{}
		for _, seat := range []string{"", "a", "b"} {
			token, name := fix.therapist, fmt.Sprintf("s%d-chair", s.id)
			if seat == "a" {
				token, name = couple.partnerA, fmt.Sprintf("s%d-a", s.id)
			} else if seat == "b" {
				token, name = couple.partnerB, fmt.Sprintf("s%d-b", s.id)
			}
			c := &wsClient{url: wsURL(root.base, s.id), token: token, dialer: dialer, pending: map[string]chan frame{}, name: name}
			all = append(all, c)
			if seat == "" {
				r.chair = c
				// The floor moves for the audio when the room applies the event, just before
				// it delivers it: the chair's copy of the event marks the moment.
				c.onEvent = func(fr frame, at time.Time) {
					if fr.Type == "floor_granted" {
						r.floor.moved(fr.Seat, at)
						floorChanges.Add(1)
					}
				}
			}
			p, err := newVoicePeer(rtc, r, c, seat, &forwarding, &heard, &outOfTurn)
			if err != nil {
				return res, err
			}
			peers = append(peers, p)
		}
		rooms[i] = r
	}
	connectStart := time.Now()
	if err := connectAll(ctx, all, true); err != nil {
		return res, err
	}
	// Joins go a few at a time: each gathers candidates and runs DTLS handshakes.
	if err := parallel(len(peers), 8, func(i int) error { return peers[i].join(ctx) }); err != nil {
		return res, err
	}
	for _, r := range rooms {
		if fr, err := r.chair.send(ctx, map[string]any{"type": "grant", "seat": "a"}); err != nil || fr.Type == "error" {
			return res, fmt.Errorf("opening grant: %v %s", err, fr.Code)
		}
	}
	res.ConnectSeconds = time.Since(connectStart).Seconds()

	speakCtx, stopSpeaking := context.WithCancel(ctx)
	var speakers sync.WaitGroup
	for _, p := range peers {
		speakers.Add(1)
		go func() { defer speakers.Done(); p.speak(speakCtx, &sent) }()
	}
	// Let every stream settle before measuring: the first packets wait for SRTP to start.
	warm := time.NewTimer(time.Second)
	select {
	case <-warm.C:
	case <-ctx.Done():
		stopSpeaking()
		speakers.Wait()
		return res, ctx.Err()
	}
	forwarding.reset()
	sentBefore, heardBefore, changesBefore := sent.Load(), heard.Load(), floorChanges.Load()
	inServerBefore, err := scrapeHistogram(ctx, root.client, root.base, forwardHistogram)
	if err != nil {
		stopSpeaking()
		speakers.Wait()
		return res, err
	}
	meter := newCPUMeter(f.serverPIDs, f.dataDir)
	cpuStart := meter.sample()
	start := time.Now()
	playCtx, stop := context.WithTimeout(ctx, f.duration)
	defer stop()
	var chairs sync.WaitGroup
	for _, r := range rooms {
		chairs.Add(1)
		go func() {
			defer chairs.Done()
			passFloor(playCtx, r, f.floorEvery, countErr)
		}()
	}
	chairs.Wait()
	elapsed := time.Since(start)
	cpuEnd := meter.sample()
	inServerAfter, err := scrapeHistogram(ctx, root.client, root.base, forwardHistogram)
	stopSpeaking()
	speakers.Wait()
	if err != nil {
		return res, err
	}
	res.ServerForwarding = inServerAfter.since(inServerBefore).latency()

	res.Seconds = elapsed.Seconds()
	res.PacketsSent, res.PacketsHeard = sent.Load()-sentBefore, heard.Load()-heardBefore
	res.PacketsPerRoomPerSec = float64(res.PacketsSent) / float64(f.rooms) / elapsed.Seconds()
	res.Forwarding = forwarding.summary()
	res.FloorChanges, res.OutOfTurn = floorChanges.Load()-changesBefore, outOfTurn.Load()
	res.CPU = meter.cost(cpuStart, cpuEnd, res.PacketsSent, "audio packet in")
	res.BenchCPUPercent = res.CPU.oneCorePercent(res.CPU.BenchMS)
	if res.CPU.ServerMeasured {
		res.ServerCPUPercent = res.CPU.oneCorePercent(res.CPU.ServerMS)
		res.CPUPerRoomPercent = res.ServerCPUPercent / float64(f.rooms)
		res.CPUPerPacketMicros = 1000 * res.CPU.ServerMSPerOp
	}
	for _, p := range peers {
		select {
		case reason := <-p.failed:
			countErr(reason)
		default:
		}
	}
	return res, nil
}

// passFloor has the room's chair give the floor to the other partner every interval, at a
// moment of its own, until ctx ends.
func passFloor(ctx context.Context, r *voiceRoom, every time.Duration, countErr func(string)) {
	// Rooms start their cycles spread over one interval, as sessions do not move in step.
	next := time.NewTimer(time.Duration(float64(every) * (0.5 + 0.5*rand.Float64())))
	defer next.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-next.C:
			next.Reset(every)
		}
		to := otherSeat(r.floor.seat())
		r.floor.granting(time.Now())
		fr, err := r.chair.send(ctx, map[string]any{"type": "grant", "seat": to})
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return
		case err != nil:
			countErr("grant: " + err.Error())
		case fr.Type == "error":
			countErr("grant: " + fr.Code)
		}
	}
}

func printVoiceResult(r VoiceResult) {
	w := os.Stdout
	fmt.Fprintf(w, "voice: %d rooms of three, %.1fs (connected in %.1fs)\n", r.Rooms, r.Seconds, r.ConnectSeconds)
	fmt.Fprintf(w, "  audio packets    %d sent (%.0f per room per second), %d received\n", r.PacketsSent, r.PacketsPerRoomPerSec, r.PacketsHeard)
	fmt.Fprintf(w, "  forwarding       %s (client to client: both clients' WebRTC stacks and loopback hops included)\n", r.Forwarding)
	fmt.Fprintf(w, "  in the server    n=%d p50=%.2fms p95=%.2fms p99=%.2fms max<=%gms (media port to last forwarded write)\n",
		r.ServerForwarding.Count, r.ServerForwarding.P50, r.ServerForwarding.P95, r.ServerForwarding.P99, r.ServerForwarding.Max)
	fmt.Fprintf(w, "  floor changes    %d; packets heard out of turn %d\n", r.FloorChanges, r.OutOfTurn)
	if r.ServerCPUPercent > 0 {
		fmt.Fprintf(w, "  server CPU       %.1f%% of one core, %.2f%% per room, %.0f µs per audio packet in\n",
			r.ServerCPUPercent, r.CPUPerRoomPercent, r.CPUPerPacketMicros)
	}
	fmt.Fprintf(w, "  amend-bench CPU  %.1f%% of one core (the clients' side)\n", r.BenchCPUPercent)
	fmt.Fprintf(w, "  CPU              %s\n", r.CPU)
	for code, n := range r.Errors {
		fmt.Fprintf(w, "  error %-28s %d\n", code, n)
	}
}
