// Command amend runs Amend: the API and live-session server, its migrations, and its set-up tasks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const usage = `amend — practice management for couples counseling

Usage:
  amend serve     [flags]   run the API, live sessions and web app
  amend migrate   up|down|status [flags]
  amend bootstrap --practice NAME --email EMAIL --password-stdin [flags]
  amend demo      [flags]   load the demo practice and print its logins

Run "amend COMMAND -h" for a command's flags. Every flag has an environment fallback.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))

	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		err = runServe(ctx, args, logger)
	case "migrate":
		err = runMigrate(ctx, args, logger)
	case "bootstrap":
		err = runBootstrap(ctx, args, os.Stdin, os.Stdout, logger)
	case "demo":
		err = runDemo(ctx, args, os.Stdout, logger)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "amend: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "amend:", err)
		os.Exit(1)
	}
}

func logLevel() slog.Level {
	var level slog.Level
	if err := level.UnmarshalText([]byte(env("AMEND_LOG_LEVEL", "info"))); err != nil {
		return slog.LevelInfo
	}
	return level
}

func env(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return fallback
}

func envBool(name string, fallback bool) bool {
	v, err := strconv.ParseBool(env(name, strconv.FormatBool(fallback)))
	if err != nil {
		return fallback
	}
	return v
}

func envInt(name string, fallback int) int {
	v, err := strconv.Atoi(env(name, strconv.Itoa(fallback)))
	if err != nil {
		return fallback
	}
	return v
}

func envDuration(name string, fallback time.Duration) time.Duration {
	v, err := time.ParseDuration(env(name, fallback.String()))
	if err != nil {
		return fallback
	}
	return v
}

func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// dbFlags are the database flags every subcommand shares.
type dbFlags struct {
	databaseURL string
	dataDir     string
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.databaseURL, "database-url", env("DATABASE_URL", ""), "PostgreSQL URL; empty runs the embedded default database (env DATABASE_URL)")
	fs.StringVar(&d.dataDir, "data-dir", env("AMEND_DATA_DIR", "./.amend"), "where the embedded database lives (env AMEND_DATA_DIR)")
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			fs.PrintDefaults()
		}
		return err
	}
	return nil
}
