// Package media is Amend's selective forwarding unit: one server-side WebRTC peer connection per
// live-session participant, forwarding each audio packet only when the room's floor lets its
// sender be heard, and video to everyone. Nothing it carries is recorded or stored.
package media

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
)

// Config tunes the forwarding unit; zero fields take the defaults in brackets.
type Config struct {
	// IncludeLoopback gathers candidates on loopback addresses (development on one machine, tests).
	IncludeLoopback bool
	// IPFilter, when set, keeps only the local addresses it accepts as candidates.
	IPFilter func(net.IP) bool
	// UDPPort is the one UDP port every peer connection of this instance shares, on each local
	// address the filters keep; 0 picks a free port (tests).
	UDPPort int
	// PublicIP, when set, is the address clients reach the UDP port at: it replaces the local
	// addresses in the server's host candidates (a server behind a 1:1 NAT, such as a cloud VM).
	PublicIP string
	// TURNURLs and TURNSecret are the TURN relay clients behind strict NATs use, and the secret it
	// shares with Amend for time-limited credentials (coturn's use-auth-secret).
	TURNURLs   []string
	TURNSecret string
	// StateEvery is how often a session's media_state is recomputed and, when it changed, sent [200ms].
	StateEvery time.Duration
	Logger     *slog.Logger
	// Registry, when set, takes the forwarding unit's metrics.
	Registry prometheus.Registerer
}

// Units are this instance's forwarding units, one per live session with media. A unit holds the
// whole media of its session, so that another instance can take a session's media over as a whole.
type Units struct {
	cfg Config
	api *webrtc.API
	mux *ice.MultiUDPMuxDefault
	// arrivals and forwardTime measure each forwarded audio packet's time in the server.
	arrivals    *arrivals
	forwardTime prometheus.Histogram

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

// New builds the forwarding units' WebRTC stack: UDP over IPv4 only, on one port, no mDNS, NACK
// and RTCP reports, and the RFC 6464 audio-level header extension that spoken interruptions are
// judged by. Close releases the port.
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
	arrivals := newArrivals()
	mux, err := listenUDP(cfg, arrivals)
	if err != nil {
		return nil, err
	}
	forwardTime := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "amend_media_forward_seconds",
		Help:    "Time an audio packet spends in the server, from the media port to its last forwarded write.",
		Buckets: []float64{.00005, .0001, .00025, .0005, .001, .002, .003, .005, .0075, .01, .02, .05, .1, .25, .5, 1},
	})
	if cfg.Registry != nil {
		if err := cfg.Registry.Register(forwardTime); err != nil {
			_ = mux.Close()
			return nil, err
		}
	}
	var settings webrtc.SettingEngine
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	if cfg.IPFilter != nil {
		settings.SetIPFilter(cfg.IPFilter)
	}
	settings.SetICEUDPMux(mux)
	if cfg.PublicIP != "" {
		if err := settings.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: []string{cfg.PublicIP}, AsCandidateType: webrtc.ICECandidateTypeHost,
		}); err != nil {
			_ = mux.Close()
			return nil, err
		}
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(engine), webrtc.WithInterceptorRegistry(registry),
		webrtc.WithSettingEngine(settings))
	return &Units{cfg: cfg, api: api, mux: mux, arrivals: arrivals, forwardTime: forwardTime, units: map[int64]*Unit{}}, nil
}

// listenUDP opens the instance's one media port on every local IPv4 address the configuration
// keeps, so a single firewall rule admits all of its media.
func listenUDP(cfg Config, arrivals *arrivals) (*ice.MultiUDPMuxDefault, error) {
	if ip := net.ParseIP(cfg.PublicIP); cfg.PublicIP != "" && (ip == nil || ip.To4() == nil) {
		return nil, fmt.Errorf("the public IP %q is not an IPv4 address", cfg.PublicIP)
	}
	std, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	opts := []ice.UDPMuxFromPortOption{ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4),
		ice.UDPMuxFromPortWithNet(&timedNet{Net: std, arrivals: arrivals})}
	if cfg.IncludeLoopback {
		opts = append(opts, ice.UDPMuxFromPortWithLoopback())
	}
	if cfg.IPFilter != nil {
		opts = append(opts, ice.UDPMuxFromPortWithIPFilter(cfg.IPFilter))
	}
	mux, err := ice.NewMultiUDPMuxFromPort(cfg.UDPPort, opts...)
	if err != nil {
		return nil, fmt.Errorf("media UDP port %d: %w", cfg.UDPPort, err)
	}
	if len(mux.GetListenAddresses()) == 0 {
		_ = mux.Close()
		return nil, errors.New("no local IPv4 address to carry media on")
	}
	return mux, nil
}

// UDPAddrs are the local addresses the media port listens on.
func (u *Units) UDPAddrs() []*net.UDPAddr {
	var addrs []*net.UDPAddr
	for _, a := range u.mux.GetListenAddresses() {
		if udp, ok := a.(*net.UDPAddr); ok {
			addrs = append(addrs, udp)
		}
	}
	return addrs
}

// Close releases the media port; call it once the live hub has shut down.
func (u *Units) Close() error {
	return u.mux.Close()
}

// Signal handles one media frame of an admitted participant's connection.
func (u *Units) Signal(room realtime.MediaRoom, client realtime.MediaClient, frame realtime.MediaFrame) error {
	return u.signal(room, client, frame)
}

// Leave closes a departing connection's media.
func (u *Units) Leave(room realtime.MediaRoom, client realtime.MediaClient) {
	u.leave(room.ID(), client)
}

// Evict closes the session's media on this instance, first sending each participant the frame.
func (u *Units) Evict(sessionID int64, frame []byte) {
	unit := u.holdExisting(sessionID)
	if unit == nil {
		return
	}
	defer u.release(unit)
	for _, role := range roles {
		if p := unit.peer(role); p != nil && unit.detach(p.client, p) != nil {
			p.client.Send(frame)
			p.close()
		}
	}
}

// Carries reports whether the session's media is open on this instance.
func (u *Units) Carries(sessionID int64) bool { return u.unit(sessionID) != nil }

// Room is what a unit needs of its live room (see realtime.MediaRoom).
type Room = realtime.MediaRoom

// Client is one participant's connection (see realtime.MediaClient).
type Client = realtime.MediaClient

var errNotJoined = &floor.Error{Code: floor.CodeBadRequest, Message: "Join the media first (media_join)."}

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
