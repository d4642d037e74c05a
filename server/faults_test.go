package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/migrations"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/localpg"
	"github.com/amendcare/amend/server/store"
)

// privateCluster is a PostgreSQL cluster of one test's own, which the test may stop and start
// without disturbing the shared cluster every other test uses.
type privateCluster struct {
	cluster *localpg.Cluster
	dir     string
	port    string
	dsn     string
}

var dsnPort = regexp.MustCompile(`\bport=(\d+)`)

func startPrivateCluster(t *testing.T) *privateCluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Not t.TempDir: when the tests run as root the server runs as postgres, which must be able
	// to pass through every directory above the cluster.
	dir, err := os.MkdirTemp("", "amend-faults-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cluster, err := localpg.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.Stop(); err != nil {
			t.Error(err)
		}
	})
	if err := cluster.EnsureDatabase(ctx, "amend"); err != nil {
		t.Fatal(err)
	}
	pc := &privateCluster{cluster: cluster, dir: dir, dsn: cluster.DSN("amend")}
	m := dsnPort.FindStringSubmatch(pc.dsn)
	if m == nil {
		t.Fatalf("no port in %q", pc.dsn)
	}
	pc.port = m[1]
	db, err := sqlx.Open("postgres", pc.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	return pc
}

// pgCtl runs pg_ctl on the cluster, as the postgres user when the tests run as root.
func (pc *privateCluster) pgCtl(t *testing.T, args ...string) {
	t.Helper()
	bin, err := localpg.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	args = append([]string{"-D", filepath.Join(pc.dir, "pg", "data"), "-w", "-t", "60"}, args...)
	program := filepath.Join(bin, "pg_ctl")
	cmd := exec.Command(program, args...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", program}, args...)...)
	}
	cmd.Dir = filepath.Join(pc.dir, "pg")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl %v: %v\n%s", args, err, out)
	}
}

// stop shuts PostgreSQL down the way an operator or a crash-restart would: every connection ends.
func (pc *privateCluster) stop(t *testing.T) { pc.pgCtl(t, "stop", "-m", "fast") }

// start brings it back on the same port and socket, where the server's connections find it.
func (pc *privateCluster) start(t *testing.T) {
	pc.pgCtl(t, "start", "-l", filepath.Join(pc.dir, "pg", "server.log"),
		"-o", fmt.Sprintf("-p %s -k '%s'", pc.port, filepath.Join(pc.dir, "pg", "run")))
}

// newLiveWorldOn is newLiveWorld on a database the test chose: n instances, each with its own
// hub and listener, share it.
func newLiveWorldOn(t *testing.T, dsn string, n int, cfg realtime.HubConfig) (*world, []*liveInstance) {
	t.Helper()
	return newLiveWorldEach(t, dsn, n, func(int, prometheus.Registerer) realtime.HubConfig { return cfg })
}

// newLiveWorldEach is newLiveWorldOn with each instance's hub configured on its own (instance i
// gets configure(i)) and holding its own database pool, so a test can cut one instance off.
// configure gives instance i its hub's settings; reg is the registry its /metrics serves.
func newLiveWorldEach(t *testing.T, dsn string, n int, configure func(i int, reg prometheus.Registerer) realtime.HubConfig) (*world, []*liveInstance) {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	authz, err := policy.Load(policy.DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: store.New(db), policy: authz}
	instances := make([]*liveInstance, n)
	for i := range instances {
		in := &liveInstance{registry: prometheus.NewRegistry()}
		if in.db, err = store.Open(context.Background(), dsn, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { in.db.Close() })
		c := configure(i, in.registry)
		c.DSN, c.Instance, c.Registry, c.EndedSignIns = dsn, fmt.Sprintf("instance-%c", 'a'+i), in.registry, w.store.EndedSignIns
		in.hub = realtime.NewHub(in.db, c)
		if err := in.hub.Start(); err != nil {
			t.Fatal(err)
		}
		in.api, err = New(Deps{Store: w.store, Policy: authz, Registry: in.registry, Live: in.hub,
			Logger: slog.New(slog.DiscardHandler), Ready: w.store.Ping})
		if err != nil {
			t.Fatal(err)
		}
		in.api.OnDisable(in.hub.DisconnectMember)
		in.srv = newTestServer(t, in.api.Handler())
		t.Cleanup(in.stop)
		instances[i] = in
	}
	w.api, w.srv = instances[0].api, instances[0].srv
	w.A = w.newPractice("A")
	w.B = w.newPractice("B")
	return w, instances
}

