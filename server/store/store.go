// Package store is Amend's data access: plain SQL over sqlx and lib/pq, returning the domain types.
// It knows nothing of HTTP; every query that reads tenant data is scoped by practice.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/fault/pgerr"
)

// Store wraps the database handle.
type Store struct {
	db *sqlx.DB
	// statements holds the prepared statements of the queries every request runs.
	statements sync.Map // query text -> *sqlx.Stmt
}

// New returns a Store over an open database.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// DB exposes the handle for packages that run their own SQL (migrations, live sessions).
func (s *Store) DB() *sqlx.DB { return s.db }

// Open connects to PostgreSQL and checks the connection.
//
// Statements with parameters go out in one round trip (parse, bind and execute together) rather
// than the driver's default two, which halves the database latency of every query. The price is
// that a []byte parameter travels in PostgreSQL's binary form: right for bytea, wrong for jsonb,
// so JSON is always passed as a string.
func Open(ctx context.Context, dsn string, maxConns int) (*sqlx.DB, error) {
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	cfg.BinaryParameters = true
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(connector), "postgres")
	if maxConns <= 0 {
		maxConns = 40
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("reach database: %w", err)
	}
	return db, nil
}

// prepared returns query as a prepared statement, made once and then prepared on each database
// connection the first time it runs there, so that PostgreSQL parses and plans the queries of
// every request once per connection instead of on every call: for these short queries planning
// costs more than running them.
func (s *Store) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if stmt, ok := s.statements.Load(query); ok {
		return stmt.(*sqlx.Stmt), nil
	}
	stmt, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, pgerr.Map(err)
	}
	if earlier, loaded := s.statements.LoadOrStore(query, stmt); loaded {
		stmt.Close()
		return earlier.(*sqlx.Stmt), nil
	}
	return stmt, nil
}

// getPrepared runs a prepared query returning one row into dest.
func (s *Store) getPrepared(ctx context.Context, dest any, query string, args ...any) error {
	stmt, err := s.prepared(ctx, query)
	if err != nil {
		return err
	}
	return pgerr.Map(stmt.GetContext(ctx, dest, args...))
}

// selectPrepared runs a prepared query returning rows into dest.
func (s *Store) selectPrepared(ctx context.Context, dest any, query string, args ...any) error {
	stmt, err := s.prepared(ctx, query)
	if err != nil {
		return err
	}
	return pgerr.Map(stmt.SelectContext(ctx, dest, args...))
}

// execPrepared runs a prepared statement that returns no rows.
func (s *Store) execPrepared(ctx context.Context, query string, args ...any) error {
	stmt, err := s.prepared(ctx, query)
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, args...)
	return pgerr.Map(err)
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return pgerr.Map(s.db.PingContext(ctx)) }

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return pgerr.Map(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return pgerr.Map(err)
	}
	return pgerr.Map(tx.Commit())
}

// WithLock runs fn while holding a PostgreSQL advisory lock named name, so that instances
// starting together (loading demo data, say) do the work once.
func (s *Store) WithLock(ctx context.Context, name string, fn func() error) error {
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return pgerr.Map(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext($1))`, name); err != nil {
		return pgerr.Map(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, name)
	return fn()
}
