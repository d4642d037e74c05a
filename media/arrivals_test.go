package media

import (
	"net/netip"
	"testing"
)

// rtpHeader is the clear 12-byte header of an SRTP packet with payload type pt and sequence seq.
func rtpHeader(pt uint8, seq uint16) []byte {
	return []byte{0x80, pt, byte(seq >> 8), byte(seq), 0, 0, 0, 0, 0, 0, 0, 1}
}

func TestArrivalsTimeOnlyTheAudioPacketsOfAWatchedAddressWithinTheWindow(t *testing.T) {
	a := newArrivals()
	from := netip.MustParseAddrPort("127.0.0.1:5000")
	slot := a.watch(from)
	opus := uint8(opusCodec.PayloadType)
	for seq := uint16(65530); seq != 40; seq++ { // across the sequence numbers' wrap
		a.note(rtpHeader(opus, seq), from)
	}
	a.note(rtpHeader(opus|0x80, 41), from)                                 // the marker bit set
	a.note(rtpHeader(200, 42), from)                                       // RTCP (a sender report)
	a.note(rtpHeader(96, 43), from)                                        // video
	a.note(rtpHeader(opus, 44), netip.MustParseAddrPort("127.0.0.1:5001")) // another address
	a.note([]byte{0x80, opus, 0, 45}, from)                                // too short for RTP
	for _, tc := range []struct {
		seq  uint16
		want bool
	}{
		{39, true}, {41, true}, {31, true},
		{8, true},      // the oldest left: 40, which would take its place, never came
		{9, false},     // its place taken by 41
		{65535, false}, // its place taken by 31, after the wrap
		{7, false},     // its place taken by 39
		{42, false},    // RTCP is not audio
		{43, false},    // nor is video
		{44, false},    // nor another address's packet
		{45, false},    // nor a fragment
	} {
		if _, ok := a.inServer(slot, tc.seq); ok != tc.want {
			t.Errorf("packet %d timed: %v, want %v", tc.seq, ok, tc.want)
		}
	}
	a.forget(slot)
	a.note(rtpHeader(opus, 46), from)
	if _, ok := a.inServer(slot, 46); ok {
		t.Error("a packet from a forgotten address was timed")
	}
}
