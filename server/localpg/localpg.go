// Package localpg starts or joins a throwaway PostgreSQL cluster from the machine's own binaries,
// so that Amend runs and tests without anyone setting up a database server first.
package localpg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"
)

const (
	superuser    = "postgres"
	startTimeout = 60 * time.Second
	// startAttempts covers the window between picking a free port and the server binding it.
	startAttempts = 3
)

// serverSettings suit a development and test server. fsync and synchronous_commit are spelled
// out because durability is promised to users even on the embedded server.
const serverSettings = `
# Settings for Amend's embedded server. The port and socket directory are passed at each start.
listen_addresses = '127.0.0.1'
max_connections = 300
shared_buffers = 128MB
fsync = on
synchronous_commit = on
`

// Cluster is a PostgreSQL server running from a data directory under Amend's data dir.
type Cluster struct {
	binDir    string
	pgDir     string
	dataDir   string
	socketDir string
	logPath   string
	port      int
	owner     *account // nil: the tools run as the current user
	logger    *slog.Logger

	mu      sync.Mutex
	owned   bool
	stopped bool
}

// Start initialises a cluster under dir once (initdb), starts it on a free loopback port with its
// unix socket inside dir, or joins it when another process already runs it there.
func Start(ctx context.Context, dir string, logger *slog.Logger) (*Cluster, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	binDir, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		binDir:    binDir,
		pgDir:     filepath.Join(dir, "pg"),
		dataDir:   filepath.Join(dir, "pg", "data"),
		socketDir: filepath.Join(dir, "pg", "run"),
		logPath:   filepath.Join(dir, "pg", "server.log"),
		logger:    logger,
	}
	// initdb refuses to run as root, so a root process hands the cluster to the postgres user.
	if os.Geteuid() == 0 {
		if c.owner, err = lookupAccount(superuser); err != nil {
			return nil, fmt.Errorf("running as root needs a %q system user to own the database: %w", superuser, err)
		}
	}
	if err := c.prepareDirs(dir); err != nil {
		return nil, err
	}

	lock, err := lockFile(ctx, filepath.Join(c.pgDir, "start.lock"))
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", c.pgDir, err)
	}
	defer unlockFile(lock)

	if err := c.initialise(ctx); err != nil {
		return nil, err
	}
	joined, err := c.joinRunning(ctx)
	if err != nil {
		return nil, err
	}
	if joined {
		logger.Info("joined running PostgreSQL", "data", c.dataDir, "port", c.port)
		return c, nil
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	c.owned = true
	logger.Info("started PostgreSQL", "data", c.dataDir, "port", c.port)
	return c, nil
}

// Owned reports whether this process started the server, and so will stop it.
func (c *Cluster) Owned() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owned && !c.stopped
}

// DSN returns a lib/pq key=value DSN for dbname over the cluster's unix socket.
func (c *Cluster) DSN(dbname string) string {
	return socketDSN(c.socketDir, c.port, dbname)
}

func socketDSN(socketDir string, port int, dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable",
		quoteDSNValue(socketDir), port, superuser, quoteDSNValue(dbname))
}

