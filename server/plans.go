package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// planReady accepts a plan for signing: it names at least one problem and one goal, and each
// goal at least one measurable objective.
func planReady(content store.PlanContent) error {
	if len(content.Problems) == 0 {
		return fault.InvalidField("content.problems", "must name at least one problem before the plan is signed")
	}
	if len(content.Goals) == 0 {
		return fault.InvalidField("content.goals", "must name at least one goal before the plan is signed")
	}
	for _, g := range content.Goals {
		if len(g.Objectives) == 0 {
			return fault.InvalidField("content.goals.objectives", "must give each goal at least one measurable objective before the plan is signed")
		}
	}
	return nil
}

// tidyPlan trims the plan's texts and makes its empty lists lists, so it reads back as written.
func tidyPlan(content store.PlanContent) store.PlanContent {
	trim := func(list []string) []string {
		out := make([]string, len(list))
		for i, text := range list {
			out[i] = strings.TrimSpace(text)
		}
		return out
	}
	content.Problems = trim(content.Problems)
	if content.Goals == nil {
		content.Goals = []store.PlanGoal{}
	}
	for i, g := range content.Goals {
		g.Text = strings.TrimSpace(g.Text)
		g.Interventions = trim(g.Interventions)
		if g.Objectives == nil {
			g.Objectives = []store.PlanObjective{}
		}
		for j, o := range g.Objectives {
			o.Text, o.Measure = strings.TrimSpace(o.Text), strings.TrimSpace(o.Measure)
			g.Objectives[j] = o
		}
		content.Goals[i] = g
	}
	return content
}

type planInput struct {
	Content store.PlanContent `json:"content" validate:"required"`
}

// createPlan starts the next version of a couple's plan as a draft.
func (s *Server) createPlan(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.TreatmentPlan, policy.Create)
	if !ok {
		return
	}
	var in planInput
	if !s.bindJSON(c, &in) {
		return
	}
	p, err := s.store.CreatePlanDraft(c.Request.Context(), access.PracticeID, coupleID, mustCaller(c).User.ID, tidyPlan(in.Content))
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, p.ID)
	c.JSON(http.StatusCreated, p)
}

// listPlans answers the versions of the couple's plan the caller may read, newest first: every
// version for the care team, the current signed one for the partners.
func (s *Server) listPlans(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.TreatmentPlan, policy.List)
	if !ok {
		return
	}
	plans, err := s.readablePlans(c.Request.Context(), access, coupleID, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"treatment_plans": plans})
}

// readablePlans returns the versions of the couple's plan, newest first, the reader may open.
func (s *Server) readablePlans(ctx context.Context, access store.Access, coupleID, readerID int64) ([]store.Plan, error) {
	all, err := s.store.Plans(ctx, access.PracticeID, coupleID, readerID)
	if err != nil {
		return nil, err
	}
	return readable(s, access, policy.TreatmentPlan, all, func(p store.Plan) string { return p.Relation }), nil
}

func (s *Server) getPlan(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindTreatmentPlan, policy.TreatmentPlan, policy.Read)
	if !ok {
		return
	}
	p, err := s.store.PlanByID(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// updatePlan replaces a draft's content; a signed version answers 409.
func (s *Server) updatePlan(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindTreatmentPlan, policy.TreatmentPlan, policy.Update)
	if !ok {
		return
	}
	var in planInput
	if !s.bindJSON(c, &in) {
		return
	}
	p, err := s.store.UpdatePlanDraft(c.Request.Context(), access.PracticeID, id, tidyPlan(in.Content))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// signPlan signs and locks a complete draft: it becomes the version the couple reads.
func (s *Server) signPlan(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindTreatmentPlan, policy.TreatmentPlan, policy.Sign)
	if !ok {
		return
	}
	p, err := s.store.SignPlan(c.Request.Context(), access.PracticeID, id, mustCaller(c).User.ID, planReady)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// acknowledgePlan records that the calling partner has read the current signed version.
func (s *Server) acknowledgePlan(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindTreatmentPlan, policy.TreatmentPlan, policy.Acknowledge)
	if !ok {
		return
	}
	p, err := s.store.AcknowledgePlan(c.Request.Context(), access.PracticeID, id, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}
