package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// HubConfig tunes the live-session plumbing; zero fields take the defaults in brackets.
type HubConfig struct {
	// DSN is the database the listener connects to for notifications from other instances.
	DSN string
	// Instance names this process in notifications and presence [random].
	Instance string
	// PongWait is how long a silent connection lives [60s]; PingPeriod how often it is pinged [25s].
	PongWait   time.Duration
	PingPeriod time.Duration
	// WriteWait bounds each write to a client [10s].
	WriteWait time.Duration
	// MaxFrameBytes is the largest message a client may send [16 KiB].
	MaxFrameBytes int
	// SendQueue is how many frames may wait for a slow client before it is closed [256].
	SendQueue int
	// CommandRate and CommandBurst limit a connection's commands [20/s, 40]; DraftRate and
	// DraftBurst its drafts [10/s, 20].
	CommandRate  rate.Limit
	CommandBurst int
	DraftRate    rate.Limit
	DraftBurst   int
	// Resync is how often a room re-reads the log in case a notification was lost [5s].
	Resync time.Duration
	// AliveEvery is how often the sign-ins of the open connections are checked [30s].
	AliveEvery time.Duration
	// EndedSignIns returns, in one query for all of them, those of the sign-ins that no longer
	// hold (sign-out, expiry) or whose user is no longer an active member of the practice (of any
	// practice when PracticeID is 0); nil skips the check.
	EndedSignIns func(ctx context.Context, signIns []SignIn) ([]SignIn, error)
	// PresenceEvery is how often this instance refreshes its presence rows [10s].
	PresenceEvery time.Duration
	// NoticeStreamsPerUser is how many notice streams one account may hold open on this
	// instance [10]; NoticeQueue how many notices may wait for a slow stream before it is
	// closed [64].
	NoticeStreamsPerUser int
	NoticeQueue          int
	// Media is the forwarding unit that carries voice and video; nil leaves the rooms text only.
	Media Media
	// MediaLease is how long a session's media lease lasts unless renewed; the holder renews it
	// every third of that [6s].
	MediaLease time.Duration
	// HearingWait bounds how long a floor change commanded on an instance that relays media of
	// the session waits for the instance carrying it to apply the change before it is answered
	// and fanned out anyway; the carrier then applies it when it reads the events [100ms].
	HearingWait time.Duration
	// Clock is the time commands and turn timers go by [time.Now].
	Clock    func() time.Time
	Registry prometheus.Registerer
	Logger   *slog.Logger
}

func (c HubConfig) withDefaults() HubConfig {
	if c.Instance == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.Instance = hex.EncodeToString(b[:])
	}
	setDuration(&c.PongWait, 60*time.Second)
	setDuration(&c.PingPeriod, 25*time.Second)
	setDuration(&c.WriteWait, 10*time.Second)
	setDuration(&c.Resync, 5*time.Second)
	setDuration(&c.AliveEvery, 30*time.Second)
	setDuration(&c.PresenceEvery, 10*time.Second)
	setDuration(&c.MediaLease, 6*time.Second)
	setDuration(&c.HearingWait, 100*time.Millisecond)
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 16 << 10
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 256
	}
	if c.NoticeStreamsPerUser <= 0 {
		c.NoticeStreamsPerUser = 10
	}
	if c.NoticeQueue <= 0 {
		c.NoticeQueue = 64
	}
	if c.CommandRate <= 0 {
		c.CommandRate, c.CommandBurst = 20, 40
	}
	if c.DraftRate <= 0 {
		c.DraftRate, c.DraftBurst = 10, 20
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func setDuration(d *time.Duration, fallback time.Duration) {
	if *d <= 0 {
		*d = fallback
	}
}

// SignIn is a sign-in (auth session) as an open connection uses it: in the live sessions of one
// practice, or, with PracticeID 0, in any (a notice stream belongs to the person). It is an alias
// of an unnamed struct, so that a store's function over an identical SignIn serves as
// HubConfig.EndedSignIns without either package importing the other.
type SignIn = struct{ AuthSession, PracticeID int64 }
