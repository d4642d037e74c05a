package media

import (
	"net"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/amendcare/amend/realtime/floor"
)

// fixedRoom is a room whose hearing the test sets.
type fixedRoom struct{ hearing floor.Hearing }

func (r *fixedRoom) ID() int64                       { return 1 }
func (r *fixedRoom) Hearing() floor.Hearing          { return r.hearing }
func (r *fixedRoom) Broadcast([]byte)                {}
func (r *fixedRoom) ReportSpokenInterruption(string) {}

// loopbackOnly keeps every candidate of these tests on 127.0.0.0/8.
func loopbackOnly(ip net.IP) bool { return ip.IsLoopback() }

// loopbackUnits are forwarding units on a free UDP port of the loopback address.
func loopbackUnits(tb testing.TB, cfg Config) *Units {
	tb.Helper()
	cfg.IncludeLoopback, cfg.IPFilter = true, loopbackOnly
	units, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = units.Close() })
	return units
}

// browserAPI is a participant's WebRTC stack: its own sockets on loopback, apart from the
// server's one port.
func browserAPI(tb testing.TB) *webrtc.API {
	tb.Helper()
	engine := &webrtc.MediaEngine{}
	if err := engine.RegisterDefaultCodecs(); err != nil {
		tb.Fatal(err)
	}
	var settings webrtc.SettingEngine
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetIPFilter(loopbackOnly)
	return webrtc.NewAPI(webrtc.WithMediaEngine(engine), webrtc.WithSettingEngine(settings))
}

// bindReceiver connects a receiving peer connection to track over loopback, as a participant's
// browser would be, and drains what arrives.
func bindReceiver(tb testing.TB, units *Units, track *webrtc.TrackLocalStaticRTP) {
	tb.Helper()
	sender, err := units.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		tb.Fatal(err)
	}
	receiver, err := browserAPI(tb).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = sender.Close()
		_ = receiver.Close()
	})
	if _, err := sender.AddTrack(track); err != nil {
		tb.Fatal(err)
	}
	connected := make(chan struct{}, 1)
	receiver.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			connected <- struct{}{}
		}
	})
	receiver.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, maxPacket)
		for {
			if _, _, err := remote.Read(buf); err != nil {
				return
			}
		}
	})
	exchange(tb, sender, receiver)
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		tb.Fatal("the receiver did not connect")
	}
}

// exchange runs a complete offer and answer, candidates included, between two peer connections.
func exchange(tb testing.TB, offerer, answerer *webrtc.PeerConnection) {
	tb.Helper()
	offer, err := offerer.CreateOffer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(offerer)
	if err := offerer.SetLocalDescription(offer); err != nil {
		tb.Fatal(err)
	}
	<-gathered
	if err := answerer.SetRemoteDescription(*offerer.LocalDescription()); err != nil {
		tb.Fatal(err)
	}
	answer, err := answerer.CreateAnswer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(answerer)
	if err := answerer.SetLocalDescription(answer); err != nil {
		tb.Fatal(err)
	}
	<-gathered
	if err := offerer.SetRemoteDescription(*answerer.LocalDescription()); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkAudioPacket is the forwarding unit's per-packet path for one incoming audio packet as
// it comes off the connection, decrypted: parsing it and its audio level, the speech detector, the
// read of who is heard, and, when the sender is heard, the renumbering and the encrypted write to
// the two other participants over loopback.
func BenchmarkAudioPacket(b *testing.B) {
	units := loopbackUnits(b, Config{})
	room := &fixedRoom{hearing: floor.HearingOf(floor.State{Mode: floor.ModeTurns, Holder: floor.SeatA})}
	unit := newUnit(units, room)
	b.Cleanup(unit.stop)
	for range 2 {
		bindReceiver(b, units, unit.out[floor.RoleA].audio.track)
	}
	const levelID = 1
	level, err := rtp.AudioLevelExtension{Level: 30, Voice: true}.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		role floor.Role
	}{
		{"heard, forwarded to two", floor.RoleA},
		{"not heard, dropped", floor.RoleB},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in := audioIn{levelID: levelID}
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: make([]byte, 60)}
			if err := pkt.SetExtension(levelID, level); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, maxPacket)
			now := time.Now()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pkt.SequenceNumber, pkt.Timestamp = uint16(i), uint32(i)*960
				n, err := pkt.MarshalTo(buf)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := unit.receiveAudio(bc.role, &in, buf[:n], now.Add(time.Duration(i)*20*time.Millisecond)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
