package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/amendcare/amend/server"
	"github.com/amendcare/amend/server/demo"
	"github.com/amendcare/amend/server/store"
)

func runDemo(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := openDatabase(ctx, dbf, 4, logger)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.migrate(ctx); err != nil {
		return err
	}
	return loadDemo(ctx, store.New(d.db), stdout)
}

// loadDemoIfEmpty loads the demo practice into a database that holds no practice yet.
// Instances starting together load it once.
func loadDemoIfEmpty(ctx context.Context, st *store.Store, stdout io.Writer) error {
	return st.WithLock(ctx, "amend.demo", func() error {
		n, err := st.CountPractices(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintf(stdout, "The database already holds data; demo logins (if loaded) use the password %q.\n", demo.Password)
			return nil
		}
		return loadDemo(ctx, st, stdout)
	})
}

func loadDemo(ctx context.Context, st *store.Store, stdout io.Writer) error {
	hash, err := server.HashPassword(demo.Password)
	if err != nil {
		return err
	}
	logins, err := demo.Load(ctx, st, hash)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo practice %q is loaded. Every demo account's password is %q.\n", demo.PracticeName, demo.Password)
	for _, l := range logins {
		fmt.Fprintf(stdout, "  %-10s %-20s %s\n", l.Role, l.Name, l.Email)
	}
	return nil
}
