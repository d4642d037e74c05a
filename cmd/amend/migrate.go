package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/amendcare/amend/migrations"
)

func runMigrate(ctx context.Context, args []string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("migrate takes one of: up, down, status")
	}
	d, err := openDatabase(ctx, dbf, 2, logger)
	if err != nil {
		return err
	}
	defer d.close()
	switch fs.Arg(0) {
	case "up":
		return d.migrate(ctx)
	case "down":
		return migrations.Down(ctx, d.db.DB)
	case "status":
		list, err := migrations.List(ctx, d.db.DB)
		if err != nil {
			return err
		}
		for _, m := range list {
			state := "pending"
			if m.Applied {
				state = "applied"
			}
			fmt.Fprintf(os.Stdout, "%05d  %-8s %s\n", m.Version, state, m.Source)
		}
		return nil
	default:
		return fmt.Errorf("migrate takes one of: up, down, status (got %q)", fs.Arg(0))
	}
}
