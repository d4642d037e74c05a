package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestRewriterKeepsForwardedStreamsContinuous(t *testing.T) {
	start := time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)
	type packet struct {
		ssrc uint32
		seq  uint16
		ts   uint32
		at   time.Duration
	}
	tests := []struct {
		name    string
		in      []packet
		wantSeq []uint16
		wantTS  []uint32
	}{
		{"a stream passed whole keeps its numbers",
			[]packet{{1, 100, 1000, 0}, {1, 101, 1960, 20 * time.Millisecond}, {1, 102, 2920, 40 * time.Millisecond}},
			[]uint16{100, 101, 102}, []uint32{1000, 1960, 2920}},
		{"dropped packets leave no gap in sequence numbers; timestamps keep the real time",
			[]packet{{1, 100, 1000, 0}, {1, 150, 49000, time.Second}, {1, 151, 49960, time.Second + 20*time.Millisecond}},
			[]uint16{100, 101, 102}, []uint32{1000, 49000, 49960}},
		{"sequence numbers wrap around",
			[]packet{{1, 65535, 0, 0}, {1, 0, 960, 20 * time.Millisecond}},
			[]uint16{65535, 0}, []uint32{0, 960}},
		{"a new source continues the timeline by the time that passed",
			[]packet{{1, 100, 1000, 0}, {7, 9000, 500000, 500 * time.Millisecond}, {7, 9001, 500960, 520 * time.Millisecond}},
			[]uint16{100, 101, 102}, []uint32{1000, 1000 + 24000, 1000 + 24960}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rw := rewriter{clockRate: 48000}
			for i, in := range tc.in {
				h := rtp.Header{SSRC: in.ssrc, SequenceNumber: in.seq, Timestamp: in.ts}
				if err := h.SetExtension(1, []byte{0x80 | 30}); err != nil {
					t.Fatal(err)
				}
				rw.rewrite(&h, start.Add(in.at))
				if h.SequenceNumber != tc.wantSeq[i] || h.Timestamp != tc.wantTS[i] {
					t.Fatalf("packet %d: seq %d ts %d, want seq %d ts %d", i, h.SequenceNumber, h.Timestamp, tc.wantSeq[i], tc.wantTS[i])
				}
				if h.Extension || len(h.Extensions) > 0 {
					t.Fatalf("packet %d kept the sender's header extensions", i)
				}
			}
		})
	}
}
