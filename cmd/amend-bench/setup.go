package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"

	"github.com/amendcare/amend/server/demo"
	"github.com/amendcare/amend/server/localpg"
	"github.com/amendcare/amend/server/store"
)

// fixture is what the load runs on: a therapist with a caseload of couples, each with its own two
// partners and an exercise assigned to partner a, and live sessions the therapist chairs, created
// through the API like a practice would.
type fixture struct {
	practiceID int64
	therapist  string // token
	couples    []benchCouple
	sessions   []liveSession
}

// benchCouple is one couple of the caseload.
type benchCouple struct {
	id         int64
	partnerA   string // tokens
	partnerB   string
	assignment int64 // partner a's
}

// liveSession is a live session and the couple (an index into fixture.couples) it belongs to.
type liveSession struct {
	id     int64
	couple int
}

const benchPassword = "bench-password-for-load"

// setUp signs in as the practice administrator, invites a therapist, creates nCouples couples on
// the therapist's caseload with two invited partners each, and nSessions live sessions spread
// over the first liveCouples couples.
func setUp(ctx context.Context, root *api, adminEmail, adminPassword, mode string, nCouples, liveCouples, nSessions int) (*fixture, error) {
	admin, err := root.login(ctx, adminEmail, adminPassword)
	if err != nil {
		return nil, fmt.Errorf("sign in as %s: %w", adminEmail, err)
	}
	f := &fixture{}
	for _, m := range admin.Memberships {
		if m.Role == "admin" {
			f.practiceID = m.PracticeID
		}
	}
	if f.practiceID == 0 {
		return nil, fmt.Errorf("%s is no administrator", adminEmail)
	}
	asAdmin := root.as(admin.Token)
	run := rand.Uint32()
	therapistEmail := fmt.Sprintf("bench-%d-therapist@bench.amend.test", run)
	var inv struct{ Token string }
	if err := asAdmin.call(ctx, http.MethodPost, fmt.Sprintf("/practices/%d/invites", f.practiceID),
		map[string]string{"email": therapistEmail, "role": "therapist"}, &inv); err != nil {
		return nil, fmt.Errorf("invite therapist: %w", err)
	}
	if f.therapist, err = accept(ctx, root, inv.Token, "Bench Therapist"); err != nil {
		return nil, err
	}
	asTherapist := root.as(f.therapist)
	var exercises struct {
		Exercises []struct{ ID int64 } `json:"exercises"`
	}
	if err := asTherapist.call(ctx, http.MethodGet, fmt.Sprintf("/practices/%d/exercises", f.practiceID), nil, &exercises); err != nil || len(exercises.Exercises) == 0 {
		return nil, fmt.Errorf("exercise library: %v", err)
	}
	f.couples = make([]benchCouple, nCouples)
	err = parallel(nCouples, 4, func(i int) error {
		c, err := addCouple(ctx, root, asTherapist, f.practiceID, exercises.Exercises[0].ID, fmt.Sprintf("%d-%d", run, i))
		f.couples[i] = c
		return err
	})
	if err != nil {
		return nil, err
	}
	f.sessions = make([]liveSession, nSessions)
	err = parallel(nSessions, 8, func(i int) error {
		couple := i % max(1, min(liveCouples, nCouples))
		var s struct{ ID int64 }
		if err := asTherapist.call(ctx, http.MethodPost, fmt.Sprintf("/couples/%d/live-sessions", f.couples[couple].id),
			map[string]any{"mode": mode, "turn_seconds": 3600, "show_drafts": true}, &s); err != nil {
			return fmt.Errorf("create live session: %w", err)
		}
		f.sessions[i] = liveSession{id: s.ID, couple: couple}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// addCouple opens a couple's file as the therapist, invites both partners (who accept), and
// assigns partner a the first exercise of the library.
func addCouple(ctx context.Context, root, asTherapist *api, practiceID, exerciseID int64, name string) (benchCouple, error) {
	var c benchCouple
	var couple struct{ ID int64 }
	if err := asTherapist.call(ctx, http.MethodPost, fmt.Sprintf("/practices/%d/couples", practiceID),
		map[string]any{"label": "Bench couple " + name, "concerns": []string{"broken_promises"}}, &couple); err != nil {
		return c, fmt.Errorf("create couple: %w", err)
	}
	c.id = couple.ID
	for _, seat := range []string{"a", "b"} {
		var invite struct{ Token string }
		if err := asTherapist.call(ctx, http.MethodPost, fmt.Sprintf("/couples/%d/invites", couple.ID),
			map[string]string{"seat": seat, "email": fmt.Sprintf("bench-%s-partner-%s@bench.amend.test", name, seat)}, &invite); err != nil {
			return c, fmt.Errorf("invite partner: %w", err)
		}
		token, err := accept(ctx, root, invite.Token, "Bench Partner "+seat)
		if err != nil {
			return c, err
		}
		if seat == "a" {
			c.partnerA = token
		} else {
			c.partnerB = token
		}
	}
	var created struct {
		Assignments []struct{ ID int64 } `json:"assignments"`
	}
	if err := asTherapist.call(ctx, http.MethodPost, fmt.Sprintf("/couples/%d/assignments", couple.ID),
		map[string]any{"exercise_id": exerciseID, "for": "a"}, &created); err != nil || len(created.Assignments) == 0 {
		return c, fmt.Errorf("assign exercise: %v", err)
	}
	c.assignment = created.Assignments[0].ID
	return c, nil
}

// parallel runs work(0..n-1) on at most workers goroutines and returns the first error.
func parallel(n, workers int, work func(i int) error) error {
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := work(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

// accept takes an invite for a new account with the bench password and returns its session token.
func accept(ctx context.Context, root *api, token, name string) (string, error) {
	var s sessionBody
	if err := root.call(ctx, http.MethodPost, "/invites/"+token+"/accept",
		map[string]string{"name": name, "password": benchPassword}, &s); err != nil {
		return "", fmt.Errorf("accept invite: %w", err)
	}
	return s.Token, nil
}

// addHistory gives every couple of the fixture days of past check-ins from both partners,
// written straight into the server's database: the API only takes today's check-in.
func addHistory(ctx context.Context, dsn, dataDir string, fix *fixture, days int) (int64, error) {
	if dsn == "" {
		if dataDir == "" {
			return 0, errors.New("a history of check-ins is written into the server's database: " +
				"pass --database-url, or --data-dir of the server's embedded database (or --history-days 0)")
		}
		cluster, err := localpg.Start(ctx, dataDir, nil)
		if err != nil {
			return 0, err
		}
		defer cluster.Stop()
		if cluster.Owned() {
			return 0, fmt.Errorf("no server runs a database under %s; start Amend with --data-dir %[1]s first", dataDir)
		}
		dsn = cluster.DSN("amend")
	}
	db, err := store.Open(ctx, dsn, 2)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ids := make([]int64, len(fix.couples))
	for i, c := range fix.couples {
		ids[i] = c.id
	}
	added, err := demo.CheckinHistory(ctx, store.New(db), fix.practiceID, ids, days)
	if err == nil && added == 0 && days > 1 {
		err = errors.New("no check-ins were added: is that the database of the server under --url?")
	}
	return added, err
}
