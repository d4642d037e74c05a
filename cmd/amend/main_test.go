package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amendcare/amend/server/store/dbtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(childServeEnv) == "1" {
		main()
		return
	}
	os.Exit(dbtest.Main(m))
}

var quiet = slog.New(slog.DiscardHandler)

func TestBootstrapIsIdempotent(t *testing.T) {
	dsn := dbtest.DSN(t)
	args := []string{"--database-url", dsn, "--practice", "Quiet Harbor", "--email", "lead@quiet.test", "--password-stdin"}
	var out bytes.Buffer
	if err := runBootstrap(context.Background(), args, strings.NewReader("a strong first password\n"), &out, quiet); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "is ready") {
		t.Fatalf("first run: %q", out.String())
	}
	out.Reset()
	if err := runBootstrap(context.Background(), args, strings.NewReader("a different password\n"), &out, quiet); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nothing changed") {
		t.Fatalf("second run: %q", out.String())
	}
}

func TestBootstrapRefusesBadInput(t *testing.T) {
	dsn := dbtest.DSN(t)
	for name, tc := range map[string]struct {
		args  []string
		stdin string
	}{
		"short password":     {[]string{"--practice", "P", "--email", "a@b.test", "--password-stdin"}, "short\n"},
		"no practice":        {[]string{"--email", "a@b.test", "--password-stdin"}, "long enough password\n"},
		"bad email":          {[]string{"--practice", "P", "--email", "not an email", "--password-stdin"}, "long enough password\n"},
		"password not stdin": {[]string{"--practice", "P", "--email", "a@b.test"}, ""},
	} {
		args := append([]string{"--database-url", dsn}, tc.args...)
		if err := runBootstrap(context.Background(), args, strings.NewReader(tc.stdin), &bytes.Buffer{}, quiet); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestServeRefusesAnInvalidPolicyFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.csv")
	if err := os.WriteFile(file, []byte("p, admin, practice, member\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := runServe(context.Background(), []string{"--database-url", "postgres://unused", "--policy", file}, quiet)
	if err == nil || !strings.Contains(err.Error(), "policy line 1") {
		t.Fatalf("serve with a malformed policy: %v", err)
	}
}

func TestDemoLoadsOnceIntoAnEmptyDatabase(t *testing.T) {
	dsn := dbtest.DSN(t)
	var out bytes.Buffer
	if err := runDemo(context.Background(), []string{"--database-url", dsn}, &out, quiet); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"admin@demo.amend.test", "maya@demo.amend.test", "sam.rivera@demo.amend.test"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %s", want)
		}
	}
}
