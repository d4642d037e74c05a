package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/amendcare/amend/frontend"
	"github.com/amendcare/amend/media"
	"github.com/amendcare/amend/migrations"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/server"
	"github.com/amendcare/amend/server/demo"
	"github.com/amendcare/amend/server/mail"
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
	var mf mediaFlags
	mf.register(fs)
	smtpURL := fs.String("smtp-url", env("AMEND_SMTP_URL", ""), "mail server: smtp://user:pass@host:port (STARTTLS), smtps://… (TLS), ?tls=none for a loopback test server; empty keeps mail in the development mailbox (env AMEND_SMTP_URL)")
	mailFrom := fs.String("mail-from", env("AMEND_MAIL_FROM", "Amend <no-reply@localhost>"), "sender address of Amend's mail (env AMEND_MAIL_FROM)")
	mailKey := fs.String("mail-key", env("AMEND_MAIL_KEY", ""), "base64 of 32 random bytes sealing the links in queued mail; the same on every instance (env AMEND_MAIL_KEY)")
	publicURL := fs.String("public-url", env("AMEND_PUBLIC_URL", ""), "the address people open Amend at, for links in mail; empty uses http:// and the listen address (env AMEND_PUBLIC_URL)")
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

	// Listening before serving lets the links in mail name the port actually bound (--addr :0).
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if *publicURL == "" {
		*publicURL = "http://" + ln.Addr().String()
	}
	key, err := mailSealingKey(*mailKey, dbf, logger)
	if err != nil {
		return err
	}
	mailer, err := mail.New(ctx, st, mail.Config{SMTPURL: *smtpURL, From: *mailFrom, BaseURL: *publicURL, Key: key, Logger: logger})
	if err != nil {
		return err
	}
	// The runner outlives the signal: it is stopped after the HTTP server, letting sends in flight
	// finish, and before the database closes.
	if err := mailer.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		mailer.Stop(stopCtx)
	}()
	if mailer.Mailbox() {
		logger.Info("no mail server configured: mail is kept in the development mailbox")
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	units, err := mediaUnits(*voice, *addr, mf, logger, reg)
	if err != nil {
		return fmt.Errorf("voice: %w", err)
	}
	if units != nil {
		// Deferred before the hub starts, so the port closes after the hub has shut down.
		defer units.Close()
	}
	hub := realtime.NewHub(d.db, realtime.HubConfig{
		DSN: d.dsn, EndedSignIns: st.EndedSignIns, Registry: reg, Logger: logger, Media: liveMedia(units),
	})
	if err := hub.Start(); err != nil {
		return fmt.Errorf("live sessions: %w", err)
	}
	api, err := server.New(server.Deps{
		Config: server.Config{
			AllowedOrigins: splitList(*origins), CookieSecure: *cookieSecure, TrustedProxies: splitList(*proxies),
			IdleTimeout: *idle, AbsoluteTimeout: *absolute, MailboxPractices: []string{demo.PracticeName},
		},
		Store: st, Policy: authz, Logger: logger, Registry: reg,
		Ready: readiness(st, d),
		App:   frontend.Handler(),
		Live:  hub,
		Mail:  mailer,
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
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    server.MaxHeaderBytes,
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

// mediaFlags say where the forwarding unit's media reaches clients and through which relay.
type mediaFlags struct {
	udpPort    int
	publicIP   string
	turnURLs   string
	turnSecret string
}

func (mf *mediaFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&mf.udpPort, "media-udp-port", envInt("AMEND_MEDIA_UDP_PORT", 50000), "the one UDP port carrying this instance's voice and video; 0 picks a free one (env AMEND_MEDIA_UDP_PORT)")
	fs.StringVar(&mf.publicIP, "public-ip", env("AMEND_PUBLIC_IP", ""), "the IPv4 address clients reach the media port at, when the server is behind a 1:1 NAT (env AMEND_PUBLIC_IP)")
	fs.StringVar(&mf.turnURLs, "turn-urls", env("AMEND_TURN_URLS", ""), "comma-separated TURN (or STUN) URLs handed to browsers behind strict NATs, e.g. turn:turn.example.org:3478 (env AMEND_TURN_URLS)")
	fs.StringVar(&mf.turnSecret, "turn-secret", env("AMEND_TURN_SECRET", ""), "the secret shared with the TURN server (coturn's static-auth-secret) for time-limited credentials (env AMEND_TURN_SECRET)")
}

// mediaUnits builds the forwarding unit, or none when voice is off. A server listening on a
// loopback address runs on a developer's machine, where the browser reaches it over loopback too.
func mediaUnits(on bool, addr string, mf mediaFlags, logger *slog.Logger, reg prometheus.Registerer) (*media.Units, error) {
	if !on {
		return nil, nil
	}
	if mf.turnSecret != "" && mf.turnURLs == "" {
		return nil, errors.New("AMEND_TURN_SECRET is set without AMEND_TURN_URLS")
	}
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return media.New(media.Config{
		IncludeLoopback: host == "localhost" || ip != nil && ip.IsLoopback(),
		UDPPort:         mf.udpPort, PublicIP: mf.publicIP,
		TURNURLs: splitList(mf.turnURLs), TURNSecret: mf.turnSecret,
		Logger: logger, Registry: reg,
	})
}

// liveMedia hands the hub the forwarding unit, or no media at all when voice is off.
func liveMedia(units *media.Units) realtime.Media {
	if units == nil {
		return nil
	}
	return units
}

// mailSealingKey is the key that seals links in queued mail: AMEND_MAIL_KEY, or for the embedded
// database a key kept beside it in the data directory, or else one for this process alone.
func mailSealingKey(configured string, dbf dbFlags, logger *slog.Logger) ([]byte, error) {
	if configured != "" {
		key, err := base64.StdEncoding.DecodeString(configured)
		if err != nil || len(key) != mail.KeySize {
			return nil, fmt.Errorf("AMEND_MAIL_KEY must be base64 of %d bytes (openssl rand -base64 %d)", mail.KeySize, mail.KeySize)
		}
		return key, nil
	}
	if dbf.databaseURL != "" {
		logger.Warn("AMEND_MAIL_KEY is not set: mail queued by this instance can only be sent by it")
		return mail.NewKey(), nil
	}
	path := filepath.Join(dbf.dataDir, "mail.key")
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = mail.NewKey()
		err = os.WriteFile(path, key, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("mail key: %w", err)
	}
	if len(key) != mail.KeySize {
		return nil, fmt.Errorf("mail key %s holds %d bytes, not %d", path, len(key), mail.KeySize)
	}
	return key, nil
}
