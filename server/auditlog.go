package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

// listAudit pages through a practice's audit log, newest first; ?before=ID continues a page.
func (s *Server) listAudit(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.AuditLog, policy.List)
	if !ok {
		return
	}
	var f store.AuditFilter
	var err error
	q := c.Request.URL.Query()
	f.ObjectType, f.Action = q.Get("object_type"), q.Get("action")
	if f.Outcome, ok = queryChoice(c, "outcome", store.OutcomeAllowed, store.OutcomeDenied, store.OutcomeFailed); !ok {
		return
	}
	if f.OmitLogViews, ok = queryBool(c, "omit_log_views"); !ok {
		return
	}
	if f.ActorID, err = optionalID(q.Get("actor_id"), "actor_id"); err == nil {
		f.ObjectID, err = optionalID(q.Get("object_id"), "object_id")
	}
	if err == nil {
		f.Since, err = optionalTime(q.Get("since"), "since")
	}
	if err == nil {
		f.Until, err = optionalTime(q.Get("until"), "until")
	}
	if err == nil && q.Get("before") != "" {
		var before *int64
		before, err = optionalID(q.Get("before"), "before")
		if err == nil {
			f.Before = *before
		}
	}
	if err == nil && q.Get("limit") != "" {
		f.Limit, err = strconv.Atoi(q.Get("limit"))
		if err != nil || f.Limit < 1 || f.Limit > 200 {
			err = fault.InvalidField("limit", "must be a whole number from 1 to 200")
		}
	}
	if err != nil {
		fail(c, err)
		return
	}
	entries, err := s.store.AuditLog(c.Request.Context(), pid, f)
	if err != nil {
		fail(c, err)
		return
	}
	body := gin.H{"entries": entries}
	if n := len(entries); n > 0 && n == effectiveLimit(f.Limit) {
		body["next_before"] = entries[n-1].ID
	}
	c.JSON(http.StatusOK, body)
}

func effectiveLimit(limit int) int {
	if limit <= 0 {
		return 50
	}
	return limit
}

func optionalID(v, field string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, fault.InvalidField(field, "must be a positive whole number")
	}
	return &id, nil
}

func optionalTime(v, field string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fault.InvalidField(field, "must be a time like 2026-01-31T09:00:00Z")
	}
	return &t, nil
}

// showPolicy shows the access table administrators are bound by, line by line.
func (s *Server) showPolicy(c *gin.Context) {
	_, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Policy, policy.Read)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"rules": s.policy.Rules()})
}
