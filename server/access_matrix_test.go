package server

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// matrixCase is one endpoint under the access matrix: the object and action it asks the policy
// about, the request (built afresh for each caller, so changes do not leak between callers), and
// the test's own model of how each caller stands to the object.
type matrixCase struct {
	name    string
	object  policy.Object
	action  policy.Action
	success int
	// request builds the request against practice p's object; it may create what it needs.
	request func(w *world, p *practice) (method, path string, body any)
	// relation is how actor a of practice p stands to the object (never hidden or none here).
	relation func(p *practice, a *actor) string
}

// matrixSources lists every resource's cases; each resource's test file contributes one.
var matrixSources = []func() []matrixCase{foundationMatrix, couplesMatrix, trackingMatrix, liveMatrix, mailMatrix, twoFactorMatrix,
	schedulingMatrix, billingMatrix, formsMatrix}

func everyone(rel string) func(*practice, *actor) string {
	return func(*practice, *actor) string { return rel }
}

// coupleRelation models how a fixture actor stands to practice p's Couple.
func coupleRelation(p *practice, a *actor) string {
	switch a {
	case p.Therapist:
		return store.RelCareTeam
	case p.PartnerA, p.PartnerB:
		return store.RelCouple
	}
	return store.RelPractice
}

func foundationMatrix() []matrixCase {
	practicePath := func(suffix string) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return http.MethodGet, "/api/v1/practices/" + id(p.ID) + suffix, nil
		}
	}
	return []matrixCase{
		{name: "read practice", object: "practice", action: "read", success: 200,
			request: practicePath(""), relation: everyone(store.RelPractice)},
		{name: "list members", object: "member", action: "list", success: 200,
			request: practicePath("/members"), relation: everyone(store.RelPractice)},
		{name: "read a colleague", object: "member", action: "read", success: 200,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodGet, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.OtherTherapist.ID), nil
			},
			relation: func(p *practice, a *actor) string {
				if a == p.OtherTherapist {
					return store.RelSelf
				}
				return store.RelPractice
			}},
		{name: "read a client", object: "client", action: "read", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				// A client of a new couple on the therapist's caseload: no fixture actor is them.
				couple := w.couple(p.ID, fmt.Sprintf("Couple %d", w.counter()), p.Therapist.ID)
				client := w.partner(p.ID, couple, "a", "client", fmt.Sprintf("client%d@%d.test", w.counter(), p.ID))
				return http.MethodGet, "/api/v1/practices/" + id(p.ID) + "/members/" + id(client.ID), nil
			},
			relation: func(p *practice, a *actor) string {
				if a == p.Therapist {
					return store.RelCareTeam
				}
				return store.RelPractice
			}},
		{name: "read own membership", object: "member", action: "read", success: 200,
			request: nil, relation: everyone(store.RelSelf)},
		{name: "change a therapist's roles", object: "member", action: "update", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				target := w.member(p.ID, "target", fmt.Sprintf("target%d@%d.test", w.counter(), p.ID), store.RoleTherapist)
				return http.MethodPatch, "/api/v1/practices/" + id(p.ID) + "/members/" + id(target.ID), map[string]any{"roles": []string{"therapist"}}
			}, relation: everyone(store.RelPractice)},
		{name: "invite a therapist", object: "invite", action: "create", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/practices/" + id(p.ID) + "/invites",
					map[string]any{"email": fmt.Sprintf("new%d@x.test", w.counter()), "role": "therapist"}
			}, relation: everyone(store.RelPractice)},
		{name: "list invites", object: "invite", action: "list", success: 200,
			request: practicePath("/invites"), relation: everyone(store.RelPractice)},
		{name: "revoke an invite", object: "invite", action: "revoke", success: 204,
			request: func(w *world, p *practice) (string, string, any) {
				inv := w.invite(p, "therapist")
				return http.MethodDelete, "/api/v1/practices/" + id(p.ID) + "/invites/" + id(inv), nil
			}, relation: everyone(store.RelPractice)},
		{name: "read the audit log", object: "audit_log", action: "list", success: 200,
			request: practicePath("/audit"), relation: everyone(store.RelPractice)},
		{name: "read the access policy", object: "policy", action: "read", success: 200,
			request: practicePath("/policy"), relation: everyone(store.RelPractice)},
	}
}

// TestAccessMatrix walks every endpoint with every member of both practices against practice
// A's objects and checks each answer against the policy table: allowed cells succeed, denied
// cells answer 403 where the caller may read the object and 404 where they may not know it,
// and practice B's members get 404 for everything. Every line of policy.csv must be exercised.
func TestAccessMatrix(t *testing.T) {
	var mu sync.Mutex
	used := map[policy.Rule]bool{}
	t.Run("cells", func(t *testing.T) {
		for _, source := range matrixSources {
			for _, mc := range source() {
				t.Run(mc.name, func(t *testing.T) {
					t.Parallel()
					w := newWorld(t)
					callers := append(w.A.cast(), w.B.cast()...)
					for _, caller := range callers {
						method, path, body := mc.build(w, w.A, caller)
						res := caller.do(method, path, body)
						want, allowed := mc.expect(w, w.A, caller)
						if allowed {
							mu.Lock()
							used[policy.Rule{Role: caller.Role, Relation: mc.relation(w.A, caller), Object: string(mc.object), Action: string(mc.action)}] = true
							mu.Unlock()
						}
						if res.Status != want {
							t.Errorf("%s (%s) %s %s: got %d %s, want %d", caller.Name, caller.Role, method, path, res.Status, res.Body, want)
						}
					}
				})
			}
		}
	})
	authz, err := policy.Load(policy.DefaultPolicy(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range authz.Rules() {
		if !used[rule] {
			t.Errorf("policy line %v is not exercised by any allowed request in the matrix", rule)
		}
	}
}

// expect is the status the case's request against practice p's object answers caller, and
// whether the policy allows it: the case's success where it does; where it does not, 403 if the
// caller may read the object and 404 if they may not know it, as for everyone of another practice.
func (mc matrixCase) expect(w *world, p *practice, caller *actor) (int, bool) {
	if !inPractice(p, caller) {
		return http.StatusNotFound, false
	}
	rel := mc.relation(p, caller)
	switch {
	case w.policy.Allowed([]string{caller.Role}, rel, mc.object, mc.action):
		return mc.success, true
	case mc.action != "read" && mc.action != "list" && w.policy.Allowed([]string{caller.Role}, rel, mc.object, policy.Read):
		return http.StatusForbidden, false
	}
	return http.StatusNotFound, false
}

// build makes the case's request for caller; a case without a request reads the caller's own
// membership (the "self" cells).
func (mc matrixCase) build(w *world, p *practice, caller *actor) (string, string, any) {
	if mc.request == nil {
		return http.MethodGet, "/api/v1/practices/" + id(p.ID) + "/members/" + id(caller.ID), nil
	}
	return mc.request(w, p)
}

func inPractice(p *practice, a *actor) bool { return indexOf(p.cast(), a) >= 0 }

func indexOf(list []*actor, a *actor) int {
	for i, x := range list {
		if x == a {
			return i
		}
	}
	return -1
}
