package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amendcare/amend/server/store"
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

// Every start with the demo on prints its logins, not only the start that loaded it; a database
// holding another practice prints none.
func TestDemoLoginsArePrintedOnEveryStart(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		seed      func(t *testing.T, dsn string)
		wantLogin bool
	}{
		{"the demo loaded earlier", func(t *testing.T, dsn string) {
			if err := runDemo(ctx, []string{"--database-url", dsn}, &bytes.Buffer{}, quiet); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"another practice only", func(t *testing.T, dsn string) {
			args := []string{"--database-url", dsn, "--practice", "Elsewhere", "--email", "owner@elsewhere.test", "--password-stdin"}
			if err := runBootstrap(ctx, args, strings.NewReader("a long enough password\n"), &bytes.Buffer{}, quiet); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := dbtest.DSN(t)
			tc.seed(t, dsn)
			d, err := openDatabase(ctx, dbFlags{databaseURL: dsn}, 2, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer d.close()
			var out bytes.Buffer
			if err := loadDemoIfEmpty(ctx, store.New(d.db), &out); err != nil {
				t.Fatal(err)
			}
			for _, login := range []string{"admin@demo.amend.test", "maya@demo.amend.test", "sam.rivera@demo.amend.test", "amend-demo-password"} {
				if strings.Contains(out.String(), login) != tc.wantLogin {
					t.Errorf("start over %s: printing %s is %v, want %v:\n%s", tc.name, login, !tc.wantLogin, tc.wantLogin, out.String())
				}
			}
		})
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
