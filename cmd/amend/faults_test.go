package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/server/demo"
	"github.com/amendcare/amend/server/store/dbtest"
)

// childServeEnv makes the test binary run main instead of the tests, so a test can start real
// `amend serve` processes from this package's own code and kill them.
const childServeEnv = "AMEND_TEST_RUN_MAIN"

// instance is an `amend serve` process the test started.
type instance struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

var runningAt = regexp.MustCompile(`Amend is running at (http://\S+)`)

// startInstance runs `amend serve` on a free port against the database at dsn and waits until
// it is ready.
func startInstance(t *testing.T, dsn string) *instance {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--media-udp-port", "0")
	cmd.Env = append(os.Environ(), childServeEnv+"=1", "DATABASE_URL="+dsn, "AMEND_LOG_LEVEL=error")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in := &instance{cmd: cmd, done: make(chan struct{})}
	address := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if m := runningAt.FindStringSubmatch(scanner.Text()); m != nil {
				address <- m[1]
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(in.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-in.done
		}
	})
	select {
	case in.url = <-address:
	case <-in.done:
		t.Fatalf("amend serve exited before it was ready:\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("amend serve did not start within a minute:\n%s", stderr.String())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(in.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return in
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("amend serve at %s never became ready", in.url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the process at once, as a crash or an out-of-memory kill would: no close frames,
// nothing flushed.
func (in *instance) kill(t *testing.T) {
	t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-in.done
}

// call sends a JSON request with a bearer token and decodes the answer into out.
func call(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, data)
		}
	}
	return res.StatusCode
}

func signIn(t *testing.T, base, email string) string {
	t.Helper()
	var body struct{ Token string }
	if status := call(t, http.MethodPost, base+"/api/v1/auth/login", "",
		map[string]string{"email": email, "password": demo.Password}, &body); status != http.StatusOK {
		t.Fatalf("sign in %s: %d", email, status)
	}
	return body.Token
}

// liveFrame is any frame the server sends, decoded loosely.
type liveFrame struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Seq  int64  `json:"seq"`
	Code string `json:"code"`
	Text string `json:"text"`
	raw  string
}

func (f liveFrame) isEvent() bool {
	switch f.Type {
	case "snapshot", "ack", "error", "draft", "presence":
		return false
	}
	return f.Seq > 0
}

// participant is one person's live connection, which they reopen on another instance when it
// drops; across reconnections it checks that the events it receives follow each other without
// a gap or a repeat.
type participant struct {
	t      *testing.T
	name   string
	token  string
	ws     *websocket.Conn
	frames chan liveFrame
	events []liveFrame
}

func (p *participant) connect(base string, session int64) {
	p.t.Helper()
	query := ""
	if n := len(p.events); n > 0 {
		query = fmt.Sprintf("?after=%d", p.events[n-1].Seq)
	}
	url := "ws" + strings.TrimPrefix(base, "http") + fmt.Sprintf("/api/v1/live/%d/ws", session) + query
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + p.token}})
	if err != nil {
		p.t.Fatalf("%s connects to %s: %v", p.name, base, err)
	}
	p.t.Cleanup(func() { ws.Close() })
	p.ws, p.frames = ws, make(chan liveFrame, 1024)
	go func(frames chan<- liveFrame) {
		defer close(frames)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f liveFrame
			if json.Unmarshal(data, &f) == nil {
				f.raw = string(data)
				frames <- f
			}
		}
	}(p.frames)
	p.next() // the snapshot
}

// next returns the next frame; ok is false when the connection ended.
func (p *participant) next() (liveFrame, bool) {
	p.t.Helper()
	select {
	case f, ok := <-p.frames:
		if ok && f.isEvent() {
			if n := len(p.events); n > 0 && f.Seq != p.events[n-1].Seq+1 {
				p.t.Fatalf("%s: event %d after %d", p.name, f.Seq, p.events[n-1].Seq)
			}
			p.events = append(p.events, f)
		}
		return f, ok
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s: nothing within 10s", p.name)
	}
	return liveFrame{}, false
}

// send sends a command and waits for its answer; ok is false when the connection ended first.
func (p *participant) send(command map[string]any) (liveFrame, bool) {
	p.t.Helper()
	if err := p.ws.WriteJSON(command); err != nil {
		return liveFrame{}, false
	}
	for {
		f, ok := p.next()
		if !ok || (f.Type == "ack" || f.Type == "error") && f.ID == command["id"] {
			return f, ok
		}
	}
}

// until reads until the participant has every event up to seq.
func (p *participant) until(seq int64) {
	p.t.Helper()
	for len(p.events) == 0 || p.events[len(p.events)-1].Seq < seq {
		if _, ok := p.next(); !ok {
			p.t.Fatalf("%s: connection ended before event %d", p.name, seq)
		}
	}
}

