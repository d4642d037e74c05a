package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The minimal relay is the yardstick for Amend's per-connection cost: a gorilla/websocket server
// with one reader and one writer goroutine per connection and a bounded queue, relaying each
// message to the other members of its room, and nothing else (no auth, no storage).

type relayConn struct {
	ws   *websocket.Conn
	send chan []byte
}

type relayServer struct {
	mu    sync.Mutex
	rooms map[string]map[*relayConn]bool
}

var relayUpgrader = websocket.Upgrader{
	ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &sync.Pool{},
	CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "" },
}

func (s *relayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := relayUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	room := r.URL.Query().Get("room")
	c := &relayConn{ws: ws, send: make(chan []byte, 64)}
	s.mu.Lock()
	if s.rooms[room] == nil {
		s.rooms[room] = map[*relayConn]bool{}
	}
	s.rooms[room][c] = true
	s.mu.Unlock()
	go func() {
		for msg := range c.send {
			ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if ws.WriteMessage(websocket.TextMessage, msg) != nil {
				break
			}
		}
		ws.Close()
	}()
	go func() {
		defer func() {
			s.mu.Lock()
			delete(s.rooms[room], c)
			s.mu.Unlock()
			close(c.send)
		}()
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			s.mu.Lock()
			for peer := range s.rooms[room] {
				if peer != c {
					select {
					case peer.send <- msg:
					default:
					}
				}
			}
			s.mu.Unlock()
		}
	}()
}

// runRelayServer serves the minimal relay until the process is stopped; it prints its address.
func runRelayServer(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	return http.Serve(ln, &relayServer{rooms: map[string]map[*relayConn]bool{}})
}

// startRelay runs the relay as a child process, so its memory is measured on its own.
func startRelay(ctx context.Context) (addr string, pid int, stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.CommandContext(ctx, self, "relay-server", "--addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	buf := make([]byte, 64)
	n, err := out.Read(buf)
	if err != nil {
		cmd.Process.Kill()
		return "", 0, nil, fmt.Errorf("relay did not start: %w", err)
	}
	addr = string(buf[:n-1])
	return addr, cmd.Process.Pid, func() { cmd.Process.Kill(); cmd.Wait() }, nil
}

// RelayResult is the minimal relay's cost per idle connection and its fan-out latency.
type RelayResult struct {
	Connections     int     `json:"connections"`
	RSSPerConnBytes float64 `json:"rss_per_connection_bytes"`
	FanOut          Latency `json:"fan_out"`
}

// runRelayBaseline opens conns idle connections in rooms of three to a fresh relay, measures its
// memory per connection, then has one member of each of the first rooms send and times delivery
// to the other two.
func runRelayBaseline(ctx context.Context, conns int, fanoutRooms int, messages int) (RelayResult, error) {
	res := RelayResult{Connections: conns}
	addr, pid, stop, err := startRelay(ctx)
	if err != nil {
		return res, err
	}
	defer stop()
	before, err := readUsage(pid)
	if err != nil {
		return res, err
	}
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	clients := make([]*websocket.Conn, 0, conns)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for i := range conns {
		c, _, err := dialer.DialContext(ctx, "ws://"+addr+"/?room="+strconv.Itoa(i/3), nil)
		if err != nil {
			return res, fmt.Errorf("relay connection %d: %w", i, err)
		}
		clients = append(clients, c)
	}
	settle()
	after, err := readUsage(pid)
	if err != nil {
		return res, err
	}
	res.RSSPerConnBytes = float64(after.RSSBytes-before.RSSBytes) / float64(conns)

	var lat recorder
	var wg sync.WaitGroup
	for room := range min(fanoutRooms, conns/3) {
		sender, a, b := clients[room*3], clients[room*3+1], clients[room*3+2]
		for _, receiver := range []*websocket.Conn{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range messages {
					_, msg, err := receiver.ReadMessage()
					if err != nil {
						return
					}
					if sent, err := strconv.ParseInt(string(msg), 10, 64); err == nil {
						lat.add(time.Since(time.Unix(0, sent)))
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for range messages {
				<-tick.C
				if sender.WriteMessage(websocket.TextMessage, []byte(strconv.FormatInt(time.Now().UnixNano(), 10))) != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	res.FanOut = lat.summary()
	return res, nil
}

// settle gives a server a moment to finish allocating for connections it just accepted, so
// memory is read at rest.
func settle() { time.Sleep(2 * time.Second) }
