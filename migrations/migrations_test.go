package migrations_test

import (
	"context"
	"os"
	"sync"
	"testing"

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
