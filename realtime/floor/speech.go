package floor

import "time"

// Spoken-interruption detection: the thresholds a partner's audio must pass before their speech
// out of turn counts. Levels are RFC 6464 audio levels, in -dBov: 0 is the loudest, 127 silence.
const (
	// SpeechLevel is the quietest level that counts as speech (-50 dBov).
	SpeechLevel = 50
	// SpeechSustained is how much speech within SpeechWindow makes an interruption, so a cough
	// or a word of assent does not.
	SpeechSustained = 300 * time.Millisecond
	SpeechWindow    = 600 * time.Millisecond
	// SpeakingRecent is how recent a loud packet must be for the participant to show as speaking.
	SpeakingRecent = 300 * time.Millisecond
	// FloorChangeGrace is how long after the floor moves speech does not count, so the end of a
	// sentence spoken as the turn passes is not an interruption.
	FloorChangeGrace = time.Second
	// EpisodeSilence is how long the partner must stay quiet for their next speech to count anew.
	EpisodeSilence = 1500 * time.Millisecond
	// packetSpeech is the speech one packet carries: the 20 ms Opus frame browsers send.
	packetSpeech = 20 * time.Millisecond
)

// speechRing holds the arrival times of the latest loud packets: enough to cover SpeechWindow
// at one packet per 10 ms.
const speechRing = 64

// SpeechDetector follows one partner's audio and tells when their speech out of turn becomes a
// spoken interruption, once per episode. It is pure logic: the caller passes each packet's time,
// level and whether it interrupts (see Interrupts) as of that packet. Not safe for concurrent use;
// each incoming audio stream has its own.
type SpeechDetector struct {
	loud       [speechRing]time.Time // arrival times of loud packets, a ring
	next       int                   // where the next loud packet goes in the ring
	lastLoud   time.Time
	interrupts bool      // whether speech interrupted at the previous packet
	graceUntil time.Time // speech before this does not count
	inEpisode  bool      // an interruption was counted and the partner has not fallen silent since
}

// Observe takes one packet and reports whether it completes a new spoken interruption. level is
// the packet's RFC 6464 level; empty marks a packet without audio (padding only, or no payload),
// which says nothing about speech and is ignored.
func (d *SpeechDetector) Observe(now time.Time, level uint8, empty, interrupts bool) bool {
	if interrupts != d.interrupts {
		// The floor moved under this partner: give the turn a moment to change hands.
		d.interrupts = interrupts
		d.graceUntil = now.Add(FloorChangeGrace)
	}
	if empty {
		return false
	}
	if d.inEpisode && now.Sub(d.lastLoud) >= EpisodeSilence {
		d.inEpisode = false
	}
	if level > SpeechLevel {
		return false
	}
	d.lastLoud = now
	d.loud[d.next] = now
	d.next = (d.next + 1) % speechRing
	if d.inEpisode || !interrupts || now.Before(d.graceUntil) || !d.sustained(now) {
		return false
	}
	d.inEpisode = true
	return true
}

// sustained reports whether the loud packets counted since the grace period, within the window up
// to now, carry SpeechSustained of speech.
func (d *SpeechDetector) sustained(now time.Time) bool {
	from := now.Add(-SpeechWindow)
	if from.Before(d.graceUntil) {
		from = d.graceUntil
	}
	var speech time.Duration
	for _, at := range d.loud {
		if !at.IsZero() && !at.Before(from) {
			speech += packetSpeech
		}
	}
	return speech >= SpeechSustained
}

// Speaking reports whether the partner's audio was loud within SpeakingRecent of now.
func (d *SpeechDetector) Speaking(now time.Time) bool { return RecentSpeech(d.lastLoud, now) }

// LastSpeech is when the last loud packet arrived; zero before any.
func (d *SpeechDetector) LastSpeech() time.Time { return d.lastLoud }

// RecentSpeech reports whether speech last heard at last still shows as speaking at now.
func RecentSpeech(last, now time.Time) bool {
	return !last.IsZero() && now.Sub(last) < SpeakingRecent
}
