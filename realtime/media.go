package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/amendcare/amend/realtime/floor"
)

// Media signalling frames ride the live connection as JSON text frames; they are never stored and
// carry no seq. Client to server:
const (
	FrameMediaJoin   = "media_join"   // ask for a media connection; the server answers with an offer
	FrameMediaAnswer = "media_answer" // the answer to the server's latest offer
	FrameMediaMute   = "media_mute"   // the sender's own microphone and camera state, advisory
	FrameMediaLeave  = "media_leave"  // close this participant's media; the text room stays
	// FrameMediaCandidate travels both ways: a trickled ICE candidate.
	FrameMediaCandidate = "media_candidate"
)

// Server to client:
const (
	FrameMediaOffer = "media_offer" // the server always offers, initially and on every change of tracks
	FrameMediaState = "media_state" // who is connected, sending, heard and speaking
	FrameMediaError = "media_error" // media could not be set up or a media frame was bad
)

// Error codes of media frames; bad_request and not_allowed are shared with commands.
const (
	CodeMediaUnavailable = "media_unavailable"
	CodeMediaFailed      = "media_failed"
	// CodeMediaRejoin: the instance carrying the session's media changed; send media_join again.
	CodeMediaRejoin = "media_rejoin"
)

// MaxSDPLength bounds a session description a client sends; a browser's answer is a few KiB.
const MaxSDPLength = 12 << 10

// MediaFrame is a media signalling frame from a client. Which fields matter depends on Type.
type MediaFrame struct {
	Type string `json:"type"`
	// ID is optional; an error frame about this frame echoes it.
	ID  string `json:"id,omitempty"`
	SDP string `json:"sdp,omitempty"`
	// Candidate is an RTCIceCandidateInit as the browser gives it.
	Candidate *MediaCandidate `json:"candidate,omitempty"`
	// Audio and Video say whether the sender sends (join: whether it wants to send video).
	Audio *bool `json:"audio,omitempty"`
	Video *bool `json:"video,omitempty"`
}

// MediaCandidate is a trickled ICE candidate, the shape of the browser's RTCIceCandidateInit.
type MediaCandidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// MediaParticipant is one line of a media_state frame.
type MediaParticipant struct {
	Role floor.Role `json:"role"`
	// Audio and Video: connected and sending.
	Audio bool `json:"audio"`
	Video bool `json:"video"`
	// Heard: the forwarding rule passes this participant's audio on now.
	Heard bool `json:"heard"`
	// Speaking: their audio was above the speech level within the last SpeakingRecent.
	Speaking bool `json:"speaking"`
}

// Media is the forwarding unit's side of the live connection: it carries the participants' audio
// and video while the room decides who is heard. The room admits a connection first, so only the
// session's participants ever reach it.
type Media interface {
	// Signal handles one media frame of a participant; a refusal is an *Error, sent back as a
	// media_error frame.
	Signal(room MediaRoom, client MediaClient, frame MediaFrame) error
	// Leave closes the media of a connection that is going away; the room stays.
	Leave(room MediaRoom, client MediaClient)
	// Carries reports whether the session's media is open on this instance.
	Carries(sessionID int64) bool
	// Evict closes the session's media on this instance, first sending each participant frame.
	Evict(sessionID int64, frame []byte)
}

// MediaRoom is what the forwarding unit needs of a live room: who is heard, read for every audio
// packet without waiting; a way to tell the room's clients on every instance; and a way to store
// a spoken interruption.
type MediaRoom interface {
	ID() int64
	Hearing() floor.Hearing
	Broadcast(frame []byte)
	ReportSpokenInterruption(seat string)
}

// MediaClient is one participant's connection, on this instance or, relayed, on another.
type MediaClient interface {
	Role() floor.Role
	Send(frame []byte)
}

// maxCandidateLength bounds a candidate line a client sends.
const maxCandidateLength = 1024

