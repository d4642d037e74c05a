package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

type coupleInput struct {
	Label      string   `json:"label" validate:"required,max=120"`
	Concerns   []string `json:"concerns" validate:"maxconcerns"`
	Status     string   `json:"status" validate:"omitempty,oneof=active paused closed"`
	Therapists []int64  `json:"therapists" validate:"max=20"`
}

type coupleUpdate struct {
	Label    *string   `json:"label" validate:"omitempty,max=120"`
	Concerns *[]string `json:"concerns" validate:"omitempty,maxconcerns"`
	Status   *string   `json:"status" validate:"omitempty,oneof=active paused closed"`
}

type careTeamInput struct {
	Therapists []int64 `json:"therapists" validate:"required,min=1,max=20"`
}

type partnerInviteInput struct {
	Seat  string `json:"seat" validate:"required,oneof=a b"`
	Email string `json:"email" validate:"required,email,max=254"`
}

// coupleView is a couple as GET /couples/:id shows it: with counts of the assignments the
// caller may see.
type coupleView struct {
	store.CoupleDetail
	Assignments assignmentCounts `json:"assignments"`
}

// assignmentCounts counts open work (assigned, in progress or reopened) and work waiting for review.
type assignmentCounts struct {
	Open      int `json:"open"`
	Submitted int `json:"submitted"`
}

// listConcerns answers the concerns a couple's file can name, with their labels.
func (s *Server) listConcerns(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"concerns": library.ConcernList()})
}

// checkCoupleConcerns keeps concerns to the fixed vocabulary, without repeats.
func checkCoupleConcerns(concerns []string) error {
	for i, c := range concerns {
		if !library.IsConcern(c) {
			return fault.InvalidField("concerns", strconv.Quote(c)+" is not one of: "+strings.Join(library.Concerns(), ", "))
		}
		if slices.Contains(concerns[:i], c) {
			return fault.InvalidField("concerns", strconv.Quote(c)+" is listed twice")
		}
	}
	return nil
}

// checkCoupleLabel trims a couple's label and insists something is left.
func checkCoupleLabel(label string) (string, error) {
	label = strings.TrimSpace(label)
	if label == "" {
		return "", fault.InvalidField("label", "is required")
	}
	return label, nil
}

func (s *Server) listCouples(c *gin.Context) {
	pid, access, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Couple, policy.List)
	if !ok {
		return
	}
	// Only couples the caller may read are listed; the query looks for them through the caller's
	// own ties when the policy lets the caller's roles read no other couples of the practice.
	status, ok := queryChoice(c, "status", store.CoupleActive, store.CouplePaused, store.CoupleClosed)
	if !ok {
		return
	}
	filter := store.CoupleFilter{Status: status, Text: strings.TrimSpace(c.Query("q")),
		Relations: s.readableRelations(access.Roles, policy.Couple, policy.Read)}
	if t := c.Query("therapist"); t != "" {
		therapist, err := strconv.ParseInt(t, 10, 64)
		if err != nil || therapist <= 0 {
			fail(c, fault.InvalidField("therapist", "must be a user id"))
			return
		}
		filter.TherapistID = therapist
	}
	couples, err := s.store.Couples(c.Request.Context(), pid, mustCaller(c).User.ID, filter)
	if err != nil {
		fail(c, err)
		return
	}
	visible := []store.CoupleDetail{}
	for _, couple := range couples {
		if s.allows(store.Access{Roles: access.Roles, Relation: couple.Relation}, policy.Couple, policy.Read) {
			visible = append(visible, couple)
		}
	}
	c.JSON(http.StatusOK, gin.H{"couples": visible})
}

