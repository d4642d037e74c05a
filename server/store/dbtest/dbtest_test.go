package dbtest_test

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/migrations"
	"github.com/amendcare/amend/server/store/dbtest"
)

func TestMain(m *testing.M) {
	os.Exit(dbtest.Main(m))
}

func countPractices(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM practices`); err != nil {
		t.Fatal(err)
	}
	return n
}

func addPractice(t *testing.T, db *sqlx.DB, name string) {
	t.Helper()
	if _, err := db.Exec(`INSERT INTO practices (name) VALUES ($1)`, name); err != nil {
		t.Fatal(err)
	}
}

func TestParallelTestsGetEmptyMigratedDatabases(t *testing.T) {
	for _, practice := range []string{"Harbor Counseling", "Northside Couples Clinic"} {
		t.Run(practice, func(t *testing.T) {
			t.Parallel()
			db := dbtest.New(t)
			pending, err := migrations.Pending(context.Background(), db.DB)
			if err != nil {
				t.Fatal(err)
			}
			if pending {
				t.Fatal("the test database lacks migrations")
			}
			if n := countPractices(t, db); n != 0 {
				t.Fatalf("a fresh database holds %d practices, want none", n)
			}
			addPractice(t, db, practice)
			var names []string
			if err := db.Select(&names, `SELECT name FROM practices`); err != nil {
				t.Fatal(err)
			}
			if len(names) != 1 || names[0] != practice {
				t.Fatalf("practices = %v, want only %q", names, practice)
			}
		})
	}
}

func TestWritesInOneTestDatabaseAreInvisibleInAnother(t *testing.T) {
	first, second := dbtest.New(t), dbtest.New(t)
	addPractice(t, first, "Harbor Counseling")
	if n := countPractices(t, second); n != 0 {
		t.Fatalf("the second database sees %d practices written to the first", n)
	}
}

func TestDatabaseIsDroppedWhenItsTestEnds(t *testing.T) {
	var name string
	t.Run("test holding a connection", func(t *testing.T) {
		// Opened by DSN and never closed, like a server a test starts and leaves running.
		db, err := sql.Open("postgres", dbtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	var remaining int
	if err := dbtest.New(t).Get(&remaining, `SELECT count(*) FROM pg_database WHERE datname = $1`, name); err != nil {
		t.Fatal(err)
	}
	if remaining != 0 {
		t.Fatalf("database %s still exists after its test ended", name)
	}
}

func TestClusterIsTheEmbeddedServer(t *testing.T) {
	if os.Getenv("DATABASE_URL") != "" {
		if dbtest.Cluster() != nil {
			t.Fatal("Cluster() returns an embedded server although DATABASE_URL is set")
		}
		return
	}
	cluster := dbtest.Cluster()
	if cluster == nil {
		t.Fatal("Cluster() is nil without DATABASE_URL")
	}
	if !cluster.Owned() {
		t.Fatal("the test binary does not own the server it started")
	}
}
