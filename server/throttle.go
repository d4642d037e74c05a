package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle limits attempts per key (an account or an address) with a token bucket each. It keeps
// at most maxKeys buckets, dropping idle ones first, so a flood of new keys cannot exhaust memory.
type throttle struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	maxKeys int
	buckets map[string]*bucket
}

type bucket struct {
	limiter  *rate.Limiter
	lastUsed time.Time
}

func newThrottle(every time.Duration, burst, maxKeys int) *throttle {
	return &throttle{every: every, burst: burst, maxKeys: maxKeys, buckets: map[string]*bucket{}}
}

// take spends one attempt for key; when none is left it returns how long to wait.
func (t *throttle) take(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, found := t.buckets[key]
	if !found {
		if len(t.buckets) >= t.maxKeys {
			t.prune(now)
		}
		b = &bucket{limiter: rate.NewLimiter(rate.Every(t.every), t.burst)}
		t.buckets[key] = b
	}
	b.lastUsed = now
	r := b.limiter.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, delay
	}
	return true, 0
}

// forget resets a key, e.g. an account after a successful sign-in.
func (t *throttle) forget(key string) {
	t.mu.Lock()
	delete(t.buckets, key)
	t.mu.Unlock()
}

func (t *throttle) prune(now time.Time) {
	full := t.every * time.Duration(t.burst)
	for k, b := range t.buckets {
		if now.Sub(b.lastUsed) > full {
			delete(t.buckets, k)
		}
	}
	// Still full: every key is busy; drop an arbitrary half rather than grow without bound.
	if len(t.buckets) >= t.maxKeys {
		n := 0
		for k := range t.buckets {
			if n >= t.maxKeys/2 {
				break
			}
			delete(t.buckets, k)
			n++
		}
	}
}
