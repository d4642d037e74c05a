package server

import (
	"context"
	"net/http"
	"slices"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// auditRecord is what a request did, written to the audit log when the request ends: to the log
// of the practice owning the object, or, for a request refused because the object is in no
// practice of the caller's, to the logs of the caller's own practices.
type auditRecord struct {
	practiceIDs []int64
	object      policy.Object
	objectID    int64
	action      policy.Action
	denied      bool
	// change is the setting the request changed, with its values before and after, if any.
	change *settingChange
}

type settingChange struct{ field, from, to string }

// unauditedReads are objects whose reads are routine practice administration, not couple or
// clinical data; every other read and every change is audited, and so are reads of the audit
// log and of the access policy, which tell who does what.
var unauditedReads = map[policy.Object]bool{
	policy.Practice: true, policy.Member: true, policy.Invite: true, policy.Exercise: true, policy.FormTemplate: true,
}

// authorize resolves how the caller stands to ref and asks the policy whether they may take
// action on object. When they may not, it answers 404 if they may not even read it (they may
// not know it exists) and 403 otherwise, and returns false. When the policy allows it but the
// object is in a closed couple's record that does not take the action, it answers 409.
func (s *Server) authorize(c *gin.Context, ref store.Ref, object policy.Object, action policy.Action) (store.Access, bool) {
	caller := mustCaller(c)
	access, err := s.store.Resolve(c.Request.Context(), caller.User.ID, ref)
	if err != nil && fault.ErrorCode(err) != fault.NotFound {
		fail(c, err)
		return access, false
	}
	if err != nil || access.Relation == store.RelNone {
		s.refuseUnknown(c, ref, object, action)
		return access, false
	}
	rec := &auditRecord{practiceIDs: []int64{access.PracticeID}, object: object, objectID: ref.ID, action: action}
	c.Set(ctxAudit, rec)
	if s.decisions.allowed(access.Roles, access.Relation, object, action) {
		if closedRecordRefuses(access, object, action) {
			fail(c, fault.ErrCoupleClosed)
			return access, false
		}
		return access, true
	}
	rec.denied = true
	logger(c).Info("access denied", "relation", access.Relation, "object", object, "action", action)
	if action != policy.Read && action != policy.List && s.decisions.allowed(access.Roles, access.Relation, object, policy.Read) {
		fail(c, fault.ErrForbidden)
	} else {
		fail(c, fault.ErrNotFound)
	}
	return access, false
}

// refuseUnknown answers 404 for an object that is in no practice of the caller's, or nowhere,
// and audits the refusal in the caller's own practices. The entry holds only what the caller
// sent (the kind of object and the id asked for), and reads alike whether or not the object
// exists elsewhere, so it tells the reader nothing of another practice.
func (s *Server) refuseUnknown(c *gin.Context, ref store.Ref, object policy.Object, action policy.Action) {
	fail(c, fault.ErrNotFound)
	memberships, err := s.store.ActiveMemberships(c.Request.Context(), mustCaller(c).User.ID)
	if err != nil {
		logger(c).Error("audit of a refused request failed", "err", err)
		return
	}
	rec := &auditRecord{object: object, objectID: ref.ID, action: action, denied: true}
	for _, m := range memberships {
		if !slices.Contains(rec.practiceIDs, m.PracticeID) {
			rec.practiceIDs = append(rec.practiceIDs, m.PracticeID)
		}
	}
	c.Set(ctxAudit, rec)
}

// allows is the decision of authorize for an access already resolved, for filtering list rows
// and fixing what a live participant may send.
func (s *Server) allows(access store.Access, object policy.Object, action policy.Action) bool {
	return access.Relation != store.RelNone && s.decisions.allowed(access.Roles, access.Relation, object, action) &&
		!closedRecordRefuses(access, object, action)
}

// recordAction is an action on a kind of object, as the policy names them.
type recordAction struct {
	object policy.Object
	action policy.Action
}

// closedRecordTakes is what a closed couple's record still takes besides reading it (every read,
// list, transcript, summary, export, download and live-session join): the care team's closing
// clinical work, cancelling booked appointments and recording attendance, settling its accounts
// (charges of its appointments and voiding them, payments and other entries, who pays), erasure,
// and the status change that reopens the couple (the store refuses any other change to a closed
// couple). A paused couple takes everything.
var closedRecordTakes = map[recordAction]bool{
	{policy.Note, policy.Create}: true, {policy.Note, policy.Update}: true, {policy.Note, policy.Sign}: true,
	{policy.Note, policy.Addend}:        true,
	{policy.Appointment, policy.Cancel}: true, {policy.Appointment, policy.Attend}: true,
	{policy.Charge, policy.Create}: true, {policy.Charge, policy.Void}: true,
	{policy.LedgerEntry, policy.Create}: true,
	{policy.Billing, policy.Update}:     true,
	{policy.Couple, policy.Update}:      true,
	{policy.Couple, policy.Erase}:       true,
}

// readActions are the actions that change nothing.
var readActions = map[policy.Action]bool{policy.Read: true, policy.List: true, policy.Transcript: true,
	policy.Summary: true, policy.Export: true, policy.Join: true, policy.Download: true}

// closedRecordRefuses reports whether the object is in a closed couple's record that does not take
// the action. Every change to such a record is refused here, in one place, rather than per handler.
func closedRecordRefuses(access store.Access, object policy.Object, action policy.Action) bool {
	return access.CoupleStatus == store.CoupleClosed && !readActions[action] && !closedRecordTakes[recordAction{object, action}]
}

// relating is access with the relation of one row of a list, for filtering the list.
func relating(access store.Access, relation string) store.Access {
	access.Relation = relation
	return access
}

// readable keeps the rows of a list that the reader may read as object, each judged by its own
// relation exactly as opening that row alone would be.
func readable[T any](s *Server, access store.Access, object policy.Object, rows []T, relationOf func(T) string) []T {
	out := make([]T, 0, len(rows)) // never nil: an empty list is still a list the reader may see
	for _, row := range rows {
		if s.allows(relating(access, relationOf(row)), object, policy.Read) {
			out = append(out, row)
		}
	}
	return out
}

// readableRelations lists the relations in which a caller holding roles may take action on
// object, for narrowing a list to such rows in the query itself.
func (s *Server) readableRelations(roles []string, object policy.Object, action policy.Action) []string {
	out := []string{} // not nil: nil would mean every relation
	for _, relation := range policy.Relations {
		if s.decisions.allowed(roles, relation, object, action) {
			out = append(out, relation)
		}
	}
	return out
}

// decisionCache remembers the policy's answers, one per role, relation, object and action. A
// loaded policy never changes, so an answer never goes stale; the cache spares asking the
// enforcer the same question again for every request and every row of a list.
type decisionCache struct {
	policy  *policy.Authorizer
	answers sync.Map // decisionKey -> bool
}

type decisionKey struct {
	role, relation string
	object         policy.Object
	action         policy.Action
}

// allowed reports whether any of the roles may take the action on the object given the relation.
func (d *decisionCache) allowed(roles []string, relation string, object policy.Object, action policy.Action) bool {
	for _, role := range roles {
		key := decisionKey{role, relation, object, action}
		answer, known := d.answers.Load(key)
		if !known {
			answer = d.policy.Allowed([]string{role}, relation, object, action)
			d.answers.Store(key, answer)
		}
		if answer.(bool) {
			return true
		}
	}
	return false
}

// auditObject records the id of an object a request created, for the audit entry.
func auditObject(c *gin.Context, id int64) {
	if v, ok := c.Get(ctxAudit); ok {
		v.(*auditRecord).objectID = id
	}
}

// auditChange records, for the audit entry, that the request set field from one value to
// another; a setting left as it was is not recorded. Values are settings, never free text.
func auditChange(c *gin.Context, field, from, to string) {
	if v, ok := c.Get(ctxAudit); ok && from != to {
		v.(*auditRecord).change = &settingChange{field: field, from: from, to: to}
	}
}

// audit writes the audit entry of an authorized request once it has been answered.
func (s *Server) audit(c *gin.Context) {
	c.Next()
	v, ok := c.Get(ctxAudit)
	if !ok {
		return
	}
	rec := v.(*auditRecord)
	if !rec.denied && (rec.action == policy.Read || rec.action == policy.List) && unauditedReads[rec.object] {
		return
	}
	outcome := store.OutcomeAllowed
	switch {
	case rec.denied:
		outcome = store.OutcomeDenied
	case c.Writer.Status() >= http.StatusBadRequest:
		outcome = store.OutcomeFailed
	}
	for _, practiceID := range rec.practiceIDs {
		e := store.AuditEntry{PracticeID: &practiceID, Action: string(rec.object) + "." + string(rec.action), ObjectType: string(rec.object),
			ObjectID: nonZero(rec.objectID), Outcome: outcome}
		if rec.change != nil {
			e.ChangeField, e.ChangeFrom, e.ChangeTo = &rec.change.field, &rec.change.from, &rec.change.to
		}
		s.writeAudit(c, e)
	}
}

// auditAuth records sign-ins. They belong to the account, not to any practice: no practice's
// audit log shows them, and the account reads its own (signIns).
func (s *Server) auditAuth(c *gin.Context, userID int64, action, outcome string) {
	s.writeAudit(c, store.AuditEntry{ActorID: nonZero(userID), Action: "auth." + action, ObjectType: "user",
		ObjectID: nonZero(userID), Outcome: outcome})
}

func (s *Server) writeAudit(c *gin.Context, e store.AuditEntry) {
	if e.ActorID == nil {
		if caller, ok := callerOf(c); ok {
			e.ActorID = &caller.User.ID
		}
	}
	e.Address = c.ClientIP()
	e.RequestID = c.GetString(ctxRequestID)
	// The request is answered already; an audit write must not be lost to a client hanging up.
	// The request ends only once its entry is committed, in a statement it may share with others.
	if err := s.audits.write(context.WithoutCancel(c.Request.Context()), e); err != nil {
		logger(c).Error("audit write failed", "err", err, "action", e.Action)
	}
}

func nonZero(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// authorizeID reads the object id from the path parameter param and authorizes action on it as
// kind; like authorize, it answers the request itself and returns false when the caller may not.
func (s *Server) authorizeID(c *gin.Context, param string, kind store.Kind, object policy.Object, action policy.Action) (int64, store.Access, bool) {
	id, ok := pathID(c, param)
	if !ok {
		return 0, store.Access{}, false
	}
	access, ok := s.authorize(c, store.Ref{Kind: kind, ID: id}, object, action)
	return id, access, ok
}
