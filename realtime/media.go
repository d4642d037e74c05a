package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"golang.org/x/time/rate"
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
	Role Role `json:"role"`
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
	Signal(room *Room, client *Conn, frame MediaFrame) error
	// Leave closes the media of a connection that is going away; the room stays.
	Leave(room *Room, client *Conn)
}

// maxCandidateLength bounds a candidate line a client sends.
const maxCandidateLength = 1024

// DecodeMediaFrame parses a client frame whose type is a media frame; ok is false for any other
// frame, which is then a command. Like DecodeCommand it accepts one JSON object of known fields
// that its type uses, and refuses anything else as bad_request.
func DecodeMediaFrame(data []byte) (frame MediaFrame, ok bool, err *Error) {
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
		return MediaFrame{}, true, refuse(CodeBadRequest, "The message id is longer than 64 characters.")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&frame); err != nil {
		return MediaFrame{ID: peek.ID}, true, decodeError(err)
	}
	if !onlyWhitespace(data[dec.InputOffset():]) {
		return MediaFrame{ID: peek.ID}, true, refuse(CodeBadRequest, "Send one JSON object per message.")
	}
	return frame, true, checkMediaFields(frame)
}

// checkMediaFields refuses a media frame that lacks what its type needs or carries what it does not use.
func checkMediaFields(f MediaFrame) *Error {
	sdp, candidate, audio, video := f.SDP != "", f.Candidate != nil, f.Audio != nil, f.Video != nil
	var fits bool
	switch f.Type {
	case FrameMediaJoin:
		fits = !sdp && !candidate && !audio
	case FrameMediaAnswer:
		fits = sdp && !candidate && !audio && !video
		if fits && len(f.SDP) > MaxSDPLength {
			return refuse(CodeBadRequest, "The session description is too long.")
		}
	case FrameMediaCandidate:
		fits = !sdp && candidate && !audio && !video
		if fits && len(f.Candidate.Candidate) > maxCandidateLength {
			return refuse(CodeBadRequest, "The candidate is too long.")
		}
	case FrameMediaMute:
		fits = !sdp && !candidate && (audio || video)
	case FrameMediaLeave:
		fits = !sdp && !candidate && !audio && !video
	default:
		return refuse(CodeBadRequest, "Unknown message type.")
	}
	if !fits {
		return refuse(CodeBadRequest, "The fields do not fit a "+f.Type+" message.")
	}
	return nil
}

// EncodeMediaOffer returns the frame carrying the server's offer.
func EncodeMediaOffer(sdp string) []byte {
	return mustMarshal(struct {
		Type string `json:"type"`
		SDP  string `json:"sdp"`
	}{FrameMediaOffer, sdp})
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

// EncodeMediaError returns the frame refusing media frame id, or telling that media failed.
func EncodeMediaError(id string, err *Error) []byte {
	return mustMarshal(struct {
		Type    string `json:"type"`
		ID      string `json:"id,omitempty"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}{FrameMediaError, id, err.Code, err.Message})
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
	media := c.hub.cfg.Media
	switch {
	case media == nil:
		c.send(EncodeMediaError(frame.ID, refuse(CodeMediaUnavailable, "Voice is not available on this server; the text room works as usual.")))
	case !c.p.mayTalk():
		c.send(EncodeMediaError(frame.ID, refuse(CodeNotAllowed, "You may not speak in this session.")))
	case !c.mediaLimit().Allow():
		c.send(EncodeMediaError(frame.ID, refuse(CodeRateLimited, "Too many media messages; slow down a little.")))
	default:
		if err := media.Signal(c.room, c, frame); err != nil {
			refusal, isRefusal := errors.AsType[*Error](err)
			if !isRefusal {
				c.hub.logger.Error("live media signalling failed", "session", c.room.id, "type", frame.Type, "err", err)
				refusal = refuse(CodeMediaFailed, "The media connection could not be set up; try again.")
			}
			c.send(EncodeMediaError(frame.ID, refusal))
		}
	}
	return true
}

// mayTalk reports whether the participant's voice belongs in the room: a partner who may speak,
// a chair who may moderate.
func (p Participant) mayTalk() bool {
	if p.Role == RoleChair {
		return p.MayModerate
	}
	return p.MaySpeak
}

// mediaLimit is the connection's rate limit for media frames: a join trickles a dozen candidates
// at once, so the burst is generous while the rate stays that of commands.
func (c *Conn) mediaLimit() *rate.Limiter {
	if c.mediaLimiter == nil {
		c.mediaLimiter = rate.NewLimiter(c.hub.cfg.CommandRate, 2*c.hub.cfg.CommandBurst)
	}
	return c.mediaLimiter
}

// leaveMedia closes the connection's media, if the server carries any.
func (c *Conn) leaveMedia() {
	if media := c.hub.cfg.Media; media != nil {
		media.Leave(c.room, c)
	}
}

// Role is the participant's role on this connection.
func (c *Conn) Role() Role { return c.p.Role }

// Send queues a frame for the client, like every frame the room sends it.
func (c *Conn) Send(frame []byte) { c.send(frame) }

// ID is the room's live session.
func (r *Room) ID() int64 { return r.id }

// Floor returns the floor as of the last event the room applied, without waiting for the room:
// the forwarding unit asks it for every audio packet.
func (r *Room) Floor() State {
	if s := r.floor.Load(); s != nil {
		return *s
	}
	return State{}
}

// publishFloorLocked makes the room's state the one Floor returns; the room holds its lock.
func (r *Room) publishFloorLocked() {
	s := r.state
	r.floor.Store(&s)
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
		_, err := r.hub.execute(ctx, r.id, Command{Type: CommandSpokenInterruption, Seat: seat}, Actor{Role: RoleSystem})
		var refusal *Error
		if err != nil && !errors.As(err, &refusal) && !errors.Is(err, ErrClosing) {
			r.hub.logger.Warn("live spoken interruption not stored", "session", r.id, "err", err)
		}
	}()
}
