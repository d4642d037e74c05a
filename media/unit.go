package media

import (
	"bytes"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
)

// roles are the participants of a session, in the order media_state lists them.
var roles = [...]floor.Role{floor.RoleChair, floor.RoleA, floor.RoleB}

// Unit is one session's forwarding unit: the participants' peer connections and, per participant,
// the outgoing audio and video tracks everyone else receives them on. It is the unit of media
// ownership: everything of a session's media lives in it, on one instance.
type Unit struct {
	units *Units
	id    int64
	room  Room
	// out holds each role's forwarded tracks; made with the unit and never changed, so the
	// packet path reads it without a lock.
	out map[floor.Role]*outTracks

	// holds counts signalling calls using the unit; guarded by units.mu.
	holds int

	mu    sync.Mutex
	peers map[floor.Role]*peer
	// sent is the last media_state sent to the room; nil sends the next one whatever it says.
	sent []byte

	done     chan struct{}
	finished chan struct{}
}

// outTracks are the tracks one participant's media reaches the others on.
type outTracks struct {
	audio, video *forwardTrack
}

// forwardTrack is a track forwarded to every other participant, renumbered as one stream.
type forwardTrack struct {
	track *webrtc.TrackLocalStaticRTP
	mu    sync.Mutex
	rw    rewriter
}

// forward renumbers a packet and writes it to every receiver of the track.
func (f *forwardTrack) forward(p *rtp.Packet, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rw.rewrite(&p.Header, now)
	return f.track.WriteRTP(p)
}

func newForwardTrack(codec webrtc.RTPCodecParameters, kind string, role floor.Role) *forwardTrack {
	// The stream id is the sender's role, so a client knows whose audio and video it receives.
	track, err := webrtc.NewTrackLocalStaticRTP(codec.RTPCodecCapability, kind+"-"+string(role), string(role))
	if err != nil {
		panic(err) // only fails for an empty codec
	}
	return &forwardTrack{track: track, rw: rewriter{clockRate: codec.ClockRate}}
}

func newUnit(units *Units, room Room) *Unit {
	unit := &Unit{
		units: units, id: room.ID(), room: room, out: map[floor.Role]*outTracks{},
		peers: map[floor.Role]*peer{}, done: make(chan struct{}), finished: make(chan struct{}),
	}
	for _, role := range roles {
		unit.out[role] = &outTracks{
			audio: newForwardTrack(opusCodec, "audio", role),
			video: newForwardTrack(vp8Codec, "video", role),
		}
	}
	go unit.reportState()
	return unit
}

// join opens a new peer connection for the client's role, replacing any earlier one, and sends
// the server's offer.
func (unit *Unit) join(client Client, video bool) error {
	p, err := newPeer(unit, client, video)
	if err != nil {
		return err
	}
	unit.mu.Lock()
	old := unit.peers[p.role]
	unit.peers[p.role] = p
	unit.sent = nil
	unit.mu.Unlock()
	if old != nil {
		if old.client != client {
			old.client.Send(realtime.EncodeMediaError("", &floor.Error{Code: realtime.CodeMediaFailed,
				Message: "Your voice moved to another window of this session."}))
		}
		old.close()
	}
	if err := p.offer(); err != nil {
		unit.detach(client, p)
		p.close()
		return err
	}
	return nil
}

// peerOf returns the client's current peer, or nil.
func (unit *Unit) peerOf(client Client) *peer {
	unit.mu.Lock()
	defer unit.mu.Unlock()
	if p := unit.peers[client.Role()]; p != nil && p.client == client {
		return p
	}
	return nil
}

// detach removes the client's peer (only that one, when only is set) and returns it for closing.
func (unit *Unit) detach(client Client, only *peer) *peer {
	unit.mu.Lock()
	defer unit.mu.Unlock()
	p := unit.peers[client.Role()]
	if p == nil || p.client != client || only != nil && p != only {
		return nil
	}
	delete(unit.peers, p.role)
	unit.sent = nil
	return p
}

