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

// loadDemoIfEmpty loads the demo practice into a database that holds no practice yet, and prints
// the demo logins on every start where the demo practice is there. Instances starting together
// load it once.
func loadDemoIfEmpty(ctx context.Context, st *store.Store, stdout io.Writer) error {
	return st.WithLock(ctx, "amend.demo", func() error {
		n, err := st.CountPractices(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return loadDemo(ctx, st, stdout)
		}
		loaded, err := demo.Loaded(ctx, st)
		if err != nil {
			return err
		}
		if !loaded {
			fmt.Fprintln(stdout, "The database holds other practices and no demo practice; start with an empty database to try the demo.")
			return nil
		}
		printLogins(stdout, "is here already", demo.Logins())
		return nil
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
	printLogins(stdout, "is loaded", logins)
	return nil
}

// printLogins tells the person trying Amend how to sign in to the demo practice.
func printLogins(stdout io.Writer, state string, logins []demo.Login) {
	fmt.Fprintf(stdout, "Demo practice %q %s. Every demo account's password is %q.\n", demo.PracticeName, state, demo.Password)
	for _, l := range logins {
		fmt.Fprintf(stdout, "  %-10s %-20s %s\n", l.Role, l.Name, l.Email)
	}
}
