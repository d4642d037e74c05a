package localpg

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// dataDir returns a fresh directory the postgres user can reach when the test runs as root
// (t.TempDir's parent is private to the current user).
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(os.TempDir(), "localpg-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func start(t *testing.T, dir string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestClusterServesJoinsStopsAndRestartsWithItsData(t *testing.T) {
	ctx := context.Background()
	dir := dataDir(t)

	first := start(t, dir)
	if !first.Owned() {
		t.Fatal("the process that started the server does not own it")
	}
	if err := first.EnsureDatabase(ctx, "practice"); err != nil {
		t.Fatal(err)
	}
	if err := first.EnsureDatabase(ctx, "practice"); err != nil {
		t.Fatalf("ensuring an existing database: %v", err)
	}
	db := open(t, first.DSN("practice"))
	if _, err := db.ExecContext(ctx, `CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept')`); err != nil {
		t.Fatal(err)
	}

	second := start(t, dir)
	if second.Owned() {
		t.Fatal("a second Start on a running server claims to own it")
	}
	if second.DSN("practice") != first.DSN("practice") {
		t.Fatalf("joined DSN %q differs from %q", second.DSN("practice"), first.DSN("practice"))
	}
	if err := second.Stop(); err != nil {
		t.Fatal(err)
	}
	assertNote(t, open(t, second.DSN("practice")), "kept")

	db.Close()
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	if first.Owned() {
		t.Fatal("a stopped cluster still reports being owned")
	}
	if err := open(t, first.DSN("practice")).PingContext(ctx); err == nil {
		t.Fatal("the server still answers after Stop")
	}

	restarted := start(t, dir)
	if !restarted.Owned() {
		t.Fatal("the restarted server is not owned by the process that started it")
	}
	assertNote(t, open(t, restarted.DSN("practice")), "kept")
}

func assertNote(t *testing.T, db *sql.DB, want string) {
	t.Helper()
	var body string
	if err := db.QueryRow(`SELECT body FROM notes`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if body != want {
		t.Fatalf("note = %q, want %q", body, want)
	}
}

func TestConcurrentStartsRunOneServer(t *testing.T) {
	dir := dataDir(t)
	clusters := make([]*Cluster, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range clusters {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			clusters[i], errs[i] = Start(ctx, dir, nil)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, c := range clusters {
			if err := c.Stop(); err != nil {
				t.Error(err)
			}
		}
	})
	if clusters[0].Owned() == clusters[1].Owned() {
		t.Fatalf("owned = %v and %v, want exactly one owner", clusters[0].Owned(), clusters[1].Owned())
	}
	if clusters[0].DSN("postgres") != clusters[1].DSN("postgres") {
		t.Fatalf("the two starts reach different servers: %q and %q", clusters[0].DSN("postgres"), clusters[1].DSN("postgres"))
	}
	if err := open(t, clusters[1].DSN("postgres")).Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestStaleLockFileDoesNotBlockStart(t *testing.T) {
	dir := dataDir(t)
	c := start(t, dir)
	pidPath := filepath.Join(c.dataDir, "postmaster.pid")
	content, err := os.ReadFile(pidPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}

	// Leave the lock file a crashed server would: same content, but its process is gone.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(content), "\n")
	lines[0] = strconv.Itoa(gone.Process.Pid)
	if err := os.WriteFile(pidPath, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}

	restarted := start(t, dir)
	if !restarted.Owned() {
		t.Fatal("a start over a stale lock file joined a server that is not running")
	}
	if err := open(t, restarted.DSN("postgres")).Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestFindBinariesPicksHighestInstalledVersion(t *testing.T) {
	root := t.TempDir()
	for _, version := range []string{"9.6", "16", "13"} {
		fakeServerTools(t, filepath.Join(root, version, "bin"))
	}
	// A newer version without the server programs (client package only) must be passed over.
	if err := os.MkdirAll(filepath.Join(root, "17", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	notOnPath := func(string) (string, error) { return "", exec.ErrNotFound }

	got, err := findBinaries(notOnPath, filepath.Join(root, "*", "bin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "16", "bin"); got != want {
		t.Fatalf("found %s, want %s", got, want)
	}
}

func TestFindBinariesPrefersPath(t *testing.T) {
	onPath := filepath.Join(t.TempDir(), "bin")
	fakeServerTools(t, onPath)
	versioned := t.TempDir()
	fakeServerTools(t, filepath.Join(versioned, "99", "bin"))
	lookPath := func(name string) (string, error) { return filepath.Join(onPath, name), nil }

	got, err := findBinaries(lookPath, filepath.Join(versioned, "*", "bin"))
	if err != nil {
		t.Fatal(err)
	}
	if got != onPath {
		t.Fatalf("found %s, want the PATH directory %s", got, onPath)
	}
}

func TestMissingBinariesExplainHowToGetADatabase(t *testing.T) {
	notOnPath := func(string) (string, error) { return "", exec.ErrNotFound }
	_, err := findBinaries(notOnPath, filepath.Join(t.TempDir(), "*", "bin"))
	if !errors.Is(err, errNoBinaries) {
		t.Fatalf("err = %v, want the missing-binaries explanation", err)
	}
	for _, advice := range []string{"apt-get install postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), advice) {
			t.Errorf("error %q does not mention %q", err, advice)
		}
	}
}

func fakeServerTools(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range serverTools {
		if err := os.WriteFile(filepath.Join(dir, tool), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDSNQuotesValuesWithSpaces(t *testing.T) {
	got := socketDSN("/srv/my data/run", 5433, "it's")
	want := `host='/srv/my data/run' port=5433 user=postgres dbname='it\'s' sslmode=disable`
	if got != want {
		t.Fatalf("DSN = %s, want %s", got, want)
	}
}
