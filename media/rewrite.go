package media

import (
	"time"

	"github.com/pion/rtp"
)

// rewriter renumbers a forwarded stream so receivers see one continuous stream: every packet it
// passes gets the next sequence number (dropped packets leave no gap a receiver would count as
// loss), and when the source changes (the sender reconnected with a new SSRC and a new random
// timeline) the timestamps go on from where they were by the wall-clock time between the two.
type rewriter struct {
	clockRate uint32
	started   bool
	source    uint32 // SSRC of the incoming stream
	seq       uint16 // last sequence number sent
	offset    uint32 // added to incoming timestamps
	lastTS    uint32 // last timestamp sent
	lastAt    time.Time
}

// rewrite renumbers h, which is about to be sent at now.
func (r *rewriter) rewrite(h *rtp.Header, now time.Time) {
	switch {
	case !r.started:
		r.started, r.source, r.seq = true, h.SSRC, h.SequenceNumber-1
	case h.SSRC != r.source:
		ticks := uint32(now.Sub(r.lastAt).Seconds() * float64(r.clockRate))
		if ticks == 0 {
			ticks = 1
		}
		r.source = h.SSRC
		r.offset = r.lastTS + ticks - h.Timestamp
	}
	r.seq++
	h.SequenceNumber = r.seq
	h.Timestamp += r.offset
	r.lastTS, r.lastAt = h.Timestamp, now
	// Extension ids are negotiated per connection: the sender's mean nothing to a receiver. The
	// emptied slice keeps its array for the next packet parsed into the same header.
	h.Extension, h.ExtensionProfile, h.Extensions = false, 0, h.Extensions[:0]
}
