package migrations_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/amendcare/amend/migrations"
	"github.com/amendcare/amend/server/store/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// Instances starting together on a database without the job queue's tables create them once,
// without error, and the schema then counts as current.
func TestInstancesStartingTogetherMigrateTheQueueOnce(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t).DB
	migrator, err := rivermigrate.New(riverdatabasesql.New(db), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1}); err != nil {
		t.Fatal(err)
	}
	if pending, err := migrations.Pending(ctx, db); err != nil || !pending {
		t.Fatalf("without the queue's tables: pending %v, %v; want pending", pending, err)
	}
	const instances = 4
	var wg sync.WaitGroup
	errs := make(chan error, instances)
	for range instances {
		wg.Go(func() { errs <- migrations.Up(ctx, db) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("an instance failed to migrate: %v", err)
		}
	}
	if pending, err := migrations.Pending(ctx, db); err != nil || pending {
		t.Fatalf("after migrating: pending %v, %v", pending, err)
	}
}

// Deleting a couple keeps its ledger entries, de-identified, and deleting a practice still takes
// its ledger with it; rolling 00025 back removes the erased couples' entries, which the earlier
// schema cannot hold, and leaves every other entry as it was.
func TestErasedCouplesLedgerEntriesAcrossMigration00025(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	count := func(where string, args ...any) int {
		t.Helper()
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM ledger_entries WHERE `+where, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var practice, kept, erased int64
	if err := db.GetContext(ctx, &practice, `INSERT INTO practices (name) VALUES ('Ledger practice') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for _, couple := range []*int64{&kept, &erased} {
		if err := db.GetContext(ctx, couple, `INSERT INTO couples (practice_id, label) VALUES ($1, 'Named couple') RETURNING id`,
			practice); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO ledger_entries (practice_id, couple_id, kind, amount_cents, posted_on,
			method, reference, description) VALUES ($1, $2, 'payment', -100, '2031-01-02', 'cash', 'cheque 12', 'Named couple')`,
			practice, *couple); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM couples WHERE id = $1`, erased); err != nil {
		t.Fatal(err)
	}
	if n := count(`couple_id IS NULL AND reference = '' AND description = '' AND amount_cents = -100`); n != 1 {
		t.Fatalf("de-identified entries after deleting a couple: %d, want 1", n)
	}

	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 24); err != nil {
		t.Fatal(err)
	}
	if all, left := count(`true`), count(`couple_id = $1 AND reference = 'cheque 12'`, kept); all != 1 || left != 1 {
		t.Errorf("after rolling back: %d entries, %d of them the kept couple's as recorded; want just that one", all, left)
	}
	if err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM practices WHERE id = $1`, practice); err != nil {
		t.Fatalf("deleting the practice: %v", err)
	}
	if n := count(`true`); n != 0 {
		t.Errorf("%d ledger entries left of a deleted practice", n)
	}
}
