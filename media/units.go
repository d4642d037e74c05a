// Package media is Amend's selective forwarding unit: one server-side WebRTC peer connection per
// live-session participant, forwarding each audio packet only when the room's floor lets its
// sender be heard, and video to everyone. Nothing it carries is recorded or stored.
package media

import (
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/amendcare/amend/realtime"
)

// Config tunes the forwarding unit; zero fields take the defaults in brackets.
type Config struct {
	// IncludeLoopback gathers candidates on loopback addresses (development on one machine, tests).
	IncludeLoopback bool
	// IPFilter, when set, keeps only the local addresses it accepts as candidates.
	IPFilter func(net.IP) bool
	// StateEvery is how often a session's media_state is recomputed and, when it changed, sent [200ms].
	StateEvery time.Duration
	Logger     *slog.Logger
}

// Units are this instance's forwarding units, one per live session with media. A unit holds the
// whole media of its session, so that another instance can take a session's media over as a whole.
type Units struct {
	cfg Config
	api *webrtc.API

	mu    sync.Mutex
	units map[int64]*Unit
}

var _ realtime.Media = (*Units)(nil)

// Codecs the unit negotiates: Opus for audio, VP8 for video.
var (
	opusCodec = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType: 111,
	}
	vp8Codec = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}},
		PayloadType: 96,
	}
)

// New builds the forwarding units' WebRTC stack: UDP over IPv4 only, no mDNS, NACK and RTCP
// reports, and the RFC 6464 audio-level header extension that spoken interruptions are judged by.
func New(cfg Config) (*Units, error) {
	if cfg.StateEvery <= 0 {
		cfg.StateEvery = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	engine := &webrtc.MediaEngine{}
	if err := engine.RegisterCodec(opusCodec, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	if err := engine.RegisterCodec(vp8Codec, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := engine.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI},
		webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	registry := &interceptor.Registry{}
	if err := webrtc.ConfigureNack(engine, registry); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(registry); err != nil {
		return nil, err
	}
	var settings webrtc.SettingEngine
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	if cfg.IPFilter != nil {
		settings.SetIPFilter(cfg.IPFilter)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(engine), webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings))
	return &Units{cfg: cfg, api: api, units: map[int64]*Unit{}}, nil
}

// Signal handles one media frame of an admitted participant's connection.
func (u *Units) Signal(room *realtime.Room, client *realtime.Conn, frame realtime.MediaFrame) error {
	return u.signal(room, client, frame)
}

// Leave closes a departing connection's media.
func (u *Units) Leave(room *realtime.Room, client *realtime.Conn) {
	u.leave(room.ID(), client)
}

// Room is what a unit needs of its live room: the floor, read for every audio packet without
// waiting; a way to tell the room's clients; and a way to store a spoken interruption.
type Room interface {
	ID() int64
	Floor() realtime.State
	Broadcast(frame []byte)
	ReportSpokenInterruption(seat string)
}

// Client is one participant's live connection.
type Client interface {
	Role() realtime.Role
	Send(frame []byte)
}

var errNotJoined = &realtime.Error{Code: realtime.CodeBadRequest, Message: "Join the media first (media_join)."}

func (u *Units) signal(room Room, client Client, frame realtime.MediaFrame) error {
	if frame.Type == realtime.FrameMediaJoin {
		unit := u.hold(room)
		defer u.release(unit)
		return unit.join(client, frame.Video != nil && *frame.Video)
	}
	if frame.Type == realtime.FrameMediaLeave {
		u.leave(room.ID(), client)
		return nil
	}
	unit := u.unit(room.ID())
	if unit == nil {
		return errNotJoined
	}
	p := unit.peerOf(client)
	if p == nil {
		return errNotJoined
	}
	switch frame.Type {
	case realtime.FrameMediaAnswer:
		return p.answer(frame.SDP)
	case realtime.FrameMediaCandidate:
		return p.addCandidate(*frame.Candidate)
	default: // media_mute, the only frame DecodeMediaFrame lets through besides these
		p.mute(frame.Audio, frame.Video)
		return nil
	}
}

// hold returns the session's unit, opening it, and keeps it open until release.
func (u *Units) hold(room Room) *Unit {
	u.mu.Lock()
	defer u.mu.Unlock()
	unit := u.units[room.ID()]
	if unit == nil {
		unit = newUnit(u, room)
		u.units[room.ID()] = unit
	}
	unit.holds++
	return unit
}

// holdExisting keeps the session's open unit, if any, until release.
func (u *Units) holdExisting(sessionID int64) *Unit {
	u.mu.Lock()
	defer u.mu.Unlock()
	unit := u.units[sessionID]
	if unit != nil {
		unit.holds++
	}
	return unit
}

// release lets go of a hold; the unit closes when nothing holds it and no peer is left.
func (u *Units) release(unit *Unit) {
	u.mu.Lock()
	unit.holds--
	closing := unit.holds == 0 && unit.empty()
	if closing {
		delete(u.units, unit.id)
	}
	u.mu.Unlock()
	if closing {
		unit.stop()
	}
}

func (u *Units) unit(sessionID int64) *Unit {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.units[sessionID]
}

// leave closes the client's peer, if it has one.
func (u *Units) leave(sessionID int64, client Client) {
	u.closePeer(sessionID, client, nil)
}

// drop closes a peer whose connection failed, unless it was replaced or closed meanwhile.
func (u *Units) drop(p *peer) {
	u.closePeer(p.unit.id, p.client, p)
}

// closePeer closes the client's peer in the session (only that one, when only is set).
func (u *Units) closePeer(sessionID int64, client Client, only *peer) {
	unit := u.holdExisting(sessionID)
	if unit == nil {
		return
	}
	defer u.release(unit)
	if p := unit.detach(client, only); p != nil {
		p.close()
	}
}

// Sessions returns how many sessions have media on this instance.
func (u *Units) Sessions() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.units)
}