func (unit *Unit) peer(role floor.Role) *peer {
	unit.mu.Lock()
	defer unit.mu.Unlock()
	return unit.peers[role]
}

// empty reports whether no peer is left.
func (unit *Unit) empty() bool {
	unit.mu.Lock()
	defer unit.mu.Unlock()
	return len(unit.peers) == 0
}

// stop ends the unit's state reports, once it has no peers, and waits for them to end.
func (unit *Unit) stop() {
	close(unit.done)
	<-unit.finished
}

// requestKeyframe asks the participant in role for a full video frame, for a receiver that needs
// one to start or recover.
func (unit *Unit) requestKeyframe(role floor.Role) {
	if p := unit.peer(role); p != nil {
		p.requestKeyframe()
	}
}

// audioIn is what the packet path keeps of one incoming audio stream between its packets.
type audioIn struct {
	levelID    uint8 // the negotiated id of the RFC 6464 audio level, or 0
	speech     floor.SpeechDetector
	pkt        rtp.Packet // reused for every packet
	lastSpeech time.Time  // the speech detector's last loud packet as last published
}

// receiveAudio takes one decrypted audio packet from role as it came off the connection and
// reports whether it was forwarded.
func (unit *Unit) receiveAudio(role floor.Role, in *audioIn, data []byte, now time.Time) (bool, error) {
	if err := in.pkt.Unmarshal(data); err != nil {
		return false, err
	}
	return unit.handleAudio(role, &in.speech, &in.pkt, packetLevel(&in.pkt, in.levelID), now)
}

// handleAudio is the per-packet path of audio from role: follow the speech for spoken
// interruptions, then forward the packet if the floor lets role be heard, else drop it.
// Packets without audio (padding only) are never forwarded.
func (unit *Unit) handleAudio(role floor.Role, speech *floor.SpeechDetector, pkt *rtp.Packet, level uint8, now time.Time) (bool, error) {
	hearing := unit.room.Hearing()
	empty := len(pkt.Payload) == 0
	if role == floor.RoleA || role == floor.RoleB {
		seat := string(role)
		if speech.Observe(now, level, empty, hearing.Interrupts(seat)) {
			unit.room.ReportSpokenInterruption(seat)
		}
	} else {
		speech.Observe(now, level, empty, false)
	}
	if empty || !hearing.Heard(role) {
		return false, nil
	}
	return true, unit.out[role].audio.forward(pkt, now)
}

// reportState sends the room a media_state whenever it changed, at most once per StateEvery.
func (unit *Unit) reportState() {
	defer close(unit.finished)
	tick := time.NewTicker(unit.units.cfg.StateEvery)
	defer tick.Stop()
	for {
		select {
		case <-unit.done:
			return
		case now := <-tick.C:
			frame := realtime.EncodeMediaState(unit.state(now))
			unit.mu.Lock()
			changed := !bytes.Equal(frame, unit.sent)
			unit.sent = frame
			unit.mu.Unlock()
			if changed {
				unit.room.Broadcast(frame)
			}
		}
	}
}

// state is who is connected, sending, heard and speaking at now.
func (unit *Unit) state(now time.Time) []realtime.MediaParticipant {
	hearing := unit.room.Hearing()
	out := make([]realtime.MediaParticipant, len(roles))
	unit.mu.Lock()
	defer unit.mu.Unlock()
	for i, role := range roles {
		out[i] = realtime.MediaParticipant{Role: role, Heard: hearing.Heard(role)}
		if p := unit.peers[role]; p != nil {
			out[i].Audio, out[i].Video, out[i].Speaking = p.sending(now)
		}
	}
	return out
}

// pictureLoss is the RTCP a receiver sends when it needs a full video frame.
func pictureLoss(packets []rtcp.Packet) bool {
	for _, pkt := range packets {
		switch pkt.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			return true
		}
	}
	return false
}