func (s *Server) createCouple(c *gin.Context) {
	pid, access, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Couple, policy.Create)
	if !ok {
		return
	}
	var in coupleInput
	if !s.bindJSON(c, &in) {
		return
	}
	label, err := checkCoupleLabel(in.Label)
	if err == nil {
		err = checkCoupleConcerns(in.Concerns)
	}
	if err != nil {
		fail(c, err)
		return
	}
	caller := mustCaller(c).User.ID
	team := in.Therapists
	// A therapist who opens a couple's file cares for the couple.
	if slices.Contains(access.Roles, store.RoleTherapist) && !slices.Contains(team, caller) {
		team = append(team, caller)
	}
	concerns := in.Concerns
	if concerns == nil {
		concerns = []string{}
	}
	ctx := c.Request.Context()
	coupleID, err := s.store.CreateCouple(ctx, store.NewCouple{PracticeID: pid, Label: label, Status: in.Status,
		Concerns: concerns, CreatedBy: caller, Therapists: team})
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, coupleID)
	s.answerCouple(c, http.StatusCreated, access.Roles, pid, coupleID)
}

func (s *Server) getCouple(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Couple, policy.Read)
	if !ok {
		return
	}
	s.answerCouple(c, http.StatusOK, access.Roles, access.PracticeID, coupleID)
}

// answerCouple writes the couple with the counts of assignments the caller, holding roles, may read.
func (s *Server) answerCouple(c *gin.Context, status int, roles []string, practiceID, coupleID int64) {
	ctx := c.Request.Context()
	couple, counts, err := s.store.CoupleWithAssignmentCounts(ctx, practiceID, coupleID, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	view := coupleView{CoupleDetail: couple}
	for _, n := range counts {
		if !s.allows(store.Access{Roles: roles, Relation: n.Relation}, policy.Assignment, policy.Read) {
			continue
		}
		switch n.Status {
		case store.StatusAssigned, store.StatusInProgress, store.StatusReopened:
			view.Assignments.Open += n.Count
		case store.StatusSubmitted:
			view.Assignments.Submitted += n.Count
		}
	}
	c.JSON(status, view)
}

func (s *Server) updateCouple(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Couple, policy.Update)
	if !ok {
		return
	}
	var in coupleUpdate
	if !s.bindJSON(c, &in) {
		return
	}
	if in.Label == nil && in.Concerns == nil && in.Status == nil {
		fail(c, fault.InvalidField("label", "send label, concerns or status"))
		return
	}
	if in.Label != nil {
		label, err := checkCoupleLabel(*in.Label)
		if err != nil {
			fail(c, err)
			return
		}
		in.Label = &label
	}
	if in.Concerns != nil {
		if err := checkCoupleConcerns(*in.Concerns); err != nil {
			fail(c, err)
			return
		}
	}
	// Sessions end before the couple closes: should ending fail, the couple stays open and the
	// request can be repeated.
	if in.Status != nil && *in.Status == store.CoupleClosed {
		if err := s.endLiveSessions(c.Request.Context(), access.PracticeID, coupleID, mustCaller(c).User.ID); err != nil {
			fail(c, err)
			return
		}
	}
	err := s.store.UpdateCouple(c.Request.Context(), access.PracticeID, coupleID,
		store.CoupleChanges{Label: in.Label, Concerns: in.Concerns, Status: in.Status})
	if err != nil {
		fail(c, err)
		return
	}
	s.answerCouple(c, http.StatusOK, access.Roles, access.PracticeID, coupleID)
}

func (s *Server) setCareTeam(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.CareTeam, policy.Update)
	if !ok {
		return
	}
	var in careTeamInput
	if !s.bindJSON(c, &in) {
		return
	}
	if err := s.store.SetCoupleCareTeam(c.Request.Context(), access.PracticeID, coupleID, in.Therapists); err != nil {
		fail(c, err)
		return
	}
	s.answerCouple(c, http.StatusOK, access.Roles, access.PracticeID, coupleID)
}

// invitePartner invites a partner to a seat of the couple; accepting the invite makes them a
// client of the practice in that seat.
func (s *Server) invitePartner(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Invite, policy.Create)
	if !ok {
		return
	}
	var in partnerInviteInput
	if !s.bindJSON(c, &in) {
		return
	}
	if err := s.store.CheckSeatOpen(c.Request.Context(), access.PracticeID, coupleID, in.Seat); err != nil {
		fail(c, err)
		return
	}
	s.issueInvite(c, store.NewInvite{PracticeID: access.PracticeID, Email: in.Email, Role: store.RoleClient,
		CoupleID: &coupleID, Seat: &in.Seat})
}
