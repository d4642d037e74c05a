package media

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
)

// maxPendingCandidates bounds the candidates kept while the answer has not come yet.
const maxPendingCandidates = 64

// peer is one participant's server-side peer connection. Its transceivers are fixed when it
// is made: the participant's own audio (and video, when asked) coming in, and the other two
// participants' audio and video going out. So adding or losing a participant never needs a
// new offer.
type peer struct {
	unit   *Unit
	client Client
	role   floor.Role
	pc     *webrtc.PeerConnection

	mu sync.Mutex // signalling
	// offering is held while the offer is made and sent: candidates gathered meanwhile wait for
	// it, so the client never gets a candidate before the offer it belongs to.
	offering  sync.Mutex
	answered  bool
	pending   []webrtc.ICECandidateInit
	closeOnce sync.Once

	connected    atomic.Bool
	audioIn      atomic.Bool // an audio track arrived
	videoIn      atomic.Bool
	sendingAudio atomic.Bool // the client's own mute state: true unless it said otherwise
	sendingVideo atomic.Bool
	lastSpeech   atomic.Int64  // unix nanoseconds of the last loud audio packet
	videoSource  atomic.Uint32 // SSRC of the incoming video, for keyframe requests
	// arrival is where the media port notes this participant's latest audio packet, once connected.
	arrival atomic.Pointer[arrivalSlot]

	loops sync.WaitGroup // the goroutines reading the connection's tracks and RTCP
}

func newPeer(unit *Unit, client Client, video bool) (*peer, error) {
	pc, err := unit.units.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &peer{unit: unit, client: client, role: client.Role(), pc: pc}
	p.sendingAudio.Store(true)
	p.sendingVideo.Store(video)
	if err := p.addTransceivers(video); err != nil {
		_ = pc.Close()
		return nil, err
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			p.offering.Lock()
			defer p.offering.Unlock()
			client.Send(realtime.EncodeMediaCandidate(toMediaCandidate(c.ToJSON())))
		}
	})
	pc.OnTrack(p.receive)
	pc.OnConnectionStateChange(p.connectionChanged)
	return p, nil
}

// addTransceivers lays out the connection: incoming audio first (and video), then the outgoing
// audio and video of the other participants.
func (p *peer) addTransceivers(video bool) error {
	recv := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
	if _, err := p.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, recv); err != nil {
		return err
	}
	if video {
		if _, err := p.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, recv); err != nil {
			return err
		}
	}
	for _, role := range roles {
		if role == p.role {
			continue
		}
		out := p.unit.out[role]
		for _, track := range []*forwardTrack{out.audio, out.video} {
			sender, err := p.pc.AddTransceiverFromTrack(track.track,
				webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
			if err != nil {
				return err
			}
			p.loops.Add(1)
			go p.readRTCP(sender.Sender(), role, track == out.video)
		}
	}
	return nil
}

// offer sends the server's offer; candidates follow as they are gathered.
func (p *peer) offer() error {
	p.offering.Lock()
	defer p.offering.Unlock()
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	if err := p.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	cfg := p.unit.units.cfg
	p.client.Send(realtime.EncodeMediaOffer(offer.SDP, iceServers(cfg.TURNURLs, cfg.TURNSecret, time.Now())))
	return nil
}

var (
	errBadAnswer    = &floor.Error{Code: floor.CodeBadRequest, Message: "The answer does not fit the server's offer."}
	errBadCandidate = &floor.Error{Code: floor.CodeBadRequest, Message: "The ICE candidate could not be used."}
	errTooMany      = &floor.Error{Code: floor.CodeBadRequest, Message: "Too many ICE candidates before the answer."}
)

// answer applies the client's answer, then the candidates that came before it.
func (p *peer) answer(sdpText string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdpText}); err != nil {
		return errBadAnswer
	}
	p.answered = true
	pending := p.pending
	p.pending = nil
	for _, c := range pending {
		if err := p.pc.AddICECandidate(c); err != nil {
			return errBadCandidate
		}
	}
	return nil
}

// addCandidate adds a trickled candidate of the client, or keeps it until the answer came.
func (p *peer) addCandidate(c realtime.MediaCandidate) error {
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex,
		UsernameFragment: c.UsernameFragment}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.answered {
		if len(p.pending) >= maxPendingCandidates {
			return errTooMany
		}
		p.pending = append(p.pending, init)
		return nil
	}
	if err := p.pc.AddICECandidate(init); err != nil {
		return errBadCandidate
	}
	return nil
}

func toMediaCandidate(c webrtc.ICECandidateInit) realtime.MediaCandidate {
	return realtime.MediaCandidate{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex,
		UsernameFragment: c.UsernameFragment}
}

// mute records what the client says it sends.
func (p *peer) mute(audio, video *bool) {
	if audio != nil {
		p.sendingAudio.Store(*audio)
	}
	if video != nil {
		p.sendingVideo.Store(*video)
	}
}

// sending reports whether the participant is connected and sending audio and video, and speaking.
func (p *peer) sending(now time.Time) (audio, video, speaking bool) {
	if !p.connected.Load() {
		return false, false, false
	}
	audio = p.audioIn.Load() && p.sendingAudio.Load()
	video = p.videoIn.Load() && p.sendingVideo.Load()
	speaking = audio && floor.RecentSpeech(time.Unix(0, p.lastSpeech.Load()), now)
	return audio, video, speaking
}