// DecodeMediaFrame parses a client frame whose type is a media frame; ok is false for any other
// frame, which is then a command. Like DecodeCommand it accepts one JSON object of known fields
// that its type uses, and refuses anything else as bad_request.
func DecodeMediaFrame(data []byte) (frame MediaFrame, ok bool, err *floor.Error) {
	if !bytes.Contains(data, []byte(`"media_`)) {
		return MediaFrame{}, false, nil
	}
	// The type says whether this is a media frame at all, and the id is echoed by any refusal.
	var peek struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if json.NewDecoder(bytes.NewReader(data)).Decode(&peek) != nil || !strings.HasPrefix(peek.Type, "media_") {
		return MediaFrame{}, false, nil
	}
	if len(peek.ID) > MaxCommandIDLength {
		return MediaFrame{}, true, floor.Refuse(floor.CodeBadRequest, "The message id is longer than 64 characters.")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&frame); err != nil {
		return MediaFrame{ID: peek.ID}, true, decodeError(err)
	}
	if !onlyWhitespace(data[dec.InputOffset():]) {
		return MediaFrame{ID: peek.ID}, true, floor.Refuse(floor.CodeBadRequest, "Send one JSON object per message.")
	}
	return frame, true, checkMediaFields(frame)
}

// checkMediaFields refuses a media frame that lacks what its type needs or carries what it does not use.
func checkMediaFields(f MediaFrame) *floor.Error {
	sdp, candidate, audio, video := f.SDP != "", f.Candidate != nil, f.Audio != nil, f.Video != nil
	var fits bool
	switch f.Type {
	case FrameMediaJoin:
		fits = !sdp && !candidate && !audio
	case FrameMediaAnswer:
		fits = sdp && !candidate && !audio && !video
		if fits && len(f.SDP) > MaxSDPLength {
			return floor.Refuse(floor.CodeBadRequest, "The session description is too long.")
		}
	case FrameMediaCandidate:
		fits = !sdp && candidate && !audio && !video
		if fits && len(f.Candidate.Candidate) > maxCandidateLength {
			return floor.Refuse(floor.CodeBadRequest, "The candidate is too long.")
		}
	case FrameMediaMute:
		fits = !sdp && !candidate && (audio || video)
	case FrameMediaLeave:
		fits = !sdp && !candidate && !audio && !video
	default:
		return floor.Refuse(floor.CodeBadRequest, "Unknown message type.")
	}
	if !fits {
		return floor.Refuse(floor.CodeBadRequest, "The fields do not fit a "+f.Type+" message.")
	}
	return nil
}

// ICEServer is one entry of a media_offer's ice_servers, the shape of the browser's RTCIceServer:
// a TURN relay, with time-limited credentials, for clients that cannot reach the server directly.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// EncodeMediaOffer returns the frame carrying the server's offer and the ICE servers the client
// should use for it.
func EncodeMediaOffer(sdp string, servers []ICEServer) []byte {
	return mustMarshal(struct {
		Type       string      `json:"type"`
		SDP        string      `json:"sdp"`
		ICEServers []ICEServer `json:"ice_servers,omitempty"`
	}{FrameMediaOffer, sdp, servers})
}

// EncodeMediaCandidate returns the frame carrying one of the server's ICE candidates.
func EncodeMediaCandidate(c MediaCandidate) []byte {
	return mustMarshal(struct {
		Type      string         `json:"type"`
		Candidate MediaCandidate `json:"candidate"`
	}{FrameMediaCandidate, c})
}

// EncodeMediaState returns the frame telling the room who is connected, heard and speaking.
func EncodeMediaState(participants []MediaParticipant) []byte {
	return mustMarshal(struct {
		Type         string             `json:"type"`
		Participants []MediaParticipant `json:"participants"`
	}{FrameMediaState, participants})
}

