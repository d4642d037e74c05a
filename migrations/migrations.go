// Package migrations holds Amend's schema as goose SQL files embedded in the binary, and runs them
// with a PostgreSQL session lock so that instances starting together migrate exactly once. The
// mail queue's tables are River's, brought up to date by River's own migrator under a lock too.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed *.sql
var files embed.FS

// FS is the embedded set of migration files.
var FS fs.FS = files

func provider(db *sql.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return goose.NewProvider(goose.DialectPostgres, db, FS, goose.WithSessionLocker(locker))
}

// Up applies every pending migration: Amend's own, then the job queue's.
func Up(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	return upQueue(ctx, db)
}

// queueLockKey is the advisory lock held while River's schema is migrated (goose holds its own).
const queueLockKey = 0x616d656e64_7271 // "amend" "rq"

func queueMigrator(db *sql.DB) (*rivermigrate.Migrator[*sql.Tx], error) {
	return rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
}

// upQueue brings River's tables to the version this binary's River needs. River keeps its own
// version table, so a River upgrade needs no new file here. The session lock on one connection makes
// instances starting together migrate once: the second finds nothing left to do.
func upQueue(ctx context.Context, db *sql.DB) error {
	migrator, err := queueMigrator(db)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, queueLockKey); err != nil {
		return fmt.Errorf("job queue migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, queueLockKey)
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// Down rolls back the most recent migration.
func Down(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Status describes one migration and whether it is applied.
type Status struct {
	Version int64
	Source  string
	Applied bool
}

// List reports every known migration and whether it has been applied.
func List(ctx context.Context, db *sql.DB) ([]Status, error) {
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	results, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate status: %w", err)
	}
	out := make([]Status, 0, len(results))
	for _, r := range results {
		out = append(out, Status{Version: r.Source.Version, Source: r.Source.Path, Applied: r.State == goose.StateApplied})
	}
	return out, nil
}

// Pending reports whether the database lacks any migration this binary knows, its own or the job
// queue's.
func Pending(ctx context.Context, db *sql.DB) (bool, error) {
	p, err := provider(db)
	if err != nil {
		return false, err
	}
	if pending, err := p.HasPending(ctx); err != nil || pending {
		return pending, err
	}
	migrator, err := queueMigrator(db)
	if err != nil {
		return false, err
	}
	res, err := migrator.Validate(ctx, nil)
	if err != nil {
		return false, err
	}
	return !res.OK, nil
}
