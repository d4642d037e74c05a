// Command amend-bench drives a running Amend like real users — logins, live sessions over
// WebSocket, a REST mix — checks what every client receives, and prints latency percentiles. It
// also measures two yardsticks on the same machine: a minimal WebSocket relay and the raw
// PostgreSQL transaction ceiling, so Amend's figures can be read as ratios to them.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/amendcare/amend/server/localpg"
)

const usage = `amend-bench — load generator for Amend (loopback only)

  amend-bench live [flags]           live sessions + REST mix against a running Amend
  amend-bench idle [flags]           many idle authenticated WebSocket clients; RSS and CPU per connection
  amend-bench resume [flags]         partners return after missing events; time to catch up
  amend-bench voice [flags]          rooms of three sending audio through the forwarding unit; CPU per room, forwarding latency
  amend-bench baseline-relay [flags] the minimal gorilla/websocket relay yardstick
  amend-bench baseline-tx [flags]    the raw live-shaped PostgreSQL transaction ceiling

Run "amend-bench COMMAND -h" for flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "relay-server":
		fs := flag.NewFlagSet("relay-server", flag.ExitOnError)
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		fs.Parse(os.Args[2:])
		err = runRelayServer(*addr)
	case "baseline-relay":
		fs := flag.NewFlagSet("baseline-relay", flag.ExitOnError)
		conns := fs.Int("conns", 3000, "idle connections (rooms of three)")
		rooms := fs.Int("fanout-rooms", 50, "rooms whose first member sends")
		messages := fs.Int("messages", 200, "messages per sending room")
		out := fs.String("json", "", "also write the result as JSON to this file")
		fs.Parse(os.Args[2:])
		var res RelayResult
		if res, err = runRelayBaseline(ctx, *conns, *rooms, *messages); err == nil {
			fmt.Printf("minimal relay: %d idle connections, %.1f KB RSS each; fan-out to two peers %s\n",
				res.Connections, res.RSSPerConnBytes/1024, res.FanOut)
			err = maybeWriteJSON(*out, res)
		}
	case "baseline-tx":
		fs := flag.NewFlagSet("baseline-tx", flag.ExitOnError)
		dsn := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL to measure (its tables are created and dropped); empty joins the embedded cluster")
		dataDir := fs.String("data-dir", "./.amend", "the embedded cluster's directory, when --database-url is empty")
		writers := fs.Int("writers", 8, "concurrent writers")
		duration := fs.Duration("duration", 10*time.Second, "length of each of the two runs")
		out := fs.String("json", "", "also write the result as JSON to this file")
		fs.Parse(os.Args[2:])
		if *dsn == "" {
			var cluster *localpg.Cluster
			if cluster, err = localpg.Start(ctx, *dataDir, nil); err != nil {
				break
			}
			defer cluster.Stop()
			if err = cluster.EnsureDatabase(ctx, "amend"); err != nil {
				break
			}
			*dsn = cluster.DSN("amend")
		}
		var res RawTxResult
		if res, err = runRawTx(ctx, *dsn, *writers, *duration); err == nil {
			fmt.Printf("raw live-shaped transactions, %d writers: %.0f commits/s with NOTIFY, %.0f without; commit to LISTEN %s\n",
				res.Writers, res.CommitsPerSecond, res.NoNotifyPerSecond, res.ListenLatency)
			err = maybeWriteJSON(*out, res)
		}
	case "voice":
		err = runVoice(ctx, os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		err = runLoad(ctx, os.Args[1], os.Args[2:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "amend-bench:", err)
		os.Exit(1)
	}
}

func maybeWriteJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return writeJSON(f, v)
}

// loopbackOnly refuses targets that are not this machine: the load generator is for measuring,
// never for loading someone else's server.
func loopbackOnly(target string) error {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--url %q is not a URL", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--url %q is not a loopback address; amend-bench only targets this machine", target)
}