// mediaError is a media_error frame; Refused is set only by rate_limited.
type mediaError struct {
	Type    string `json:"type"`
	ID      string `json:"id,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Refused int    `json:"refused,omitempty"`
}

// EncodeMediaError returns the frame refusing media frame id, or telling that media failed.
func EncodeMediaError(id string, err *floor.Error) []byte {
	return mustMarshal(mediaError{Type: FrameMediaError, ID: id, Code: err.Code, Message: err.Message})
}

// EncodeMediaRateLimited returns the media_error telling that refused media frames were
// dropped, the last of them with id id.
func EncodeMediaRateLimited(id string, refused int) []byte {
	return mustMarshal(mediaError{Type: FrameMediaError, ID: id, Code: CodeRateLimited, Refused: refused,
		Message: "Too many media messages: " + strconv.Itoa(refused) + " refused. Slow down a little."})
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed shapes of strings and bools are marshalled here
	}
	return b
}

// handleMedia runs a client frame that is a media frame and reports whether it was one.
func (c *Conn) handleMedia(data []byte) bool {
	frame, ok, err := DecodeMediaFrame(data)
	if !ok {
		return false
	}
	if err != nil {
		c.send(EncodeMediaError(frame.ID, err))
		return true
	}
	switch {
	case c.hub.media == nil:
		c.send(EncodeMediaError(frame.ID, floor.Refuse(CodeMediaUnavailable, "Voice is not available on this server; the text room works as usual.")))
	case !c.p.mayTalk():
		c.send(EncodeMediaError(frame.ID, floor.Refuse(floor.CodeNotAllowed, "You may not speak in this session.")))
	case !c.allowMedia(frame.ID):
	default:
		if err := c.hub.media.signal(c, frame); err != nil {
			c.send(EncodeMediaError(frame.ID, c.hub.mediaRefusal(c.room.id, frame.Type, err)))
		}
	}
	return true
}

// mediaRefusal is what a participant is told when their media frame failed: the refusal itself,
// or, for an unexpected error (logged), that media could not be set up.
func (h *Hub) mediaRefusal(sessionID int64, frameType string, err error) *floor.Error {
	refusal, isRefusal := errors.AsType[*floor.Error](err)
	if !isRefusal {
		h.logger.Error("live media signalling failed", "session", sessionID, "type", frameType, "err", err)
		refusal = floor.Refuse(CodeMediaFailed, "The media connection could not be set up; try again.")
	}
	return refusal
}

// mayTalk reports whether the participant's voice belongs in the room: a partner who may speak,
// a chair who may moderate.
func (p Participant) mayTalk() bool {
	if p.Role == floor.RoleChair {
		return p.MayModerate
	}
	return p.MaySpeak
}

// allowMedia takes a media frame from the connection's rate limit, or counts it as refused, told
// like refused commands: at most one rate_limited media_error a second, naming how many frames
// were refused. A join trickles a dozen candidates at once, so the burst is generous while the
// rate stays that of commands.
func (c *Conn) allowMedia(id string) bool {
	if c.mediaLimits == nil {
		c.mediaLimits = &mediaLimits{frames: rate.NewLimiter(c.hub.cfg.CommandRate, 2*c.hub.cfg.CommandBurst),
			refusals: refusals{encode: EncodeMediaRateLimited}}
	}
	if c.mediaLimits.frames.Allow() {
		return true
	}
	c.mediaLimits.refusals.count(c, id)
	return false
}

// leaveMedia closes the connection's media, if the server carries any.
func (c *Conn) leaveMedia() {
	if c.hub.media != nil {
		c.hub.media.leave(c)
	}
}

// Role is the participant's role on this connection.
func (c *Conn) Role() floor.Role { return c.p.Role }

// Send queues a frame for the client, like every frame the room sends it.
func (c *Conn) Send(frame []byte) { c.send(frame) }

// ID is the room's live session.
func (r *Room) ID() int64 { return r.id }

// Hearing is who is heard as of the latest event this instance knows of, without waiting for
// the room: the forwarding unit asks it for every audio packet. It can run ahead of the events
// the room delivered, never behind them.
func (r *Room) Hearing() floor.Hearing { return floor.Hearing(r.hearing.Load()) }

// hear makes h the room's hearing unless the room already has a newer one.
func (r *Room) hear(h floor.Hearing) {
	for {
		old := r.hearing.Load()
		if floor.Hearing(old).Seq() > h.Seq() || r.hearing.CompareAndSwap(old, uint64(h)) {
			return
		}
	}
}

// Broadcast sends an ephemeral frame to every connection of the room on this instance.
func (r *Room) Broadcast(frame []byte) { r.broadcast(frame, nil) }

// spokenInterruptionTimeout bounds storing one spoken interruption.
const spokenInterruptionTimeout = 10 * time.Second

// ReportSpokenInterruption stores a spoken interruption by the partner in seat as the session's
// next event, through the same commit path as every command, so every instance delivers it. It
// does not wait: the caller is the audio path.
func (r *Room) ReportSpokenInterruption(seat string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), spokenInterruptionTimeout)
		defer cancel()
		_, err := r.hub.execute(ctx, r.id, floor.Command{Type: floor.CommandSpokenInterruption, Seat: seat}, floor.Actor{Role: floor.RoleSystem})
		var refusal *floor.Error
		if err != nil && !errors.As(err, &refusal) && !errors.Is(err, ErrClosing) {
			r.hub.logger.Warn("live spoken interruption not stored", "session", r.id, "err", err)
		}
	}()
}
