package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
)

// fixture is what the load runs on: a therapist chairing every session and two partners who
// take seats a and b in every couple, created through the API like a practice would.
type fixture struct {
	practiceID  int64
	therapist   string // tokens
	partnerA    string
	partnerB    string
	couples     []int64
	assignments []int64 // one per couple, for partner a
	sessions    []int64
}

const benchPassword = "bench-password-for-load"

// setUp signs in as the practice administrator, invites a therapist and two partners, creates
// couples and live sessions, and returns their ids and tokens.
func setUp(ctx context.Context, root *api, adminEmail, adminPassword, mode string, nCouples, nSessions int) (*fixture, error) {
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
	for i := range nCouples {
		var couple struct{ ID int64 }
		if err := asTherapist.call(ctx, http.MethodPost, fmt.Sprintf("/practices/%d/couples", f.practiceID),
			map[string]any{"label": fmt.Sprintf("Bench couple %d-%d", run, i), "concerns": []string{"broken_promises"}}, &couple); err != nil {
			return nil, fmt.Errorf("create couple: %w", err)
		}
		f.couples = append(f.couples, couple.ID)
		for _, seat := range []string{"a", "b"} {
			var pinv struct{ Token string }
			if err := asTherapist.call(ctx, http.MethodPost, fmt.Sprintf("/couples/%d/invites", couple.ID),
				map[string]string{"seat": seat, "email": fmt.Sprintf("bench-%d-partner-%s@bench.amend.test", run, seat)}, &pinv); err != nil {
				return nil, fmt.Errorf("invite partner: %w", err)
			}
			token, err := accept(ctx, root, pinv.Token, "Bench Partner "+seat)
			if err != nil {
				return nil, err
			}
			if seat == "a" {
				f.partnerA = token
			} else {
				f.partnerB = token
			}
		}
		var created struct {
			Assignments []struct{ ID int64 } `json:"assignments"`
		}
		if err := asTherapist.call(ctx, http.MethodPost, fmt.Sprintf("/couples/%d/assignments", couple.ID),
			map[string]any{"exercise_id": exercises.Exercises[0].ID, "for": "a"}, &created); err != nil || len(created.Assignments) == 0 {
			return nil, fmt.Errorf("assign exercise: %v", err)
		}
		f.assignments = append(f.assignments, created.Assignments[0].ID)
	}
	ids := make([]int64, nSessions)
	errs := make(chan error, nSessions)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var s struct{ ID int64 }
				if err := asTherapist.call(ctx, http.MethodPost, fmt.Sprintf("/couples/%d/live-sessions", f.couples[i%len(f.couples)]),
					map[string]any{"mode": mode, "turn_seconds": 3600}, &s); err != nil {
					errs <- fmt.Errorf("create live session: %w", err)
					return
				}
				ids[i] = s.ID
			}
		}()
	}
	for i := range nSessions {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	f.sessions = ids
	return f, nil
}

// accept takes an invite with the bench password (the account's own, if it exists already).
func accept(ctx context.Context, root *api, token, name string) (string, error) {
	var s sessionBody
	if err := root.call(ctx, http.MethodPost, "/invites/"+token+"/accept",
		map[string]string{"name": name, "password": benchPassword}, &s); err != nil {
		return "", fmt.Errorf("accept invite: %w", err)
	}
	return s.Token, nil
}
