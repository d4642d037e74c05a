package realtime

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/amendcare/amend/realtime/floor"
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

// Pings go out on their own timer: while the database hangs, on the sign-in check of the open
// connections or on the presence rows, their pings keep coming and they stay open well past the
// pong wait.
func TestPingsKeepFlowingWhileTheDatabaseHangs(t *testing.T) {
	t.Parallel()
	const pongWait = 500 * time.Millisecond
	tests := []struct {
		name string
		// hang makes the database hang from when it returns until release is closed.
		hang func(t *testing.T, w *commitWorld, cfg *HubConfig, release <-chan struct{}) (hanging <-chan struct{})
	}{
		{"the sign-in check hangs", func(t *testing.T, w *commitWorld, cfg *HubConfig, release <-chan struct{}) <-chan struct{} {
			checking := make(chan struct{}, 1)
			cfg.EndedSignIns = func(ctx context.Context, signIns []SignIn) ([]SignIn, error) {
				signal(checking)
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-release:
					return nil, nil
				}
			}
			return checking
		}},
		{"the presence rows are locked", func(t *testing.T, w *commitWorld, cfg *HubConfig, release <-chan struct{}) <-chan struct{} {
			tx, err := w.db.BeginTx(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				<-release
				_ = tx.Rollback()
			}()
			if _, err := tx.Exec(`LOCK TABLE live_presence IN ACCESS EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			locked := make(chan struct{})
			close(locked)
			return locked
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newCommitWorld(t)
			release := make(chan struct{})
			cfg := HubConfig{DSN: w.dsn, PingPeriod: pongWait / 5, PongWait: pongWait,
				AliveEvery: 20 * time.Millisecond, PresenceEvery: 20 * time.Millisecond, Resync: 20 * time.Millisecond}
			hanging := tc.hang(t, w, &cfg, release)
			h := NewHub(w.db, cfg)
			if err := h.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				close(release) // the database answers again, so the hub can stop
				h.Shutdown(context.Background())
			})
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				p := Participant{UserID: chair.UserID, PracticeID: 1, Role: floor.RoleChair, AuthSession: 7, MayModerate: true}
				if err := h.Serve(rw, r, w.session, p, -1, func(*http.Request) bool { return true }); err != nil {
					t.Error(err)
				}
			}))
			t.Cleanup(srv.Close)
			ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ws.Close() })
			pings := make(chan struct{}, 1)
			ws.SetPingHandler(func(data string) error {
				signal(pings)
				return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
			})
			closed := make(chan error, 1)
			go func() {
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						closed <- err
						return
					}
				}
			}()

			select {
			case <-hanging:
			case <-time.After(10 * time.Second):
				t.Fatal("the database never began to hang")
			}
			since := time.Now()
			for time.Since(since) < 4*pongWait {
				select {
				case <-pings:
				case err := <-closed:
					t.Fatalf("the connection closed %v after the database began to hang: %v",
						time.Since(since).Round(time.Millisecond), err)
				case <-time.After(pongWait):
					t.Fatalf("no ping for a whole pong wait, %v after the database began to hang",
						time.Since(since).Round(time.Millisecond))
				}
			}
		})
	}
}
