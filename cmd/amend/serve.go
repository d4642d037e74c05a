package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/amendcare/amend/frontend"
	"github.com/amendcare/amend/media"
	"github.com/amendcare/amend/migrations"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/server"
	"github.com/amendcare/amend/server/store"
)

func runServe(ctx context.Context, args []string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	addr := fs.String("addr", env("AMEND_ADDR", "127.0.0.1:8080"), "address to listen on (env AMEND_ADDR)")
	origins := fs.String("allowed-origins", env("AMEND_ALLOWED_ORIGINS", ""), "comma-separated browser origins allowed besides the server's own host (env AMEND_ALLOWED_ORIGINS)")
	cookieSecure := fs.Bool("cookie-secure", envBool("AMEND_COOKIE_SECURE", false), "mark the session cookie Secure; set behind HTTPS (env AMEND_COOKIE_SECURE)")
	proxies := fs.String("trusted-proxies", env("AMEND_TRUSTED_PROXIES", ""), "comma-separated proxy addresses or CIDRs whose X-Forwarded-For is trusted (env AMEND_TRUSTED_PROXIES)")
	policyFile := fs.String("policy", env("AMEND_POLICY", ""), "a practice's own access table (CSV) instead of the built-in one (env AMEND_POLICY)")
	idle := fs.Duration("idle-timeout", envDuration("AMEND_IDLE_TIMEOUT", 30*time.Minute), "sign out after this long without requests (env AMEND_IDLE_TIMEOUT)")
	absolute := fs.Duration("session-lifetime", envDuration("AMEND_SESSION_LIFETIME", 12*time.Hour), "sign out after this long in any case (env AMEND_SESSION_LIFETIME)")
	withDemo := fs.Bool("demo", envBool("AMEND_DEMO", false), "load the demo practice when the database is empty and print its logins (env AMEND_DEMO)")
	maxConns := fs.Int("db-max-conns", 40, "most database connections this instance opens")
	debugAddr := fs.String("debug-addr", env("AMEND_DEBUG_ADDR", ""), "loopback address for Go's profiler (/debug/pprof); empty turns it off (env AMEND_DEBUG_ADDR)")
	voice := fs.Bool("voice", envBool("AMEND_VOICE", true), "carry voice and video in live sessions through the built-in forwarding unit; off leaves them text only (env AMEND_VOICE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	table := policy.DefaultPolicy()
	if *policyFile != "" {
		var err error
		if table, err = os.ReadFile(*policyFile); err != nil {
			return fmt.Errorf("policy file: %w", err)
		}
	}
	authz, err := policy.Load(table, logger)
	if err != nil {
		return fmt.Errorf("the access policy cannot be used: %w", err)
	}

	d, err := openDatabase(ctx, dbf, *maxConns, logger)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.migrate(ctx); err != nil {
		return err
	}
	st := store.New(d.db)
	if *withDemo {
		if err := loadDemoIfEmpty(ctx, st, os.Stdout); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	units, err := mediaUnits(*voice, *addr, logger)
	if err != nil {
		return fmt.Errorf("voice: %w", err)
	}
	hub := realtime.NewHub(d.db, realtime.HubConfig{
		DSN: d.dsn, SessionAlive: st.SessionAlive, Registry: reg, Logger: logger, Media: units,
	})
	if err := hub.Start(); err != nil {
		return fmt.Errorf("live sessions: %w", err)
	}
	api, err := server.New(server.Deps{
		Config: server.Config{
			AllowedOrigins: splitList(*origins), CookieSecure: *cookieSecure, TrustedProxies: splitList(*proxies),
			IdleTimeout: *idle, AbsoluteTimeout: *absolute,
		},
		Store: st, Policy: authz, Logger: logger, Registry: reg,
		Ready: readiness(st, d),
		App:   frontend.Handler(),
		Live:  hub,
	})
	if err != nil {
		hub.Shutdown(ctx)
		return err
	}
	api.OnDisable(hub.DisconnectMember)

	if *debugAddr != "" {
		if err := serveProfiler(*debugAddr, logger); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	logger.Info("amend serving", "addr", ln.Addr().String())
	fmt.Fprintf(os.Stdout, "Amend is running at http://%s\n", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Live connections are hijacked, so Shutdown would not wait for them: close them first with
	// 1012 (service restart) so clients resume on another instance.
	hub.Shutdown(shutdownCtx)
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// readiness checks that the database answers and holds every migration this binary knows.
func readiness(st *store.Store, d *database) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := st.Ping(ctx); err != nil {
			return errors.New("database unreachable")
		}
		pending, err := migrations.Pending(ctx, d.db.DB)
		if err != nil {
			return errors.New("migration state unknown")
		}
		if pending {
			return errors.New("migrations pending")
		}
		return nil
	}
}

// serveProfiler exposes Go's profiler on a loopback address only: profiles show internals that
// have no business leaving the machine.
func serveProfiler(addr string, logger *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--debug-addr: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--debug-addr must be a loopback address, not %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	logger.Info("profiler listening", "addr", ln.Addr().String())
	go http.Serve(ln, mux)
	return nil
}

// mediaUnits builds the forwarding unit, or none when voice is off. A server listening on a
// loopback address runs on a developer's machine, where the browser reaches it over loopback too.
func mediaUnits(on bool, addr string, logger *slog.Logger) (realtime.Media, error) {
	if !on {
		return nil, nil
	}
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return media.New(media.Config{IncludeLoopback: host == "localhost" || ip != nil && ip.IsLoopback(), Logger: logger})
}
