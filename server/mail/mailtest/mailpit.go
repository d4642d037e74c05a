// Package mailtest runs mailpit, a real SMTP server with an HTTP API, on loopback ports for tests,
// and reads back what it received.
package mailtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Version is the mailpit release the tests run; `make test` builds it into bin/.
const Version = "v1.33.1"

// Mailpit is a running mailpit.
type Mailpit struct {
	t        testing.TB
	bin      string
	SMTPPort int
	httpAddr string
	dbPath   string
	cmd      *exec.Cmd
}

// Start runs mailpit on free loopback ports until the test ends. Its store is a file, so a
// stopped and restarted mailpit keeps what it received.
func Start(t testing.TB) *Mailpit {
	t.Helper()
	m := &Mailpit{t: t, bin: binary(t), SMTPPort: freePort(t), httpAddr: "127.0.0.1:" + strconv.Itoa(freePort(t)),
		dbPath: filepath.Join(t.TempDir(), "mailpit.db")}
	m.start()
	t.Cleanup(m.Stop)
	return m
}

// SMTPURL is the amend SMTP setting that reaches this mailpit.
func (m *Mailpit) SMTPURL() string {
	return fmt.Sprintf("smtp://127.0.0.1:%d?tls=none", m.SMTPPort)
}

func (m *Mailpit) start() {
	m.t.Helper()
	m.cmd = exec.Command(m.bin, "--smtp", "127.0.0.1:"+strconv.Itoa(m.SMTPPort), "--listen", m.httpAddr,
		"--database", m.dbPath, "--quiet", "--disable-version-check")
	m.cmd.Stdout, m.cmd.Stderr = os.Stderr, os.Stderr
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start mailpit: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + m.httpAddr + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("mailpit did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops mailpit; Restart brings it back on the same ports with what it had received.
func (m *Mailpit) Stop() {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Kill()
	m.cmd.Wait()
	m.cmd = nil
}

// Restart starts a stopped mailpit again.
func (m *Mailpit) Restart() {
	m.t.Helper()
	m.start()
}

// Address is one mailbox in a message's headers.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Summary is a message as mailpit lists it.
type Summary struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	From      Address   `json:"From"`
	To        []Address `json:"To"`
	Subject   string    `json:"Subject"`
}

// Attachment is a message's attached file.
type Attachment struct {
	FileName    string `json:"FileName"`
	ContentType string `json:"ContentType"`
	PartID      string `json:"PartID"`
}

// Message is one message in full.
type Message struct {
	Summary
	Text        string       `json:"Text"`
	HTML        string       `json:"HTML"`
	Attachments []Attachment `json:"Attachments"`
	Headers     map[string][]string
	// Files holds each attachment's content by file name.
	Files map[string]string
}

// Messages lists every message received, newest first.
func (m *Mailpit) Messages() []Summary {
	m.t.Helper()
	var list struct {
		Messages []Summary `json:"messages"`
	}
	m.getJSON("/api/v1/messages?limit=1000", &list)
	return list.Messages
}

// Message reads one message with its bodies, headers and attachments.
func (m *Mailpit) Message(id string) Message {
	m.t.Helper()
	var msg Message
	m.getJSON("/api/v1/message/"+id, &msg)
	m.getJSON("/api/v1/message/"+id+"/headers", &msg.Headers)
	msg.Files = map[string]string{}
	for _, a := range msg.Attachments {
		msg.Files[a.FileName] = string(m.get("/api/v1/message/" + id + "/part/" + a.PartID))
	}
	return msg
}

// All reads every message received in full.
func (m *Mailpit) All() []Message {
	m.t.Helper()
	var out []Message
	for _, s := range m.Messages() {
		out = append(out, m.Message(s.ID))
	}
	return out
}

// WaitFor polls until at least n messages have arrived, failing the test after timeout.
func (m *Mailpit) WaitFor(n int, timeout time.Duration) []Summary {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		list := m.Messages()
		if len(list) >= n {
			return list
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("got %d messages within %s, want %d", len(list), timeout, n)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (m *Mailpit) get(path string) []byte {
	m.t.Helper()
	resp, err := http.Get("http://" + m.httpAddr + path)
	if err != nil {
		m.t.Fatalf("mailpit %s: %v", path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("mailpit %s: %s %s", path, resp.Status, b.String())
	}
	return b.Bytes()
}

func (m *Mailpit) getJSON(path string, v any) {
	m.t.Helper()
	if err := json.Unmarshal(m.get(path), v); err != nil {
		m.t.Fatalf("mailpit %s: %v", path, err)
	}
}

// binary finds bin/mailpit at the module root, building it from the Go module proxy when missing.
func binary(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin", "mailpit")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "install", "github.com/axllent/mailpit@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+filepath.Join(root, "bin"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build mailpit: %v\n%s", err, out)
	}
	return bin
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
