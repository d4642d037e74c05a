package server

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

func (s *Server) getPractice(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Practice, policy.Read)
	if !ok {
		return
	}
	p, err := s.store.PracticeByID(c.Request.Context(), pid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// listMembers lists the members the caller may read: colleagues, and the clients the policy
// lets them read (a therapist: those of the couples on their care team).
func (s *Server) listMembers(c *gin.Context) {
	pid, access, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Member, policy.List)
	if !ok {
		return
	}
	role, ok := queryChoice(c, "role", store.RoleAdmin, store.RoleTherapist, store.RoleFrontDesk, store.RoleClient)
	if !ok {
		return
	}
	members, err := s.store.Members(c.Request.Context(), pid, role, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	visible := []store.Member{}
	for _, m := range members {
		_, object := memberObject(m.IsClient(), m.Relation == store.RelSelf)
		if s.allows(store.Access{Roles: access.Roles, Relation: m.Relation}, object, policy.Read) {
			visible = append(visible, m)
		}
	}
	c.JSON(http.StatusOK, gin.H{"members": visible})
}

// memberObject is what reading a member is asked about: the client for someone else's client
// record, which is read like their couple's file, the member for a colleague or oneself.
func memberObject(isClient, self bool) (store.Kind, policy.Object) {
	if isClient && !self {
		return store.KindClient, policy.Client
	}
	return store.KindMember, policy.Member
}

func (s *Server) getMember(c *gin.Context) {
	pid, okP := pathID(c, "pid")
	if !okP {
		return
	}
	uid, ok := pathID(c, "uid")
	if !ok {
		return
	}
	// Whether uid is a client only picks the question; either answer is refused alike (404) to
	// a caller who may not read the member.
	isClient, err := s.store.IsClient(c.Request.Context(), pid, uid)
	if err != nil {
		fail(c, err)
		return
	}
	kind, object := memberObject(isClient, uid == mustCaller(c).User.ID)
	if _, ok := s.authorize(c, store.Ref{Kind: kind, ID: uid, PracticeID: pid}, object, policy.Read); !ok {
		return
	}
	m, err := s.store.MemberByID(c.Request.Context(), pid, uid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}

type memberUpdate struct {
	// Roles replaces the member's staff roles (admin, therapist, front_desk) when given.
	Roles    *[]string `json:"roles" validate:"omitempty,min=1,max=3,dive,oneof=admin therapist front_desk"`
	Disabled *bool     `json:"disabled"`
}

func (s *Server) updateMember(c *gin.Context) {
	pid, okP := pathID(c, "pid")
	if !okP {
		return
	}
	uid, ok := pathID(c, "uid")
	if !ok {
		return
	}
	if _, ok := s.authorize(c, store.Ref{Kind: store.KindMember, ID: uid, PracticeID: pid}, policy.Member, policy.Update); !ok {
		return
	}
	var in memberUpdate
	if !s.bindJSON(c, &in) {
		return
	}
	if in.Roles == nil && in.Disabled == nil {
		fail(c, &fault.Error{Code: fault.Invalid, Field: "roles",
			Message: "Send roles, disabled, or both."})
		return
	}
	ctx := c.Request.Context()
	if in.Roles != nil {
		current, err := s.store.MemberByID(ctx, pid, uid)
		if err != nil {
			fail(c, err)
			return
		}
		if slices.Contains(current.Roles, store.RoleClient) {
			fail(c, fault.ConflictBecause("a client's role is set by their couple, not here"))
			return
		}
		if err := s.store.SetStaffRoles(ctx, pid, uid, slices.Compact(slices.Sorted(slices.Values(*in.Roles)))); err != nil {
			fail(c, err)
			return
		}
	}
	if in.Disabled != nil {
		if err := s.store.SetMemberDisabled(ctx, pid, uid, *in.Disabled); err != nil {
			fail(c, err)
			return
		}
		if *in.Disabled && s.onDisable != nil {
			s.onDisable(pid, uid)
		}
	}
	m, err := s.store.MemberByID(ctx, pid, uid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, m)
}
