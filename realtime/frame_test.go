package realtime

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// The frames a writer lays out itself read, for a WebSocket client, as the messages they hold,
// whatever their length calls for (one, three or nine header bytes).
func TestBatchedFramesReadAsTheirMessages(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 200, 65535, 65536, 70000}
	var batch []byte
	for i, n := range sizes {
		batch = appendTextFrame(batch, bytes.Repeat([]byte{'a' + byte(i)}, n))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		_, _ = ws.NetConn().Write(batch)
	}))
	defer srv.Close()
	client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for i, n := range sizes {
		kind, data, err := client.ReadMessage()
		if err != nil {
			t.Fatalf("message %d (%d bytes): %v", i, n, err)
		}
		if kind != websocket.TextMessage || !bytes.Equal(data, bytes.Repeat([]byte{'a' + byte(i)}, n)) {
			t.Fatalf("message %d: kind %d, %d bytes, want a text message of %d", i, kind, len(data), n)
		}
	}
}
