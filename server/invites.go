package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// errInviteGone answers alike for unknown, used, revoked and expired invite tokens.
var errInviteGone = fault.New(fault.NotFound, "This invite link is not valid any more. Ask your practice for a new one.")

type staffInviteInput struct {
	Email string `json:"email" validate:"required,email,max=254"`
	Role  string `json:"role" validate:"required,oneof=admin therapist front_desk"`
}

// inviteCreated is the answer to a new invite: the one-time token is shown once, here, and mailed
// to the invitee; only its hash is kept.
type inviteCreated struct {
	Invite    store.Invite `json:"invite"`
	Token     string       `json:"token"`
	AcceptURL string       `json:"accept_url"`
}

func (s *Server) createStaffInvite(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Invite, policy.Create)
	if !ok {
		return
	}
	var in staffInviteInput
	if !s.bindJSON(c, &in) {
		return
	}
	s.issueInvite(c, store.NewInvite{PracticeID: pid, Email: in.Email, Role: in.Role})
}

// issueInvite stores an invite with a fresh token and answers with the token.
func (s *Server) issueInvite(c *gin.Context, in store.NewInvite) {
	token, hash := newToken()
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.InvitedBy = mustCaller(c).User.ID
	in.TokenHash = hash
	in.TTL = s.cfg.InviteTTL
	inv, err := s.store.CreateInvite(c.Request.Context(), in, s.mailInvite(in.PracticeID, in.Email, token)...)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, inv.ID)
	c.JSON(http.StatusCreated, inviteCreated{Invite: inv, Token: token, AcceptURL: "/invite/" + token})
}

func (s *Server) listInvites(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Invite, policy.List)
	if !ok {
		return
	}
	open, ok := queryBool(c, "open")
	if !ok {
		return
	}
	invites, err := s.store.Invites(c.Request.Context(), pid, open)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"invites": invites})
}

func (s *Server) revokeInvite(c *gin.Context) {
	pid, okP := pathID(c, "pid")
	if !okP {
		return
	}
	id, access, ok := s.authorizeID(c, "id", store.KindInvite, policy.Invite, policy.Revoke)
	if !ok {
		return
	}
	if access.PracticeID != pid {
		fail(c, fault.ErrNotFound)
		return
	}
	if err := s.store.RevokeInvite(c.Request.Context(), access.PracticeID, id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// inviteFromPath finds the open invite a token names; unknown, used, revoked and expired tokens
// all answer the same 404.
func (s *Server) inviteFromPath(c *gin.Context) (store.Invite, []byte, bool) {
	token := c.Param("token")
	if !wellFormedToken(token) {
		fail(c, errInviteGone)
		return store.Invite{}, nil, false
	}
	hash := hashToken(token)
	inv, err := s.store.OpenInviteByToken(c.Request.Context(), hash)
	if fault.ErrorCode(err) == fault.NotFound {
		fail(c, errInviteGone)
		return inv, nil, false
	}
	if err != nil {
		fail(c, err)
		return inv, nil, false
	}
	return inv, hash, true
}

// showInvite tells the accept page what it is accepting. It does not tell whether the email has
// an account: the token holder may be someone other than its owner.
func (s *Server) showInvite(c *gin.Context) {
	inv, _, ok := s.inviteFromPath(c)
	if !ok {
		return
	}
	p, err := s.store.PracticeByID(c.Request.Context(), inv.PracticeID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"email": inv.Email, "role": inv.Role, "practice_name": p.Name, "expires_at": inv.ExpiresAt})
}

type acceptInput struct {
	Name     string `json:"name" validate:"required,min=1,max=120"`
	Password string `json:"password" validate:"required"`
}

// acceptInvite uses an invite. Signed in, the caller joins as themself, and only if the invite
// was sent to their email; not signed in, the invite creates a new account and signs it in. An
// invite never signs anyone in to an account that exists already.
func (s *Server) acceptInvite(c *gin.Context) {
	caller, err := s.Authenticate(c.Request)
	switch {
	case err == nil:
		s.acceptInviteSignedIn(c, caller)
		return
	case !errors.Is(err, errUnauthenticated):
		fail(c, err)
		return
	}
	var in acceptInput
	if !s.bindJSON(c, &in) {
		return
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		fail(c, fault.InvalidField("name", "is required"))
		return
	}
	inv, hash, ok := s.inviteFromPath(c)
	if !ok {
		return
	}
	if err := CheckPasswordRules(in.Password, s.cfg.MinPasswordLength); err != nil {
		fail(c, err)
		return
	}
	// Whether the email has an account is what a stranger holding the link could learn here, so
	// tries spend the account's attempts, as sign-in does. (Not the address's: one address may
	// rightly set up many new accounts.)
	if !s.spendAttempt(c, s.accountThrottle, inv.Email) {
		return
	}
	passwordHash, err := HashPassword(in.Password)
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	userID, err := s.store.AcceptInviteAsNewUser(ctx, hash, in.Name, passwordHash)
	if err != nil {
		failAccept(c, err)
		return
	}
	user, err := s.store.UserByID(ctx, userID)
	if err != nil {
		fail(c, err)
		return
	}
	memberships, err := s.store.ActiveMemberships(ctx, userID)
	if err != nil {
		fail(c, err)
		return
	}
	s.auditAccept(c, inv, userID)
	s.startSession(c, user, memberships)
}

// acceptInviteSignedIn adds the invite's membership to the signed-in caller's own account; the
// session stays, limited to setting up a second factor if the practice joined requires one.
func (s *Server) acceptInviteSignedIn(c *gin.Context, caller *Caller) {
	c.Set(ctxCaller, caller)
	if c.Request.ContentLength != 0 {
		fail(c, fault.New(fault.BadRequest, "Signed in, accepting an invitation takes no body."))
		return
	}
	inv, hash, ok := s.inviteFromPath(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if err := s.store.AcceptInviteAsUser(ctx, hash, caller.User.ID); err != nil {
		failAccept(c, err)
		return
	}
	memberships, err := s.store.ActiveMemberships(ctx, caller.User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	// The practice joined may require a second factor the account has not set up: from now on the
	// session may only set one up, and the answer says so as signing in would.
	mustEnrol, err := s.store.MustEnrolSecondFactor(ctx, caller.User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	s.auditAccept(c, inv, caller.User.ID)
	c.JSON(http.StatusOK, meBody{User: caller.User, Memberships: memberships, MustEnrolSecondFactor: mustEnrol})
}

// errInviteForAnotherAccount answers a signed-in caller accepting an invite sent to another email.
var errInviteForAnotherAccount = fault.New(fault.Forbidden,
	"This invitation is for another email address. Sign out, then sign in with that address or create its account.")

func failAccept(c *gin.Context, err error) {
	switch {
	case fault.ErrorCode(err) == fault.NotFound:
		fail(c, errInviteGone)
	case fault.ErrorCode(err) == fault.Forbidden:
		fail(c, errInviteForAnotherAccount)
	default:
		fail(c, err)
	}
}

func (s *Server) auditAccept(c *gin.Context, inv store.Invite, userID int64) {
	s.writeAudit(c, store.AuditEntry{PracticeID: &inv.PracticeID, ActorID: &userID, Action: "invite.accept",
		ObjectType: "invite", ObjectID: &inv.ID, Outcome: store.OutcomeAllowed})
}