// TestKilledInstanceLosesNothing runs two `amend serve` processes on one database and kills one
// with SIGKILL while a partner is talking through it. The partner and the chair reconnect to the
// other instance with their last seq and send the unanswered command again with the same id:
// every client sees every event once, in one order, and every command is stored once.
func TestKilledInstanceLosesNothing(t *testing.T) {
	t.Parallel()
	dsn := dbtest.DSN(t)
	if err := runDemo(context.Background(), []string{"--database-url", dsn}, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
	doomed, survivor := startInstance(t, dsn), startInstance(t, dsn)

	therapist := signIn(t, doomed.url, "maya@demo.amend.test")
	partnerA := signIn(t, doomed.url, "sam.rivera@demo.amend.test")
	partnerB := signIn(t, survivor.url, "alex.chen@demo.amend.test")
	var couples struct {
		Couples []struct{ ID, PracticeID int64 } `json:"couples"`
	}
	var me struct {
		Memberships []struct {
			PracticeID int64 `json:"practice_id"`
		} `json:"memberships"`
	}
	call(t, http.MethodGet, doomed.url+"/api/v1/me", partnerA, nil, &me)
	call(t, http.MethodGet, fmt.Sprintf("%s/api/v1/practices/%d/couples", doomed.url, me.Memberships[0].PracticeID), partnerA, nil, &couples)
	var session struct{ ID int64 }
	if status := call(t, http.MethodPost, fmt.Sprintf("%s/api/v1/couples/%d/live-sessions", doomed.url, couples.Couples[0].ID),
		therapist, map[string]any{"mode": "turns", "turn_seconds": 3600}, &session); status != http.StatusCreated {
		t.Fatalf("create the live session: %d", status)
	}

	a := &participant{t: t, name: "partner a", token: partnerA}
	chair := &participant{t: t, name: "chair", token: therapist}
	b := &participant{t: t, name: "partner b", token: partnerB}
	a.connect(doomed.url, session.ID)
	chair.connect(doomed.url, session.ID)
	b.connect(survivor.url, session.ID)
	if f, ok := chair.send(map[string]any{"id": "grant", "type": "grant", "seat": "a"}); !ok || f.Type != "ack" {
		t.Fatalf("grant: %s", f.raw)
	}

	acked := map[string]bool{}
	say := func(p *participant, n int) (liveFrame, bool) {
		msgID := fmt.Sprintf("say-%d", n)
		f, ok := p.send(map[string]any{"id": msgID, "type": "say", "text": fmt.Sprintf("Point %d, said once.", n)})
		if ok && f.Type == "ack" {
			acked[msgID] = true
		}
		return f, ok
	}
	var lastAck liveFrame
	for n := range 5 {
		f, ok := say(a, n)
		if !ok || f.Type != "ack" {
			t.Fatalf("say %d: %s", n, f.raw)
		}
		lastAck = f
	}
	// The next command is on the wire when the instance dies: stored or not, nobody knows.
	inFlight := map[string]any{"id": "say-5", "type": "say", "text": "Point 5, said once."}
	if err := a.ws.WriteJSON(inFlight); err != nil {
		t.Fatal(err)
	}
	doomed.kill(t)
	for _, p := range []*participant{a, chair} {
		for {
			if _, ok := p.next(); !ok {
				break
			}
		}
	}

	// The chair is back first and talks while partner a is still away; a catches up on it.
	chair.connect(survivor.url, session.ID)
	for n := range 2 {
		msgID := fmt.Sprintf("meanwhile-%d", n)
		if f, ok := chair.send(map[string]any{"id": msgID, "type": "moderator", "text": "While a reconnects, " + msgID}); !ok || f.Type != "ack" {
			t.Fatalf("chair on the survivor: %s", f.raw)
		}
	}
	a.connect(survivor.url, session.ID)
	if f, ok := a.send(inFlight); !ok || f.Type != "ack" {
		t.Fatalf("resending the command in flight: %s", f.raw)
	}
	acked["say-5"] = true
	// A command acknowledged by the dead instance, sent again to the survivor, is not done twice.
	if f, ok := say(a, 4); !ok || f.Type != "ack" || f.Seq != lastAck.Seq {
		t.Fatalf("say 4 again on the survivor: %s, first acknowledged as %s", f.raw, lastAck.raw)
	}
	for n := 6; n < 10; n++ {
		if f, ok := say(a, n); !ok || f.Type != "ack" {
			t.Fatalf("say %d after the failover: %s", n, f.raw)
		}
	}
	f, ok := chair.send(map[string]any{"id": "thanks", "type": "moderator", "text": "Still here, all of us."})
	if !ok || f.Type != "ack" {
		t.Fatalf("chair after the failover: %s", f.raw)
	}
	for _, p := range []*participant{a, chair, b} {
		p.until(f.Seq)
	}

	// One order for all, each say heard once.
	var want []string
	for _, e := range b.events {
		want = append(want, e.raw)
	}
	for _, p := range []*participant{a, chair} {
		var got []string
		for _, e := range p.events {
			got = append(got, e.raw)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s saw\n%s\nbut partner b saw\n%s", p.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	heard := map[string]int{}
	for _, e := range b.events {
		if e.Type == "utterance" {
			heard[e.Text]++
		}
	}
	for n := range 10 {
		if text := fmt.Sprintf("Point %d, said once.", n); heard[text] != 1 {
			t.Errorf("%q was heard %d times", text, heard[text])
		}
	}

	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored []string
	if err := db.Select(&stored, `SELECT client_msg_id FROM session_events
		WHERE session_id = $1 AND kind = 'utterance' ORDER BY seq`, session.ID); err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(acked) {
		t.Fatalf("stored %v, acknowledged %d", stored, len(acked))
	}
	for _, msgID := range stored {
		if !acked[msgID] {
			t.Errorf("stored %s, never acknowledged", msgID)
		}
	}
}
