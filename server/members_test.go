package server

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/amendcare/amend/server/store"
)

func TestDisablingAMemberEndsTheirSessionsAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var disabled []int64
	w.api.OnDisable(func(_, userID int64) { disabled = append(disabled, userID) })
	target := w.A.OtherTherapist
	path := "/api/v1/practices/" + id(w.A.ID) + "/members/" + id(target.ID)
	res := w.A.Admin.do(http.MethodPatch, path, map[string]any{"disabled": true})
	if res.Status != 200 {
		t.Fatalf("disable: %d %s", res.Status, res.Body)
	}
	var m store.Member
	res.JSON(t, &m)
	if !m.Disabled {
		t.Fatalf("member not shown disabled: %+v", m)
	}
	if res := target.do(http.MethodGet, "/api/v1/me", nil); res.Status != 401 {
		t.Errorf("disabled member's session still works: %d", res.Status)
	}
	if res := login(w, target.Email, testPassword, nil); res.Status != 401 {
		t.Errorf("disabled member can sign in: %d", res.Status)
	}
	if len(disabled) != 1 || disabled[0] != target.ID {
		t.Errorf("live connections were not told: %v", disabled)
	}
	if res := w.A.Admin.do(http.MethodPatch, path, map[string]any{"disabled": false}); res.Status != 200 {
		t.Fatalf("enable: %d", res.Status)
	}
	if res := login(w, target.Email, testPassword, nil); res.Status != 200 {
		t.Errorf("re-enabled member cannot sign in: %d", res.Status)
	}
}

func TestMemberRoles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	base := "/api/v1/practices/" + id(w.A.ID) + "/members/"
	res := w.A.Admin.do(http.MethodPatch, base+id(w.A.Therapist.ID), map[string]any{"roles": []string{"therapist", "admin"}})
	var m store.Member
	res.JSON(t, &m)
	if res.Status != 200 || len(m.Roles) != 2 {
		t.Fatalf("grant admin: %d %s", res.Status, res.Body)
	}
	// The therapist, now also an administrator, may read the audit log.
	if res := w.A.Therapist.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit", nil); res.Status != 200 {
		t.Errorf("new admin reads audit: %d", res.Status)
	}
	for _, tc := range []struct {
		name   string
		target int64
		body   any
		status int
	}{
		{"client roles are set by the couple", w.A.PartnerA.ID, map[string]any{"roles": []string{"therapist"}}, 409},
		{"unknown role", w.A.OtherTherapist.ID, map[string]any{"roles": []string{"owner"}}, 422},
		{"empty roles", w.A.OtherTherapist.ID, map[string]any{"roles": []string{}}, 422},
		{"nothing to change", w.A.OtherTherapist.ID, map[string]any{}, 422},
		{"admin may not change themselves", w.A.Admin.ID, map[string]any{"disabled": true}, 403},
		{"practice B's member", w.B.Therapist.ID, map[string]any{"roles": []string{"admin"}}, 404},
	} {
		if res := w.A.Admin.doExpecting(tc.status, http.MethodPatch, base+id(tc.target), tc.body); res.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, res.Status, res.Body, tc.status)
		}
	}
	// Taking admin away from the only other admin leaves one: allowed; then the last one stays.
	if res := w.A.Admin.do(http.MethodPatch, base+id(w.A.Therapist.ID), map[string]any{"roles": []string{"therapist"}}); res.Status != 200 {
		t.Errorf("remove admin role: %d %s", res.Status, res.Body)
	}
	if res := w.A.Therapist.do(http.MethodGet, "/api/v1/practices/"+id(w.A.ID)+"/audit", nil); res.Status != 404 {
		t.Errorf("former admin still reads audit: %d", res.Status)
	}
}

func TestAPracticeKeepsAnAdministrator(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if err := w.store.SetMemberDisabled(t.Context(), w.A.ID, w.A.Admin.ID, true); err == nil {
		t.Fatal("the only administrator was disabled")
	}
	if err := w.store.SetStaffRoles(t.Context(), w.A.ID, w.A.Admin.ID, []string{"therapist"}); err == nil {
		t.Fatal("the only administrator lost the role")
	}
}

func TestTherapistsSeeTheirOwnClientsAndEveryColleague(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	staff := []int64{p.Admin.ID, p.Therapist.ID, p.OtherTherapist.ID, p.FrontDesk.ID}
	for _, tc := range []struct {
		name    string
		caller  *actor
		status  int
		clients []int64 // the clients listed; staff are listed to every caller who may list
	}{
		{"administrator", p.Admin, http.StatusOK, []int64{p.PartnerA.ID, p.PartnerB.ID, p.OtherPartner.ID}},
		{"therapist of Couple", p.Therapist, http.StatusOK, []int64{p.PartnerA.ID, p.PartnerB.ID}},
		{"therapist of the other couple", p.OtherTherapist, http.StatusOK, []int64{p.OtherPartner.ID}},
		{"therapist of another practice", w.B.Therapist, http.StatusNotFound, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.caller.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/members", nil)
			if res.Status != tc.status {
				t.Fatalf("list: %d %s", res.Status, res.Body)
			}
			if tc.status != http.StatusOK {
				return
			}
			var body struct{ Members []store.Member }
			res.JSON(t, &body)
			var listed []int64
			for _, m := range body.Members {
				listed = append(listed, m.UserID)
			}
			want := append(slices.Clone(staff), tc.clients...)
			slices.Sort(listed)
			slices.Sort(want)
			if !slices.Equal(listed, want) {
				t.Errorf("listed %v, want %v", listed, want)
			}
			for _, client := range []*actor{p.PartnerA, p.PartnerB, p.OtherPartner} {
				wantStatus := http.StatusNotFound
				if slices.Contains(tc.clients, client.ID) {
					wantStatus = http.StatusOK
				}
				if res := tc.caller.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/members/"+id(client.ID), nil); res.Status != wantStatus {
					t.Errorf("read %s: %d %s, want %d", client.Name, res.Status, res.Body, wantStatus)
				}
			}
		})
	}
}

func TestDisablingAMembershipLeavesTheAccountsOtherPractices(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	type disabled struct{ practice, user int64 }
	var told []disabled
	w.api.OnDisable(func(practiceID, userID int64) { told = append(told, disabled{practiceID, userID}) })
	// Practice B's therapist works in practice A too; practice A disables them.
	target := w.B.Therapist
	if _, err := w.store.AddMember(context.Background(), w.A.ID, target.Email, target.Name, "", store.RoleTherapist); err != nil {
		t.Fatal(err)
	}
	if res := w.A.Admin.do(http.MethodPatch, "/api/v1/practices/"+id(w.A.ID)+"/members/"+id(target.ID), map[string]any{"disabled": true}); res.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		name   string
		path   string
		status int
	}{
		{"their account", "/api/v1/me", http.StatusOK},
		{"practice B, where they are still a member", "/api/v1/practices/" + id(w.B.ID) + "/members", http.StatusOK},
		{"practice A, which disabled them", "/api/v1/practices/" + id(w.A.ID) + "/members", http.StatusNotFound},
		{"a couple of practice A", "/api/v1/couples/" + id(w.A.CoupleID), http.StatusNotFound},
	} {
		if res := target.do(http.MethodGet, tc.path, nil); res.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, res.Status, res.Body, tc.status)
		}
	}
	if len(told) != 1 || told[0] != (disabled{w.A.ID, target.ID}) {
		t.Errorf("live connections were told %v, want only practice A's", told)
	}
}
