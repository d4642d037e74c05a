package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/server/localpg"
	"github.com/amendcare/amend/server/store/dbtest"
)

// pgTool returns the path of a PostgreSQL client program (pg_dump, pg_restore) from the same
// installation as the server programs, so its version matches the server's. The server programs
// may be linked one by one into a directory of their own; the installation is where they lead.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	dir, err := localpg.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	server, err := filepath.EvalSymlinks(filepath.Join(dir, "pg_ctl"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(filepath.Dir(server), name)
}

// onDatabase returns dsn, in URL or key=value form, pointing at database name instead.
func onDatabase(t *testing.T, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}

// sessionLog is every live session's events, in order, as text that compares exactly.
func sessionLog(t *testing.T, db *sqlx.DB) map[int64]string {
	t.Helper()
	var rows []struct {
		Session int64   `db:"session_id"`
		Seq     int64   `db:"seq"`
		Kind    string  `db:"kind"`
		Actor   *int64  `db:"actor_id"`
		Payload string  `db:"payload"`
		MsgID   *string `db:"client_msg_id"`
	}
	if err := db.Select(&rows, `SELECT session_id, seq, kind, actor_id, payload::text AS payload, client_msg_id
		FROM session_events ORDER BY session_id, seq`); err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, r := range rows {
		line := []string{r.Kind, r.Payload}
		if r.MsgID != nil {
			line = append(line, *r.MsgID)
		}
		out[r.Session] += strings.Join(line, "|") + "\n"
	}
	var snapshots []struct {
		ID    int64  `db:"id"`
		State string `db:"state"`
	}
	if err := db.Select(&snapshots, `SELECT id, state::text AS state FROM live_sessions ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, s := range snapshots {
		out[s.ID] += "snapshot " + s.State
	}
	return out
}

// TestBackupRestoresEverySessionIntact follows docs/operations.md: a custom-format pg_dump of a
// database with the demo practice, restored with pg_restore into a fresh database, holds every
// live session's events and snapshot exactly, every table's rows, and the audit log still
// refuses to be rewritten.
func TestBackupRestoresEverySessionIntact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := dbtest.DSN(t)
	if err := runDemo(ctx, []string{"--database-url", dsn}, io.Discard, quiet); err != nil {
		t.Fatal(err)
	}
	source, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { source.Close() })
	if _, err := source.Exec(`INSERT INTO audit_log (action, object_type, outcome) VALUES ('backup.test', 'database', 'allowed')`); err != nil {
		t.Fatal(err)
	}

	dump := filepath.Join(t.TempDir(), "amend.dump")
	if out, err := exec.Command(pgTool(t, "pg_dump"), "--format=custom", "--no-owner", "--file", dump, "--dbname", dsn).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}

	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := "amend_restored_" + hex.EncodeToString(suffix[:])
	if _, err := source.Exec(`CREATE DATABASE ` + pq.QuoteIdentifier(name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := source.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`); err != nil {
			t.Error(err)
		}
	})
	restoredDSN := onDatabase(t, dsn, name)
	if out, err := exec.Command(pgTool(t, "pg_restore"), "--no-owner", "--exit-on-error", "--dbname", restoredDSN, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	restored, err := sqlx.Open("postgres", restoredDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()

	before, after := sessionLog(t, source), sessionLog(t, restored)
	if len(before) == 0 {
		t.Fatal("the demo holds no live session to back up")
	}
	for session, events := range before {
		if after[session] != events {
			t.Errorf("live session %d after the restore:\n%s\nbefore:\n%s", session, after[session], events)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d sessions restored, %d backed up", len(after), len(before))
	}
	var tables []string
	if err := source.Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		var was, is int64
		query := `SELECT count(*) FROM ` + pq.QuoteIdentifier(table)
		if err := source.Get(&was, query); err != nil {
			t.Fatal(err)
		}
		if err := restored.Get(&is, query); err != nil {
			t.Fatalf("table %s after the restore: %v", table, err)
		}
		if was != is {
			t.Errorf("table %s: %d rows restored, %d backed up", table, is, was)
		}
	}
	if _, err := restored.Exec(`UPDATE audit_log SET action = 'rewritten'`); err == nil {
		t.Error("the restored audit log can be rewritten")
	}
}
