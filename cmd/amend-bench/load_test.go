package main

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/amendcare/amend/media"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/server"
	"github.com/amendcare/amend/server/demo"
	"github.com/amendcare/amend/server/store"
	"github.com/amendcare/amend/server/store/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestSeqCheckFindsGapsAndDuplicates(t *testing.T) {
	var c seqCheck
	c.start(4)
	for _, seq := range []int64{5, 6, 6, 8, 9, 3} {
		c.see(seq)
	}
	if c.gaps != 1 || c.duplicates != 2 || c.last != 9 {
		t.Fatalf("gaps %d, duplicates %d, last %d", c.gaps, c.duplicates, c.last)
	}
}

// TestTinyLoadSeesOneGapFreeSequence runs the load generator against a real server and database
// at a tiny load, with partners dropping and resuming, and requires every client to see each
// session's events once, in order, with every acked utterance delivered to all three.
func TestTinyLoadSeesOneGapFreeSequence(t *testing.T) {
	ctx := context.Background()
	srv, dsn := startServer(t, nil, prometheus.NewRegistry())
	res, err := load(ctx, "live", loadFlags{url: srv.URL, admin: "admin@demo.amend.test", password: demo.Password,
		sessions: 3, couples: 2, caseload: 4, historyDays: 30, databaseURL: dsn,
		duration: 3 * time.Second, rate: 30, reconnectRate: 3, restRate: 20, mode: "turns",
		serverPIDs: pidList{os.Getpid()}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Utterances < 10 || res.Reconnects == 0 {
		t.Fatalf("too little happened: %d utterances, %d reconnects", res.Utterances, res.Reconnects)
	}
	if res.Gaps != 0 || res.Duplicates != 0 || res.MissingAcked != 0 {
		t.Fatalf("clients saw %d gaps, %d duplicates, %d acked events missing", res.Gaps, res.Duplicates, res.MissingAcked)
	}
	if res.Ack.Count == 0 || res.FanOut.Count == 0 || res.REST.Count == 0 {
		t.Fatalf("nothing measured: %+v", res)
	}
	for _, kind := range restKinds {
		if res.RESTByKind[kind].Count == 0 {
			t.Errorf("no %s request was answered: %+v", kind, res.RESTByKind)
		}
	}
	if res.Failures != 0 {
		t.Errorf("%d failures: %v", res.Failures, res.Errors)
	}
	// The server runs in this process: its CPU is measured and priced per utterance or request.
	if c := res.CPU; !c.ServerMeasured || c.ServerMS <= 0 || c.ServerMSPerOp <= 0 ||
		c.Operations != res.Utterances+int64(res.REST.Count) || c.MachineBusyPercent <= 0 {
		t.Errorf("CPU not measured per operation: %+v", c)
	}
	// Both partners of the four caseload couples checked in on most of the 30 past days.
	if res.Caseload != 4 || res.HistoryCheckins < 4*2*25 {
		t.Errorf("caseload of %d couples with %d past check-ins, want 4 couples with a month of check-ins", res.Caseload, res.HistoryCheckins)
	}
}

// startServer runs Amend on the demo practice against a fresh database, with media when given
// and its metrics in reg, and returns its HTTP server and the database's address.
func startServer(t *testing.T, voice realtime.Media, reg *prometheus.Registry) (*httptest.Server, string) {
	t.Helper()
	dsn := dbtest.DSN(t)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	hash, err := server.HashPassword(demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, st, hash); err != nil {
		t.Fatal(err)
	}
	authz, err := policy.Load(policy.DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	hub := realtime.NewHub(db, realtime.HubConfig{DSN: dsn, EndedSignIns: st.EndedSignIns, Registry: reg, Logger: quiet, Media: voice})
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	api, err := server.New(server.Deps{Store: st, Policy: authz, Logger: quiet, Registry: reg, Live: hub,
		Ready: func(ctx context.Context) error { return st.Ping(ctx) }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		hub.Shutdown(context.Background())
		srv.Close()
	})

	return srv, dsn
}

// TestTinyVoiceLoadForwardsOnlyTheFloor runs the voice mode against a real server with its
// forwarding unit: two rooms of three send audio while their chairs pass the floor, and every
// packet received must be the chair's or the floor holder's.
func TestTinyVoiceLoadForwardsOnlyTheFloor(t *testing.T) {
	reg := prometheus.NewRegistry()
	units, err := media.New(media.Config{IncludeLoopback: true, IPFilter: func(ip net.IP) bool { return ip.IsLoopback() },
		Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = units.Close() })
	srv, _ := startServer(t, units, reg)
	res, err := voiceLoad(context.Background(), voiceFlags{url: srv.URL, admin: "admin@demo.amend.test", password: demo.Password,
		rooms: 2, duration: 2 * time.Second, floorEvery: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failures != 0 {
		t.Fatalf("%d failures: %v", res.Failures, res.Errors)
	}
	// Each room's chair and floor holder are heard by two others: about 2 rooms x 2 senders x 2
	// receivers x 50 packets a second.
	if res.PacketsSent < 2*3*50 || res.PacketsHeard < res.PacketsSent/2 || res.Forwarding.Count == 0 {
		t.Fatalf("too little audio: %d packets sent, %d received, %d timed", res.PacketsSent, res.PacketsHeard, res.Forwarding.Count)
	}
	// The server timed the packets it forwarded: about one for each packet heard by two.
	if timed := int64(res.ServerForwarding.Count); timed < res.PacketsHeard/4 || timed > res.PacketsHeard {
		t.Fatalf("the server timed %d forwarded packets, while %d were received", res.ServerForwarding.Count, res.PacketsHeard)
	}
	if res.FloorChanges < 2 {
		t.Fatalf("the floor moved %d times, want it to move in both rooms", res.FloorChanges)
	}
	if res.OutOfTurn != 0 {
		t.Fatalf("%d packets were heard from a partner who no longer held the floor", res.OutOfTurn)
	}
}

// TestUnexpectedErrorsAreFailures: the server failing a request or a command fails the run, while
// the refusals a session's play runs into are only counted.
func TestUnexpectedErrorsAreFailures(t *testing.T) {
	for code, want := range map[string]bool{
		"internal": true, "unavailable": true, "rest couple_page 500 internal": true, "rest checkin 503 unavailable": true,
		"rest caseload: connection refused": true, "reconnect": true, "2 clients never caught up": true,
		"not_your_turn": false, "paused": false,
	} {
		if got := isFailure(code); got != want {
			t.Errorf("isFailure(%q) = %v, want %v", code, got, want)
		}
	}
}

// TestNoRESTRateOffersNoRequests: --rest-rate 0 leaves the REST mix out of a live run.
func TestNoRESTRateOffersNoRequests(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	out := restMix(ctx, ctx, "http://127.0.0.1:1", &fixture{}, 0, restKinds, func(code string) { t.Errorf("error %s", code) })
	if out.offered != 0 || ctx.Err() != nil {
		t.Fatalf("offered %d requests (the run's clock: %v)", out.offered, ctx.Err())
	}
}

func TestRESTKindsFlagTakesOnlyKnownKinds(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"caseload", "caseload", false},
		{"draft_save,checkin", "draft_save,checkin", false},
		{"caseload,", "", true},
		{"everything", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var k kindList
			err := k.Set(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && k.String() != tt.want {
				t.Fatalf("got %q, want %q", k.String(), tt.want)
			}
		})
	}
}
