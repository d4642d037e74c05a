package realtime

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestMediaLeaseGoesToOneInstanceAtATimeAndPassesOnlyWhenItLapses(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	ctx := context.Background()
	session := w.session
	x := mediaLeases{db: w.db, instance: "x", ttl: time.Minute}
	y := mediaLeases{db: w.db, instance: "y", ttl: time.Minute}
	lapse := func() {
		if _, err := w.db.ExecContext(ctx, `UPDATE media_leases SET expires_at = now() - interval '1 second'`); err != nil {
			t.Fatal(err)
		}
	}
	release := func() {
		if err := y.release(ctx, []int64{session}); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		name   string
		before func()
		taker  mediaLeases
		holder string
		// lost: the instances whose renewal finds they no longer hold the lease.
		lost []string
	}{
		{"a free lease goes to the first who asks", nil, x, "x", []string{"y"}},
		{"a held lease stays with its holder when another asks", nil, y, "x", []string{"y"}},
		{"the holder asking again keeps it", nil, x, "x", []string{"y"}},
		{"a lapsed lease goes to the next who asks", lapse, y, "y", []string{"x"}},
		{"the old holder cannot take it back while it stands", nil, x, "y", []string{"x"}},
		{"a released lease is free at once", release, x, "x", []string{"y"}},
	} {
		t.Run(step.name, func(t *testing.T) {
			if step.before != nil {
				step.before()
			}
			holder, err := step.taker.take(ctx, session)
			if err != nil {
				t.Fatal(err)
			}
			if holder != step.holder {
				t.Fatalf("holder %q, want %q", holder, step.holder)
			}
			var lost []string
			for _, l := range []mediaLeases{x, y} {
				gone, err := l.renew(ctx, []int64{session})
				if err != nil {
					t.Fatal(err)
				}
				if len(gone) > 0 {
					lost = append(lost, l.instance)
				}
			}
			if !slices.Equal(lost, step.lost) {
				t.Fatalf("lost by %v, want %v", lost, step.lost)
			}
			stale, err := x.lapsed(ctx, []mediaHolding{{session, "x"}, {session, "y"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(stale) != 1 || stale[0].holder == step.holder {
				t.Fatalf("lapsed holdings %v with %s holding", stale, step.holder)
			}
		})
	}
}

func TestMediaLeaseTakenAtOnceByManyGoesToExactlyOne(t *testing.T) {
	t.Parallel()
	w := newCommitWorld(t)
	instances := []string{"p", "q", "r", "s", "t", "u"}
	holders := make([]string, len(instances))
	var wg sync.WaitGroup
	for i, name := range instances {
		wg.Go(func() {
			holder, err := mediaLeases{db: w.db, instance: name, ttl: time.Minute}.take(context.Background(), w.session)
			if err != nil {
				t.Error(err)
			}
			holders[i] = holder
		})
	}
	wg.Wait()
	for _, h := range holders {
		if h != holders[0] || h == "" {
			t.Fatalf("instances were told different holders: %v", holders)
		}
	}
}
