// Package dbtest gives each test its own PostgreSQL database cloned from a migrated template, on a
// throwaway cluster per test binary or on the server named by DATABASE_URL.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/migrations"
	"github.com/amendcare/amend/server/localpg"
	"github.com/amendcare/amend/server/store"
)

// harness is what Main sets up for the test binary. A test binary has exactly one, and testing.M
// leaves no other place to keep it.
var harness struct {
	cluster  *localpg.Cluster
	admin    *sql.DB
	baseDSN  string // where the test databases live; its database name is replaced per test
	template string
	prefix   string
	counter  atomic.Int64
	cloneMu  sync.Mutex
}

// Main runs a package's tests: it starts one throwaway cluster for the test binary (or uses
// DATABASE_URL when set — then it creates its databases on that server), creates a template
// database, applies migrations.Up to it, runs m.Run(), stops the cluster, and returns the exit code.
func Main(m *testing.M) int {
	// A fuzz worker (go test -fuzz starts several) only runs the fuzz function. A cluster started
	// there would outlive it, since workers are killed when fuzzing ends, and its server would
	// hold the worker's pipes to go test open, so go test would never finish.
	if slices.Contains(os.Args[1:], "-test.fuzzworker") {
		return m.Run()
	}
	cleanup, err := setUp()
	defer cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	return m.Run()
}

// setUp prepares the server and template. The returned cleanup undoes whatever part succeeded.
func setUp() (cleanup func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var undo []func()
	cleanup = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}

	token := make([]byte, 3)
	if _, err := rand.Read(token); err != nil {
		return cleanup, err
	}
	// The pid and a random token keep test binaries that share a DATABASE_URL server apart, even
	// when a crashed run left databases behind.
	harness.prefix = fmt.Sprintf("amend_test_%d_%s", os.Getpid(), hex.EncodeToString(token))
	harness.template = harness.prefix + "_template"

	if databaseURL := os.Getenv("DATABASE_URL"); databaseURL != "" {
		harness.baseDSN = databaseURL
	} else {
		dir, err := os.MkdirTemp(os.TempDir(), "amend-dbtest-")
		if err != nil {
			return cleanup, err
		}
		undo = append(undo, func() { os.RemoveAll(dir) })
		// When the tests run as root the server runs as the postgres user, which must reach the
		// directory.
		if err := os.Chmod(dir, 0o755); err != nil {
			return cleanup, err
		}
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		cluster, err := localpg.Start(ctx, dir, logger)
		if err != nil {
			return cleanup, err
		}
		undo = append(undo, func() {
			if err := cluster.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "dbtest:", err)
			}
		})
		harness.cluster = cluster
		harness.baseDSN = cluster.DSN("postgres")
	}

	admin, err := sql.Open("postgres", harness.baseDSN)
	if err != nil {
		return cleanup, err
	}
	undo = append(undo, func() { admin.Close() })
	harness.admin = admin

	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(harness.template)); err != nil {
		return cleanup, fmt.Errorf("create template database: %w", err)
	}
	undo = append(undo, func() {
		if err := dropDatabase(harness.template); err != nil {
			fmt.Fprintln(os.Stderr, "dbtest:", err)
		}
	})

	templateDSN, err := withDatabase(harness.baseDSN, harness.template)
	if err != nil {
		return cleanup, err
	}
	templateDB, err := sql.Open("postgres", templateDSN)
	if err != nil {
		return cleanup, err
	}
	err = migrations.Up(ctx, templateDB)
	// Cloning fails while anyone is connected to the template, so every connection goes now.
	templateDB.Close()
	if err != nil {
		return cleanup, fmt.Errorf("migrate template database: %w", err)
	}
	return cleanup, nil
}

// New creates a fresh database cloned from the template (CREATE DATABASE x TEMPLATE tmpl), opens it
// the way the server does (store.Open), and drops it in t.Cleanup. Safe for parallel tests.
func New(t testing.TB) *sqlx.DB {
	t.Helper()
	db, err := store.Open(context.Background(), DSN(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN is like New but returns the DSN of a fresh cloned database (for tests that start servers/subprocesses).
func DSN(t testing.TB) string {
	t.Helper()
	if harness.admin == nil {
		t.Fatal("dbtest: the package's TestMain must run its tests through dbtest.Main")
	}
	name := fmt.Sprintf("%s_%d", harness.prefix, harness.counter.Add(1))
	if err := cloneTemplate(name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(name); err != nil {
			t.Error(err)
		}
	})
	dsn, err := withDatabase(harness.baseDSN, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// Cluster returns the running localpg cluster, or nil when DATABASE_URL is used (fault tests need it).
func Cluster() *localpg.Cluster {
	return harness.cluster
}

// cloneTemplate creates name from the template. PostgreSQL refuses to clone a template that
// another clone is still reading, so clones in this process take turns and a refusal caused by
// someone else is retried for a little while.
func cloneTemplate(name string) error {
	harness.cloneMu.Lock()
	defer harness.cloneMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	query := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pq.QuoteIdentifier(name), pq.QuoteIdentifier(harness.template))
	for {
		_, err := harness.admin.ExecContext(ctx, query)
		var pqErr *pq.Error
		if err == nil || !errors.As(err, &pqErr) || pqErr.Code != "55006" { // object_in_use
			if err != nil {
				return fmt.Errorf("create test database: %w", err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create test database: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// dropDatabase removes a test database even if a server the test started still holds
// connections to it.
func dropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := harness.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop test database %s: %w", name, err)
	}
	return nil
}

// withDatabase returns dsn, in URL or key=value form, pointing at database name instead.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("DATABASE_URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// In key=value form the last setting of a key wins.
	return dsn + " dbname=" + name, nil
}
