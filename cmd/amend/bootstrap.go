package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"strings"

	"github.com/amendcare/amend/server"
	"github.com/amendcare/amend/server/store"
)

func runBootstrap(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	practice := fs.String("practice", "", "name of the practice to create")
	email := fs.String("email", "", "email of its first administrator")
	fromStdin := fs.Bool("password-stdin", false, "read the administrator's password from the first line of standard input")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	name := strings.TrimSpace(*practice)
	if name == "" || len(name) > 200 {
		return fmt.Errorf("--practice is required (at most 200 characters)")
	}
	addr, err := mail.ParseAddress(strings.TrimSpace(*email))
	if err != nil || addr.Address != strings.TrimSpace(*email) {
		return fmt.Errorf("--email must be a plain email address")
	}
	if !*fromStdin {
		return fmt.Errorf("--password-stdin is required: pass the password on standard input, never as a flag")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if err := server.CheckPasswordRules(password, 10); err != nil {
		return err
	}
	hash, err := server.HashPassword(password)
	if err != nil {
		return err
	}

	d, err := openDatabase(ctx, dbf, 2, logger)
	if err != nil {
		return err
	}
	defer d.close()
	if err := d.migrate(ctx); err != nil {
		return err
	}
	practiceID, userID, created, err := store.New(d.db).Bootstrap(ctx, name, strings.ToLower(addr.Address), hash)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "Practice %d is ready; its administrator is user %d.\n", practiceID, userID)
	} else {
		fmt.Fprintf(stdout, "Practice %d and its administrator (user %d) already exist; nothing changed.\n", practiceID, userID)
	}
	return nil
}
