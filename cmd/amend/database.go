package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/migrations"
	"github.com/amendcare/amend/server/localpg"
	"github.com/amendcare/amend/server/store"
)

// database is an open connection and, when it is the embedded default, the cluster behind it.
type database struct {
	db      *sqlx.DB
	dsn     string
	cluster *localpg.Cluster
}

// openDatabase connects to DATABASE_URL or, when unset, starts (or joins) the embedded cluster.
func openDatabase(ctx context.Context, f dbFlags, maxConns int, logger *slog.Logger) (*database, error) {
	d := &database{}
	dsn := f.databaseURL
	if dsn == "" {
		cluster, err := localpg.Start(ctx, f.dataDir, logger)
		if err != nil {
			return nil, fmt.Errorf("embedded database: %w", err)
		}
		d.cluster = cluster
		if err := cluster.EnsureDatabase(ctx, "amend"); err != nil {
			d.close()
			return nil, err
		}
		dsn = cluster.DSN("amend")
	}
	db, err := store.Open(ctx, dsn, maxConns)
	if err != nil {
		d.close()
		return nil, err
	}
	d.db, d.dsn = db, dsn
	return d, nil
}

// migrate brings the schema up to date.
func (d *database) migrate(ctx context.Context) error {
	return migrations.Up(ctx, d.db.DB)
}

func (d *database) close() {
	if d.db != nil {
		d.db.Close()
	}
	if d.cluster != nil {
		d.cluster.Stop()
	}
}