func (p *peer) connectionChanged(state webrtc.PeerConnectionState) {
	switch state {
	case webrtc.PeerConnectionStateConnected:
		p.connected.Store(true)
		p.watchArrivals()
	case webrtc.PeerConnectionStateFailed:
		p.connected.Store(false)
		p.client.Send(realtime.EncodeMediaError("", &floor.Error{Code: realtime.CodeMediaFailed,
			Message: "The media connection was lost; join again to reconnect."}))
		go p.unit.units.drop(p)
	case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateClosed:
		p.connected.Store(false)
	}
}

// receive starts forwarding an incoming track.
func (p *peer) receive(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	p.loops.Add(1)
	defer p.loops.Done()
	switch track.Kind() {
	case webrtc.RTPCodecTypeAudio:
		p.audioIn.Store(true)
		p.readAudio(track, audioLevelID(receiver))
	case webrtc.RTPCodecTypeVideo:
		p.videoIn.Store(true)
		p.videoSource.Store(uint32(track.SSRC()))
		p.unit.requestKeyframe(p.role)
		p.readVideo(track)
	}
}

// audioLevelID is the id the connection negotiated for the RFC 6464 audio level, or 0.
func audioLevelID(receiver *webrtc.RTPReceiver) uint8 {
	for _, ext := range receiver.GetParameters().HeaderExtensions {
		if ext.URI == sdp.AudioLevelURI {
			return uint8(ext.ID)
		}
	}
	return 0
}

// silence is the level of a packet that does not say its level.
const silence = 127

// packetLevel reads a packet's RFC 6464 audio level.
func packetLevel(pkt *rtp.Packet, levelID uint8) uint8 {
	if levelID == 0 {
		return silence
	}
	raw := pkt.GetExtension(levelID)
	if raw == nil {
		return silence
	}
	var ext rtp.AudioLevelExtension
	if ext.Unmarshal(raw) != nil {
		return silence
	}
	return ext.Level
}

const maxPacket = 1500

func (p *peer) readAudio(track *webrtc.TrackRemote, levelID uint8) {
	in := audioIn{levelID: levelID}
	buf := make([]byte, maxPacket)
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		forwarded, err := p.unit.receiveAudio(p.role, &in, buf[:n], time.Now())
		switch {
		case err != nil:
			p.unit.units.cfg.Logger.Debug("media audio not forwarded", "session", p.unit.id, "err", err)
		case forwarded:
			p.timeForwarding(binary.BigEndian.Uint16(buf[2:4]))
		}
		if in.speech.LastSpeech() != in.lastSpeech {
			in.lastSpeech = in.speech.LastSpeech()
			p.lastSpeech.Store(in.lastSpeech.UnixNano())
		}
	}
}

func (p *peer) readVideo(track *webrtc.TrackRemote) {
	out := p.unit.out[p.role].video
	var pkt rtp.Packet
	buf := make([]byte, maxPacket)
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil || len(pkt.Payload) == 0 {
			continue
		}
		if err := out.forward(&pkt, time.Now()); err != nil {
			p.unit.units.cfg.Logger.Debug("media video not forwarded", "session", p.unit.id, "err", err)
		}
	}
}

// readRTCP takes what a receiver reports about a forwarded track, so the interceptors see it
// (NACKs are answered from their buffer); a receiver's request for a full video frame goes on
// to the participant whose video it is.
func (p *peer) readRTCP(sender *webrtc.RTPSender, source floor.Role, video bool) {
	defer p.loops.Done()
	for {
		packets, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		if video && pictureLoss(packets) {
			p.unit.requestKeyframe(source)
		}
	}
}

// requestKeyframe asks this participant's camera for a full frame.
func (p *peer) requestKeyframe() {
	if ssrc := p.videoSource.Load(); ssrc != 0 {
		_ = p.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
	}
}

// watchArrivals has the media port note this participant's audio packets as they come in, from
// the address the connection settled on, so each forwarded packet's time in the server is measured.
func (p *peer) watchArrivals() {
	arrivals := p.unit.units.arrivals
	for _, tr := range p.pc.GetTransceivers() {
		if tr.Receiver() == nil {
			continue
		}
		pair, err := tr.Receiver().Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil {
			return
		}
		ip, err := netip.ParseAddr(pair.Remote.Address)
		if err != nil {
			return
		}
		if old := p.arrival.Swap(arrivals.watch(netip.AddrPortFrom(ip, pair.Remote.Port))); old != nil {
			arrivals.forget(old)
		}
		return
	}
}

// timeForwarding records how long the audio packet with sequence number seq, just forwarded,
// spent in the server since it came off the media port.
func (p *peer) timeForwarding(seq uint16) {
	if slot := p.arrival.Load(); slot != nil {
		if d, ok := p.unit.units.arrivals.inServer(slot, seq); ok {
			p.unit.units.forwardTime.Observe(d.Seconds())
		}
	}
}

// close ends the peer connection and waits for its goroutines.
func (p *peer) close() {
	p.closeOnce.Do(func() {
		_ = p.pc.Close()
		p.loops.Wait()
		if slot := p.arrival.Swap(nil); slot != nil {
			p.unit.units.arrivals.forget(slot)
		}
	})
}
