// Package demo loads a small, believable practice for trying Amend out: an administrator, two
// therapists and three couples at different points of their work.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/store"
)

// Password is every demo account's password. Demo data is for trying Amend on one's own machine.
const Password = "amend-demo-password"

// Login is one demo account to print for the person trying Amend.
type Login struct {
	Role  string
	Name  string
	Email string
}

// PracticeName names the demo practice.
const PracticeName = "Harbor Light Counseling"

type person struct{ email, name string }

var (
	admin      = person{"admin@demo.amend.test", "Dana Whitfield"}
	therapist1 = person{"maya@demo.amend.test", "Maya Okafor"}
	therapist2 = person{"leo@demo.amend.test", "Leo Brandt"}
	frontDesk  = person{"desk@demo.amend.test", "Robin Hale"}
)

type demoCouple struct {
	label    string
	status   string
	concerns []string
	a, b     person
	team     []int // indexes into the therapists
}

var couples = []demoCouple{
	{"Rivera & Chen", "active", []string{"infidelity", "hiding_information"},
		person{"sam.rivera@demo.amend.test", "Sam Rivera"}, person{"alex.chen@demo.amend.test", "Alex Chen"}, []int{0}},
	{"Novak & Adeyemi", "active", []string{"broken_promises", "going_back_on_word", "absent_when_needed"},
		person{"jordan.novak@demo.amend.test", "Jordan Novak"}, person{"tayo.adeyemi@demo.amend.test", "Tayo Adeyemi"}, []int{0, 1}},
	{"Lindqvist & Moreau", "paused", []string{"lying", "emotional_withholding"},
		person{"erik.lindqvist@demo.amend.test", "Erik Lindqvist"}, person{"claire.moreau@demo.amend.test", "Claire Moreau"}, []int{1}},
}

// Logins lists the demo accounts: the administrator, the front desk, the therapists, then each
// couple's partners.
func Logins() []Login {
	logins := []Login{{"admin", admin.name, admin.email}, {"front_desk", frontDesk.name, frontDesk.email}}
	for _, t := range []person{therapist1, therapist2} {
		logins = append(logins, Login{"therapist", t.name, t.email})
	}
	for _, c := range couples {
		logins = append(logins, Login{"partner", c.a.name, c.a.email}, Login{"partner", c.b.name, c.b.email})
	}
	return logins
}

// Loaded reports whether the demo practice is in the database, by its administrator's account.
func Loaded(ctx context.Context, st *store.Store) (bool, error) {
	_, err := st.UserByEmail(ctx, admin.email)
	if fault.ErrorCode(err) == fault.NotFound {
		return false, nil
	}
	return err == nil, err
}

// Load creates the demo practice and returns its logins. hash is the hashed demo password.
func Load(ctx context.Context, st *store.Store, hash string) ([]Login, error) {
	practiceID, _, _, err := st.Bootstrap(ctx, PracticeName, admin.email, hash)
	if err != nil {
		return nil, fmt.Errorf("demo practice: %w", err)
	}
	if _, err := st.AddMember(ctx, practiceID, admin.email, admin.name, hash, store.RoleAdmin); err != nil {
		return nil, err
	}
	if _, err := st.AddMember(ctx, practiceID, frontDesk.email, frontDesk.name, hash, store.RoleFrontDesk); err != nil {
		return nil, fmt.Errorf("demo front desk: %w", err)
	}
	var therapists []int64
	for _, t := range []person{therapist1, therapist2} {
		id, err := st.AddMember(ctx, practiceID, t.email, t.name, hash, store.RoleTherapist)
		if err != nil {
			return nil, fmt.Errorf("demo therapist: %w", err)
		}
		therapists = append(therapists, id)
	}
	for _, c := range couples {
		team := make([]int64, len(c.team))
		for i, idx := range c.team {
			team[i] = therapists[idx]
		}
		coupleID, err := st.CreateCouple(ctx, store.NewCouple{PracticeID: practiceID, Label: c.label, Status: c.status,
			Concerns: c.concerns, CreatedBy: team[0], Therapists: team})
		if err != nil {
			return nil, fmt.Errorf("demo couple: %w", err)
		}
		for seat, p := range map[string]person{"a": c.a, "b": c.b} {
			userID, err := st.AddMember(ctx, practiceID, p.email, p.name, hash, store.RoleClient)
			if err != nil {
				return nil, err
			}
			if err := st.SeatPartner(ctx, practiceID, coupleID, userID, seat); err != nil {
				return nil, fmt.Errorf("demo partner: %w", err)
			}
		}
	}
	if err := loadCoupleWork(ctx, st, practiceID, time.Now()); err != nil {
		return nil, fmt.Errorf("demo couple work: %w", err)
	}
	if err := loadTracking(ctx, st, practiceID); err != nil {
		return nil, fmt.Errorf("demo tracking: %w", err)
	}
	if err := loadRecords(ctx, st, practiceID); err != nil {
		return nil, fmt.Errorf("demo records: %w", err)
	}
	if err := loadLive(ctx, st, practiceID, time.Now()); err != nil {
		return nil, fmt.Errorf("demo live session: %w", err)
	}
	return Logins(), nil
}