// quoteDSNValue quotes a value the way libpq's key=value syntax expects.
func quoteDSNValue(v string) string {
	if v != "" && !strings.ContainsAny(v, ` '\`) {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// EnsureDatabase creates the database name unless it exists.
func (c *Cluster) EnsureDatabase(ctx context.Context, name string) error {
	db, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	// Another process may win the race between the lookup and the create; the database exists
	// either way.
	if errors.As(err, &pqErr) && (pqErr.Code == "42P04" || pqErr.Code == "23505") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// Stop shuts the server down quickly and cleanly (pg_ctl stop -m fast) if this process started
// it. It does nothing for a joined server or after the first call.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.owned || c.stopped {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	defer cancel()
	lock, err := lockFile(ctx, filepath.Join(c.pgDir, "start.lock"))
	if err != nil {
		return fmt.Errorf("lock %s: %w", c.pgDir, err)
	}
	defer unlockFile(lock)

	if _, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
		c.stopped = true
		return nil
	}
	out, err := c.tool(ctx, "pg_ctl", "stop", "-D", c.dataDir, "-m", "fast", "-w",
		"-t", strconv.Itoa(int(startTimeout.Seconds()))).CombinedOutput()
	if err != nil {
		return fmt.Errorf("stop PostgreSQL: %w: %s", err, strings.TrimSpace(string(out)))
	}
	c.stopped = true
	c.logger.Info("stopped PostgreSQL", "data", c.dataDir)
	return nil
}

// prepareDirs creates dir/pg and its socket directory, owned by whoever runs the server.
func (c *Cluster) prepareDirs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if c.owner != nil {
		if err := c.letOwnerThrough(dir); err != nil {
			return err
		}
	}
	for _, d := range []string{c.pgDir, c.socketDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return err
		}
		if err := c.chown(d); err != nil {
			return err
		}
	}
	return nil
}

// letOwnerThrough makes sure the postgres user can reach dir/pg. The server only needs to pass
// through dir, never to list it, so dir gains search permission for others and nothing more;
// dir/pg itself belongs to postgres. Directories above dir are the user's choice and are only
// checked, so the failure names the directory to fix instead of a cryptic initdb error.
func (c *Cluster) letOwnerThrough(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o001 == 0 {
		if err := os.Chmod(dir, info.Mode().Perm()|0o001); err != nil {
			return err
		}
	}
	for parent := filepath.Dir(dir); ; parent = filepath.Dir(parent) {
		info, err := os.Stat(parent)
		if err != nil {
			return err
		}
		perm := info.Mode().Perm()
		st, ok := info.Sys().(*syscall.Stat_t)
		passable := perm&0o001 != 0 ||
			ok && int(st.Uid) == c.owner.uid && perm&0o100 != 0 ||
			ok && int(st.Gid) == c.owner.gid && perm&0o010 != 0
		if !passable {
			return fmt.Errorf("the %s user, which runs the database server, cannot enter %s: "+
				"allow it (chmod o+x) or choose another data directory", superuser, parent)
		}
		if parent == filepath.Dir(parent) {
			return nil
		}
	}
}

// account is the system user the server programs run as when this process is root.
type account struct {
	name     string
	uid, gid int
}

func lookupAccount(name string) (*account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, err
	}
	return &account{name: u.Username, uid: uid, gid: gid}, nil
}

func (c *Cluster) chown(path string) error {
	if c.owner == nil {
		return nil
	}
	return os.Chown(path, c.owner.uid, c.owner.gid)
}

// tool prepares one of the server programs, run as the cluster's owner.
func (c *Cluster) tool(ctx context.Context, name string, args ...string) *exec.Cmd {
	program := filepath.Join(c.binDir, name)
	var cmd *exec.Cmd
	if c.owner != nil {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.owner.name, "--", program}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, program, args...)
	}
	// The owner may not be allowed into the caller's working directory.
	cmd.Dir = c.pgDir
	// Messages in the C locale read the same everywhere and the port-conflict check below relies on
	// them.
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// initialise runs initdb once. It initialises a scratch directory and renames it into place, so
// a run interrupted half way never leaves a data directory that looks usable.
func (c *Cluster) initialise(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.dataDir, "PG_VERSION")); err == nil {
		return nil
	}
	scratch := c.dataDir + ".init"
	if err := os.RemoveAll(scratch); err != nil {
		return err
	}
	out, err := c.tool(ctx, "initdb", "-D", scratch,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-U", superuser,
		"--encoding=UTF8", "--locale=C").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w: %s", err, tail(string(out), 2000))
	}
	conf, err := os.OpenFile(filepath.Join(scratch, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := conf.WriteString(serverSettings); err != nil {
		conf.Close()
		return err
	}
	if err := conf.Close(); err != nil {
		return err
	}
	if err := os.RemoveAll(c.dataDir); err != nil {
		return err
	}
	if err := os.Rename(scratch, c.dataDir); err != nil {
		return err
	}
	c.logger.Info("initialised PostgreSQL data directory", "data", c.dataDir)
	return nil
}

// joinRunning adopts a server already running from the data directory. A postmaster.pid left by
// a server that is gone is removed so that it cannot block the start.
func (c *Cluster) joinRunning(ctx context.Context) (bool, error) {
	pidPath := filepath.Join(c.dataDir, "postmaster.pid")
	deadline := time.Now().Add(startTimeout)
	for {
		pid, port, socketDir, err := readPidFile(pidPath)
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if answers(ctx, socketDir, port) {
			c.port, c.socketDir = port, socketDir
			return true, nil
		}
		if !isPostgresProcess(pid) {
			c.logger.Warn("removing stale PostgreSQL lock file", "path", pidPath, "pid", pid)
			if err := os.Remove(pidPath); err != nil && !errors.Is(err, os.ErrNotExist) {
				return false, err
			}
			return false, nil
		}
		// The server is alive but not answering: recovering after a crash or shutting down.
		// Wait for it to settle either way.
		if time.Now().After(deadline) {
			return false, fmt.Errorf("a PostgreSQL server (pid %d) runs from %s but does not answer; server log:\n%s",
				pid, c.dataDir, c.logTail(0))
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// readPidFile reads the pid (line 1), port (line 4) and first socket directory (line 5) from a
// postmaster.pid file.
func readPidFile(path string) (pid, port int, socketDir string, err error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, "", err
	}
	lines := strings.Split(string(content), "\n")
	pid, _ = strconv.Atoi(strings.TrimSpace(lines[0]))
	// A shorter file was cut off by a crash: there is no port to join.
	if len(lines) < 5 {
		return pid, 0, "", nil
	}
	port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	return pid, port, strings.TrimSpace(lines[4]), nil
}

// isPostgresProcess reports whether pid is alive and is a postgres server, so that a pid reused
// by an unrelated program after a crash does not count as a running server.
func isPostgresProcess(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		// Without /proc the process cannot be identified; assume the worst and wait for it.
		return true
	}
	return strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres")
}

// answers reports whether a server accepts connections on the socket.
func answers(ctx context.Context, socketDir string, port int) bool {
	if port == 0 || socketDir == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	db, err := sql.Open("postgres", socketDSN(socketDir, port, "postgres")+" connect_timeout=3")
	if err != nil {
		return false
	}
	defer db.Close()
	return db.PingContext(ctx) == nil
}

// start launches the server on a free port, trying another port if that one is taken in the
// meantime.
func (c *Cluster) start(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		logOffset := fileSize(c.logPath)
		options := fmt.Sprintf("-p %d -k %s", port, shellQuote(c.socketDir))
		out, err := c.tool(ctx, "pg_ctl", "start", "-D", c.dataDir, "-l", c.logPath, "-o", options,
			"-w", "-t", strconv.Itoa(int(startTimeout.Seconds()))).CombinedOutput()
		if err == nil {
			c.port = port
			return nil
		}
		serverLog := c.logTail(logOffset)
		// pg_ctl gives up waiting but leaves a slow server running; stop it so the next start
		// does not find a half-started server.
		_ = c.tool(context.Background(), "pg_ctl", "stop", "-D", c.dataDir, "-m", "immediate", "-w").Run()
		if attempt < startAttempts && strings.Contains(serverLog, "could not bind") {
			c.logger.Warn("PostgreSQL port taken, trying another", "port", port)
			continue
		}
		return fmt.Errorf("start PostgreSQL: %w: %s\nserver log (%s):\n%s",
			err, strings.TrimSpace(string(out)), c.logPath, serverLog)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// shellQuote quotes a value for pg_ctl -o, which passes its options through the shell.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// logTail returns the end of what the server logged since offset.
func (c *Cluster) logTail(offset int64) string {
	content, err := os.ReadFile(c.logPath)
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	if offset > int64(len(content)) {
		offset = 0
	}
	return tail(string(content[offset:]), 4000)
}

func tail(s string, limit int) string {
	s = strings.TrimSpace(s)
	if len(s) <= limit {
		return s
	}
	return "..." + s[len(s)-limit:]
}

// lockFile takes an exclusive flock on path, giving up when ctx ends. It serialises processes
// starting and stopping the same cluster.
func lockFile(ctx context.Context, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func unlockFile(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}
