package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/store"
)

// samplePlan is a plan complete enough to sign.
func samplePlan(problem string) map[string]any {
	return map[string]any{"content": map[string]any{
		"problems": []string{problem},
		"goals": []map[string]any{{
			"text":      "Rebuild trust through consistent openness.",
			"target_on": "2031-06-30",
			"objectives": []map[string]any{{"text": "Both partners rate trust at 6 or more on four weekly check-ins in a row.",
				"measure": "Weekly trust check-in", "target_on": "2031-04-30"}},
			"interventions": []string{"Speaker-listener practice in live sessions."},
		}},
		"review_on": "2031-03-31",
	}}
}

func planContent(problem string) store.PlanContent {
	target := "2031-04-30"
	return store.PlanContent{Problems: []string{problem}, Goals: []store.PlanGoal{{Text: "Rebuild trust.",
		Objectives: []store.PlanObjective{{Text: "Trust at 6 or more for four weeks.", TargetOn: &target}}, Interventions: []string{}}}}
}

// planDraft returns the couple's open draft of its plan, starting one when there is none.
func (w *world) planDraft(p *practice) int64 {
	w.t.Helper()
	ctx := context.Background()
	plans, err := w.store.Plans(ctx, p.ID, p.CoupleID, p.Therapist.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, plan := range plans {
		if plan.Status == store.PlanDraft {
			return plan.ID
		}
	}
	plan, err := w.store.CreatePlanDraft(ctx, p.ID, p.CoupleID, p.Therapist.ID, planContent("Broken trust after an affair."))
	if err != nil {
		w.t.Fatal(err)
	}
	return plan.ID
}

// signedPlan signs the couple's open draft (starting one if needed): it becomes the current version.
func (w *world) signedPlan(p *practice) int64 {
	w.t.Helper()
	planID := w.planDraft(p)
	if _, err := w.store.SignPlan(context.Background(), p.ID, planID, p.Therapist.ID, planReady); err != nil {
		w.t.Fatal(err)
	}
	return planID
}

// draftPlanRelation models how a fixture actor stands to a draft of Couple's plan: hidden from
// the partners.
func draftPlanRelation(p *practice, a *actor) string {
	if a == p.PartnerA || a == p.PartnerB {
		return store.RelHidden
	}
	return coupleRelation(p, a)
}

func planMatrix(couplePath pathBuilder) []matrixCase {
	plan := func(make func(*world, *practice) int64, method, suffix string, body any) func(*world, *practice) (string, string, any) {
		return func(w *world, p *practice) (string, string, any) {
			return method, "/api/v1/treatment-plans/" + id(make(w, p)) + suffix, body
		}
	}
	draft := func(w *world, p *practice) int64 { return w.planDraft(p) }
	signed := func(w *world, p *practice) int64 { return w.signedPlan(p) }
	return []matrixCase{
		{name: "draft a treatment plan", object: "treatment_plan", action: "create", success: 201,
			request: couplePath(http.MethodPost, "/treatment-plans", samplePlan("Distance since the move.")), relation: coupleRelation},
		{name: "list treatment plans", object: "treatment_plan", action: "list", success: 200,
			request: couplePath(http.MethodGet, "/treatment-plans", nil), relation: coupleRelation},
		{name: "read the current treatment plan", object: "treatment_plan", action: "read", success: 200,
			request: plan(signed, http.MethodGet, "", nil), relation: coupleRelation},
		{name: "read a draft treatment plan", object: "treatment_plan", action: "read", success: 200,
			request: plan(draft, http.MethodGet, "", nil), relation: draftPlanRelation},
		{name: "revise a draft treatment plan", object: "treatment_plan", action: "update", success: 200,
			request: plan(draft, http.MethodPut, "", samplePlan("Revised problem.")), relation: draftPlanRelation},
		{name: "sign a treatment plan", object: "treatment_plan", action: "sign", success: 200,
			request: plan(draft, http.MethodPost, "/sign", nil), relation: draftPlanRelation},
		{name: "acknowledge the current treatment plan", object: "treatment_plan", action: "acknowledge", success: 200,
			request: plan(signed, http.MethodPost, "/acknowledge", nil), relation: coupleRelation},
	}
}

// planView is a plan as the API answers it.
type planView struct {
	ID               int64             `json:"id"`
	Version          int               `json:"version"`
	Status           string            `json:"status"`
	Current          bool              `json:"current"`
	Content          store.PlanContent `json:"content"`
	SignedBy         *int64            `json:"signed_by"`
	Acknowledgements []struct {
		UserID int64 `json:"user_id"`
	} `json:"acknowledgements"`
}

func listPlans(t *testing.T, reader *actor, coupleID int64) []planView {
	t.Helper()
	var list struct {
		Plans []planView `json:"treatment_plans"`
	}
	res := reader.do(http.MethodGet, "/api/v1/couples/"+id(coupleID)+"/treatment-plans", nil)
	if res.Status != http.StatusOK {
		return nil
	}
	res.JSON(t, &list)
	return list.Plans
}

func planVersions(plans []planView) []int {
	out := []int{}
	for _, p := range plans {
		out = append(out, p.Version)
	}
	return out
}

// TestTreatmentPlanIsDraftedSignedAcknowledgedAndRevisedAsANewVersion walks a plan's life: the
// care team drafts and signs it, a signed version refuses every change, each partner acknowledges
// it, and a revision is a new version the partners see only once it is signed.
func TestTreatmentPlanIsDraftedSignedAcknowledgedAndRevisedAsANewVersion(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	plans := "/api/v1/couples/" + id(p.CoupleID) + "/treatment-plans"
	first := createdID(t, p.Therapist.do(http.MethodPost, plans, samplePlan("Broken trust after an affair.")), http.StatusCreated, "plan")
	path := "/api/v1/treatment-plans/" + id(first)

	if res := p.Therapist.do(http.MethodPost, plans, samplePlan("A second draft.")); res.Status != http.StatusConflict {
		t.Errorf("a second draft beside the first: %d %s, want 409", res.Status, res.Body)
	}
	incomplete := map[string]any{"content": map[string]any{"problems": []string{"Distance."}, "goals": []any{}}}
	if res := p.Therapist.do(http.MethodPut, path, incomplete); res.Status != http.StatusOK {
		t.Fatalf("revise the draft: %d %s", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPost, path+"/sign", nil); res.Status != http.StatusUnprocessableEntity || res.ErrorCode() != fault.Invalid {
		t.Errorf("sign a plan without goals: %d %s, want 422", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPut, path, samplePlan("Broken trust after an affair.")); res.Status != http.StatusOK {
		t.Fatalf("complete the draft: %d %s", res.Status, res.Body)
	}
	for _, reader := range []*actor{p.PartnerA, p.PartnerB} {
		if got := listPlans(t, reader, p.CoupleID); len(got) != 0 {
			t.Errorf("%s lists a draft: %v", reader.Name, planVersions(got))
		}
		if res := reader.do(http.MethodGet, path, nil); res.Status != http.StatusNotFound {
			t.Errorf("%s reads a draft: %d", reader.Name, res.Status)
		}
	}
	if res := p.PartnerA.do(http.MethodPost, path+"/acknowledge", nil); res.Status != http.StatusNotFound {
		t.Errorf("a partner acknowledges a draft: %d, want 404", res.Status)
	}

	var signed planView
	res := p.Therapist.do(http.MethodPost, path+"/sign", nil)
	res.JSON(t, &signed)
	if res.Status != http.StatusOK || signed.Status != store.PlanSigned || !signed.Current || signed.SignedBy == nil || *signed.SignedBy != p.Therapist.ID {
		t.Fatalf("sign: %d %s", res.Status, res.Body)
	}
	for _, change := range []struct {
		method, suffix string
		body           any
	}{{http.MethodPut, "", samplePlan("Rewritten after signing.")}, {http.MethodPost, "/sign", nil}} {
		if res := p.Therapist.do(change.method, path+change.suffix, change.body); res.Status != http.StatusConflict {
			t.Errorf("%s %s on a signed plan: %d %s, want 409", change.method, change.suffix, res.Status, res.Body)
		}
	}
	if _, err := w.store.DB().Exec(`UPDATE treatment_plans SET content = '{}' WHERE id = $1`, first); err == nil {
		t.Error("the database let a signed plan change")
	}

	for _, partner := range []*actor{p.PartnerA, p.PartnerB, p.PartnerA} {
		if res := partner.do(http.MethodPost, path+"/acknowledge", nil); res.Status != http.StatusOK {
			t.Fatalf("%s acknowledges: %d %s", partner.Name, res.Status, res.Body)
		}
	}
	if res := p.Therapist.do(http.MethodPost, path+"/acknowledge", nil); res.Status != http.StatusForbidden {
		t.Errorf("the therapist acknowledges for the couple: %d, want 403", res.Status)
	}
	var acknowledged planView
	p.PartnerB.do(http.MethodGet, path, nil).JSON(t, &acknowledged)
	if len(acknowledged.Acknowledgements) != 2 {
		t.Errorf("acknowledgements %+v, want one per partner", acknowledged.Acknowledgements)
	}

	// A revision is a new version; the partners keep reading the signed one until it is signed.
	second := createdID(t, p.Therapist.do(http.MethodPost, plans, samplePlan("Broken trust; now also money worries.")), http.StatusCreated, "revision")
	for _, tc := range []struct {
		reader *actor
		want   []int
	}{
		{p.Therapist, []int{2, 1}},
		{p.PartnerA, []int{1}},
		{p.PartnerB, []int{1}},
		{p.OtherTherapist, nil},
		{p.Admin, nil},
		{p.OtherPartner, nil},
		{w.B.Therapist, nil},
	} {
		if got := planVersions(listPlans(t, tc.reader, p.CoupleID)); !equalInts(got, tc.want) && (len(got) != 0 || tc.want != nil) {
			t.Errorf("%s lists versions %v, want %v", tc.reader.Name, got, tc.want)
		}
	}
	if res := p.Therapist.do(http.MethodPost, "/api/v1/treatment-plans/"+id(second)+"/sign", nil); res.Status != http.StatusOK {
		t.Fatalf("sign the revision: %d %s", res.Status, res.Body)
	}
	for _, partner := range []*actor{p.PartnerA, p.PartnerB} {
		got := listPlans(t, partner, p.CoupleID)
		if len(got) != 1 || got[0].Version != 2 || len(got[0].Acknowledgements) != 0 {
			t.Errorf("%s lists %+v, want only version 2, not yet acknowledged", partner.Name, got)
		}
		if res := partner.do(http.MethodGet, path, nil); res.Status != http.StatusNotFound {
			t.Errorf("%s reads the superseded version: %d, want 404", partner.Name, res.Status)
		}
		if res := partner.do(http.MethodPost, path+"/acknowledge", nil); res.Status != http.StatusNotFound {
			t.Errorf("%s acknowledges the superseded version: %d, want 404", partner.Name, res.Status)
		}
	}
	var old planView
	p.Therapist.do(http.MethodGet, path, nil).JSON(t, &old)
	if old.Current || old.Content.Problems[0] != "Broken trust after an affair." || len(old.Acknowledgements) != 2 {
		t.Errorf("the superseded version changed: %+v", old)
	}
}

func TestTreatmentPlanValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	plans := "/api/v1/couples/" + id(w.A.CoupleID) + "/treatment-plans"
	long := make([]byte, 2001)
	for i := range long {
		long[i] = 'x'
	}
	for _, tc := range []struct {
		name  string
		body  any
		field string
	}{
		{"no content", map[string]any{}, "content"},
		{"a review date that is no date", map[string]any{"content": map[string]any{"problems": []string{"x"}, "review_on": "next spring"}}, "review_on"},
		{"a goal without words", map[string]any{"content": map[string]any{"goals": []map[string]any{{"text": ""}}}}, "text"},
		{"an objective's target that is no date", map[string]any{"content": map[string]any{"goals": []map[string]any{{"text": "Trust.",
			"objectives": []map[string]any{{"text": "Check in.", "target_on": "31/12/2031"}}}}}}, "target_on"},
		{"a problem too long", map[string]any{"content": map[string]any{"problems": []string{string(long)}}}, "problems[0]"},
	} {
		res := w.A.Therapist.doInvalid(http.MethodPost, plans, tc.body)
		var body struct {
			Error errorBody `json:"error"`
		}
		res.JSON(t, &body)
		if res.Status != http.StatusUnprocessableEntity || body.Error.Field != tc.field {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.name, res.Status, res.Body, tc.field)
		}
	}
}
