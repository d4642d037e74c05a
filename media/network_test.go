package media

import (
	"strconv"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

// offeredCandidates returns the candidate lines of a server-side offer, once gathering is done.
func offeredCandidates(t *testing.T, units *Units) []string {
	t.Helper()
	pc, err := units.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	var lines []string
	for _, line := range strings.Split(pc.LocalDescription().SDP, "\r\n") {
		if strings.HasPrefix(line, "a=candidate:") {
			lines = append(lines, line)
		}
	}
	return lines
}

func TestOffersNameTheOneMediaPort(t *testing.T) {
	for _, tc := range []struct {
		name     string
		publicIP string
		wantIP   string
	}{
		{name: "without a public IP: the local address", wantIP: "127.0.0.1"},
		{name: "behind a 1:1 NAT: the public IP replaces the local one", publicIP: "203.0.113.7", wantIP: "203.0.113.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			units := loopbackUnits(t, Config{PublicIP: tc.publicIP})
			port := strconv.Itoa(units.UDPAddrs()[0].Port)
			candidates := offeredCandidates(t, units)
			if len(candidates) == 0 {
				t.Fatal("the offer has no candidates")
			}
			for _, c := range candidates {
				if !strings.Contains(c, " udp ") || !strings.Contains(c, " "+tc.wantIP+" "+port+" typ host") {
					t.Errorf("candidate %q, want a UDP host candidate at %s:%s", c, tc.wantIP, port)
				}
			}
		})
	}
}

func TestANonIPv4PublicIPIsRefused(t *testing.T) {
	for _, ip := range []string{"turn.example.org", "2001:db8::1"} {
		if units, err := New(Config{IncludeLoopback: true, IPFilter: loopbackOnly, PublicIP: ip}); err == nil {
			_ = units.Close()
			t.Errorf("public IP %q was accepted", ip)
		}
	}
}