// answer sends a command and returns the ack or error frame that answers it, failing the test
// when none comes within limit: a command is never left unanswered.
func (c *client) answer(command map[string]any, limit time.Duration) frame {
	c.t.Helper()
	msgID := c.send(command)
	start := time.Now()
	f := c.expect(func(f frame) bool {
		return (f.Type == realtime.FrameAck || f.Type == realtime.FrameError) && f.ID == msgID
	})
	if waited := time.Since(start); waited > limit {
		c.t.Fatalf("%s: %s answered after %v, more than %v", c.name, msgID, waited, limit)
	}
	return f
}

// status reads an instance's /readyz.
func readyStatus(t *testing.T, in *liveInstance) int {
	t.Helper()
	res, err := in.srv.Client().Get(in.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// TestDatabaseOutageMidSessionLosesNothing stops PostgreSQL for ten seconds in the middle of a
// live session served by two instances. The instances stay up and say they are not ready;
// every command in the window is answered at once with `unavailable`; afterwards the listener
// re-syncs, the refused commands sent again with the same ids are stored once, and everything
// acknowledged is in the log exactly once, in one gap-free order every client saw.
func TestDatabaseOutageMidSessionLosesNothing(t *testing.T) {
	t.Parallel()
	const outage = 10 * time.Second
	pc := startPrivateCluster(t)
	cfg := liveConfig(newTestClock())
	cfg.Resync = 200 * time.Millisecond
	w, instances := newLiveWorldOn(t, pc.dsn, 2, cfg)
	one, two := instances[0], instances[1]
	p := w.A
	session := startSession(t, p, map[string]any{"mode": "turns", "turn_seconds": 3600})
	a := dial(t, one.srv.URL, p.PartnerA, session.ID, "")
	chair := dial(t, one.srv.URL, p.Therapist, session.ID, "")
	b := dial(t, two.srv.URL, p.PartnerB, session.ID, "")
	chair.do(cmd("grant", "seat", "a"))

	acked := map[string]string{} // command id -> text, for every say acknowledged
	say := func(msgID, text string) frame {
		f := a.answer(cmd("say", "id", msgID, "text", text), 5*time.Second)
		if f.Type == realtime.FrameAck {
			acked[msgID] = text
		}
		return f
	}
	for i := range 3 {
		if f := say(fmt.Sprintf("before-%d", i), fmt.Sprintf("Before the outage, part %d.", i)); f.Type != realtime.FrameAck {
			t.Fatalf("before the outage: %s", f.raw)
		}
	}
	resyncsBefore := resyncs(t, two)

	pc.stop(t)
	down := time.Now()
	var refused []string
	// A client keeps trying at a human pace, well under the connection's rate limit.
	pace := time.NewTicker(250 * time.Millisecond)
	defer pace.Stop()
	for i := 0; time.Since(down) < outage; i++ {
		<-pace.C
		msgID := fmt.Sprintf("during-%d", i)
		f := say(msgID, fmt.Sprintf("During the outage, part %d.", i))
		if f.Type != realtime.FrameError || f.Code != realtime.CodeUnavailable {
			t.Fatalf("a command while the database is down: %s, want error %s", f.raw, realtime.CodeUnavailable)
		}
		refused = append(refused, msgID)
		for _, in := range instances {
			if got := readyStatus(t, in); got != http.StatusServiceUnavailable {
				t.Fatalf("readyz while the database is down: %d", got)
			}
		}
		res := p.Therapist.do(http.MethodPost, "/api/v1/live/"+id(session.ID)+"/commands",
			fmt.Sprintf(`{"id":"rest-%d","type":"moderator","text":"Hold on."}`, i))
		if res.Status != http.StatusServiceUnavailable || res.ErrorCode() != codeUnavailable {
			t.Fatalf("a REST command while the database is down: %d %s", res.Status, res.Body)
		}
	}
	pc.start(t)

	deadline := time.Now().Add(30 * time.Second)
	for readyStatus(t, one) != http.StatusOK || readyStatus(t, two) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the instances did not become ready after the database came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for resyncs(t, two) <= resyncsBefore {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not reconnect and re-sync")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The client sends what was refused again, with the same ids; a retry that meets a
	// connection the pool has not yet found dead is refused the same clear way.
	for i, msgID := range refused {
		text := fmt.Sprintf("During the outage, part %d.", i)
		for f := say(msgID, text); f.Type != realtime.FrameAck; f = say(msgID, text) {
			if f.Code != realtime.CodeUnavailable || time.Now().After(deadline) {
				t.Fatalf("resending %s after recovery: %s", msgID, f.raw)
			}
		}
	}
	last := chair.do(cmd("moderator", "text", "Thank you both for waiting."))
	again := say("after", "After the outage.")
	if again.Type != realtime.FrameAck {
		t.Fatalf("after the outage: %s", again.raw)
	}
	last = max(last, again.Seq)
	for _, c := range []*client{a, b, chair} {
		c.until(last)
	}
	sameEvents(t, 1, a, b, chair)

	// Every acknowledged say is in the log once, and the log has no gap.
	var rows []struct {
		Seq   int64   `db:"seq"`
		MsgID *string `db:"client_msg_id"`
		Kind  string  `db:"kind"`
	}
	if err := w.store.DB().Select(&rows, `SELECT seq, client_msg_id, kind FROM session_events WHERE session_id = $1 ORDER BY seq`, session.ID); err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for i, r := range rows {
		if r.Seq != int64(i+1) {
			t.Fatalf("the log jumps from %d to %d", i, r.Seq)
		}
		if r.MsgID != nil && r.Kind == floor.EventUtterance {
			stored[*r.MsgID]++
		}
	}
	for msgID := range acked {
		if stored[msgID] != 1 {
			t.Errorf("acknowledged %s is stored %d times", msgID, stored[msgID])
		}
	}
	if len(stored) != len(acked) {
		t.Errorf("stored %d says, acknowledged %d", len(stored), len(acked))
	}
	heard := b.eventTexts(floor.EventUtterance)
	want := make([]string, 0, len(acked))
	for _, text := range acked {
		want = append(want, text)
	}
	slices.Sort(heard)
	slices.Sort(want)
	if !slices.Equal(heard, want) {
		t.Errorf("b, on the other instance, heard %q, want %q", heard, want)
	}
}

// frozenProxy forwards TCP connections to target until frozen; then it neither forwards nor
// closes anything, like a network path that died without a word.
type frozenProxy struct {
	addr   string
	frozen chan struct{}
	ended  chan struct{}
	freeze func()
}

func newFrozenProxy(t *testing.T, target string) *frozenProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &frozenProxy{addr: ln.Addr().String(), frozen: make(chan struct{}), ended: make(chan struct{})}
	var once sync.Once
	p.freeze = func() { once.Do(func() { close(p.frozen) }) }
	var pipes sync.WaitGroup
	t.Cleanup(func() {
		close(p.ended)
		ln.Close()
		pipes.Wait()
	})
	pipes.Add(1)
	go func() {
		defer pipes.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			pipes.Add(2)
			go p.pipe(&pipes, server, client)
			go p.pipe(&pipes, client, server)
		}
	}()
	return p
}

// pipe copies src to dst. Once frozen it holds both sockets open, silent, until the test ends.
func (p *frozenProxy) pipe(pipes *sync.WaitGroup, dst, src net.Conn) {
	defer pipes.Done()
	defer dst.Close()
	buf := make([]byte, 4096)
	for {
		_ = src.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		n, err := src.Read(buf)
		select {
		case <-p.frozen:
			<-p.ended
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if ne, ok := err.(net.Error); err != nil && !(ok && ne.Timeout()) {
			return
		}
	}
}

// TestHalfOpenClientIsDroppedByPingAndShownAbsent cuts a partner's network path without a close:
// the server's pings go unanswered, it closes the connection within the pong wait, and the
// others see the partner absent. (The default intervals, 25 s pings and a 60 s pong wait, detect
// such a client within a minute: TestDefaultHeartbeatDetectsASilentClientWithinAMinute.)
func TestHalfOpenClientIsDroppedByPingAndShownAbsent(t *testing.T) {
	t.Parallel()
	cfg := liveConfig(newTestClock())
	cfg.PingPeriod, cfg.PongWait = 100*time.Millisecond, 600*time.Millisecond
	w, _ := newLiveWorld(t, 1, cfg)
	p := w.A
	session := startSession(t, p, nil)
	proxy := newFrozenProxy(t, w.srv.Listener.Addr().String())
	chair := dial(t, w.srv.URL, p.Therapist, session.ID, "")
	a := dial(t, "http://"+proxy.addr, p.PartnerA, session.ID, "")
	chair.expect(func(f frame) bool { return f.Type == realtime.FramePresence && slices.Contains(f.Present, "a") })
	// An idle but healthy client answers the pings and stays, several pong waits long.
	quiet := time.After(3 * cfg.PongWait)
	for watching := true; watching; {
		select {
		case _, open := <-a.frames:
			if !open {
				t.Fatalf("an idle, healthy connection was closed: %v", a.closeErr)
			}
		case <-quiet:
			watching = false
		}
	}

	proxy.freeze()
	cut := time.Now()
	chair.expect(func(f frame) bool { return f.Type == realtime.FramePresence && !slices.Contains(f.Present, "a") })
	if took := time.Since(cut); took > cfg.PongWait+2*time.Second {
		t.Fatalf("the silent client was shown absent after %v, pong wait %v", took, cfg.PongWait)
	}
	select {
	case <-a.frames:
		t.Fatal("the client saw its connection end: the path was not half-open")
	default:
	}
}
