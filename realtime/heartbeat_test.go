package realtime

import (
	"testing"
	"time"
)

// TestDefaultHeartbeatDetectsASilentClientWithinAMinute keeps the defaults honest: a client that
// stops answering (a half-open connection) is closed, and shown absent, at most a pong wait
// after its last frame, and the pings come often enough that a healthy idle client never is.
func TestDefaultHeartbeatDetectsASilentClientWithinAMinute(t *testing.T) {
	cfg := HubConfig{}.withDefaults()
	if cfg.PongWait > time.Minute {
		t.Errorf("a silent client lives %v, more than a minute", cfg.PongWait)
	}
	if cfg.PingPeriod*2 > cfg.PongWait {
		t.Errorf("pings every %v leave a healthy client less than two chances within the %v pong wait",
			cfg.PingPeriod, cfg.PongWait)
	}
	custom := HubConfig{PingPeriod: 100 * time.Millisecond, PongWait: 300 * time.Millisecond}.withDefaults()
	if custom.PingPeriod != 100*time.Millisecond || custom.PongWait != 300*time.Millisecond {
		t.Errorf("configured heartbeat not kept: ping %v, pong wait %v", custom.PingPeriod, custom.PongWait)
	}
}
