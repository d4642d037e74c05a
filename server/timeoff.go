package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
)

// longestTimeOff bounds one stretch of time off.
const longestTimeOff = 366 * 24 * time.Hour

type timeOffInput struct {
	FirstDay string `json:"first_day" validate:"required,datetime=2006-01-02"`
	LastDay  string `json:"last_day" validate:"required,datetime=2006-01-02"`
	// Reason is for the practice's staff; partners never see it.
	Reason string `json:"reason" validate:"max=500"`
}

// listTimeOff lists a therapist's time off, optionally in a from–to window.
func (s *Server) listTimeOff(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, policy.TimeOff, policy.Read)
	if !ok {
		return
	}
	f, ok := appointmentFilter(c)
	if !ok {
		return
	}
	list, err := s.store.TimeOffOf(c.Request.Context(), pid, uid, f.From, f.To)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"time_off": list})
}

// addTimeOff records a therapist's time off, whole days from first to last.
func (s *Server) addTimeOff(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, policy.TimeOff, policy.Create)
	if !ok {
		return
	}
	var in timeOffInput
	if !s.bindJSON(c, &in) {
		return
	}
	first, _ := time.Parse(time.DateOnly, in.FirstDay)
	last, _ := time.Parse(time.DateOnly, in.LastDay)
	switch {
	case last.Before(first):
		fail(c, fault.InvalidField("last_day", "must not be before the first day"))
		return
	case last.Sub(first) >= longestTimeOff:
		fail(c, fault.InvalidField("last_day", "time off is recorded a year at most at a time"))
		return
	}
	off, err := s.store.AddTimeOff(c.Request.Context(), pid, uid, mustCaller(c).User.ID, in.FirstDay, in.LastDay, in.Reason)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, off.ID)
	c.JSON(http.StatusCreated, off)
}

func (s *Server) deleteTimeOff(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, policy.TimeOff, policy.Delete)
	if !ok {
		return
	}
	id, ok := pathID(c, "tid")
	if !ok {
		return
	}
	if err := s.store.DeleteTimeOff(c.Request.Context(), pid, uid, id); err != nil {
		fail(c, err)
		return
	}
	auditObject(c, id)
	c.Status(http.StatusNoContent)
}
