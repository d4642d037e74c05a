package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/ical"
	"github.com/amendcare/amend/server/store"
)

const (
	defaultSessionLength = 50 * time.Minute
	longestSession       = 8 * time.Hour
	// calendarFeedPast is how far back the calendar feed reaches.
	calendarFeedPast = 90 * 24 * time.Hour
)

type appointmentInput struct {
	// StartsAt is RFC 3339 with an offset, or a local date and time read in TimeZone.
	StartsAt string `json:"starts_at" validate:"required"`
	// EndsAt is like StartsAt; DurationMinutes may be given instead (50 minutes when neither is).
	EndsAt          string `json:"ends_at"`
	DurationMinutes int    `json:"duration_minutes" validate:"omitempty,gte=5,lte=480"`
	// TimeZone is an IANA name such as Europe/Berlin; the practice's time zone when left out.
	TimeZone string `json:"time_zone" validate:"max=64"`
	// TherapistID is who holds the session; the caller when left out.
	TherapistID int64 `json:"therapist_id" validate:"omitempty,gte=1"`
	// Kind is in_person (the default, optionally in a room), video or phone.
	Kind   string `json:"kind" validate:"omitempty,oneof=in_person video phone"`
	RoomID int64  `json:"room_id" validate:"omitempty,gte=1"`
	// RecordPast says the booking records a session that already took place; without it a time in
	// the past is refused.
	RecordPast bool `json:"record_past"`
	// OverrideTimeOff books the therapist even in their time off; without it such a booking is refused.
	OverrideTimeOff bool `json:"override_time_off"`
}

// checkPast applies the rule on times in the past: a booking that starts before now must say it
// records a past session, and one that says so must start before now.
func checkPast(start, now time.Time, recordPast bool) error {
	switch {
	case start.Before(now) && !recordPast:
		return fault.InvalidField("starts_at", "is in the past: to enter a session that already took place, record it as a past session")
	case !start.Before(now) && recordPast:
		return fault.InvalidField("record_past", "is only for sessions that already took place")
	}
	return nil
}

// localLayouts are the accepted forms of a date and time without an offset.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"}

// parseInstant reads an RFC 3339 time with offset, or a local time in loc.
func parseInstant(field, value string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, value); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, value, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fault.InvalidField(field, "must be a date and time like 2025-03-31T14:00:00+02:00")
}

// loadZone reads an IANA time-zone name; names that depend on the server's setup are refused.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fault.InvalidField("time_zone", "must be an IANA time-zone name such as Europe/Berlin")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fault.InvalidField("time_zone", "must be an IANA time-zone name such as Europe/Berlin")
	}
	return loc, nil
}

// appointmentTimes works out the absolute start and end of an appointment request.
func appointmentTimes(in appointmentInput, zone string) (start, end time.Time, err error) {
	loc, err := loadZone(zone)
	if err != nil {
		return start, end, err
	}
	if start, err = parseInstant("starts_at", in.StartsAt, loc); err != nil {
		return start, end, err
	}
	switch {
	case in.EndsAt != "" && in.DurationMinutes != 0:
		return start, end, fault.InvalidField("duration_minutes", "must be left out when ends_at is given")
	case in.EndsAt != "":
		if end, err = parseInstant("ends_at", in.EndsAt, loc); err != nil {
			return start, end, err
		}
	case in.DurationMinutes != 0:
		end = start.Add(time.Duration(in.DurationMinutes) * time.Minute)
	default:
		end = start.Add(defaultSessionLength)
	}
	if !end.After(start) {
		return start, end, fault.InvalidField("ends_at", "must be after starts_at")
	}
	if end.Sub(start) > longestSession {
		return start, end, fault.InvalidField("ends_at", "must be at most 8 hours after starts_at")
	}
	return start, end, nil
}

// inZone shows an appointment's times in the time zone it was booked in.
func inZone(a store.Appointment) store.Appointment {
	if loc, err := time.LoadLocation(a.TimeZone); err == nil {
		a.StartsAt, a.EndsAt = a.StartsAt.In(loc), a.EndsAt.In(loc)
	}
	return a
}

// createAppointment books a session for a couple; a therapist, couple or room booked twice at once
// answers 409 naming the appointment in the way.
func (s *Server) createAppointment(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Appointment, policy.Create)
	if !ok {
		return
	}
	var in appointmentInput
	if !s.bindJSON(c, &in) {
		return
	}
	booking, err := s.newAppointment(c, access.PracticeID, coupleID, in)
	if err == nil {
		err = checkPast(booking.StartsAt, time.Now(), in.RecordPast)
	}
	if err != nil {
		fail(c, err)
		return
	}
	reminders := s.mailReminders()
	if in.RecordPast {
		reminders = nil
	}
	a, err := s.store.CreateAppointment(c.Request.Context(), booking, reminders...)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, a.ID)
	c.JSON(http.StatusCreated, s.shownAppointment(access, a))
}

// newAppointment reads a booking request: its time zone (the practice's when left out), its times,
// and its therapist (the caller when left out).
func (s *Server) newAppointment(c *gin.Context, practiceID, coupleID int64, in appointmentInput) (store.NewAppointment, error) {
	if in.TimeZone == "" {
		p, err := s.store.PracticeByID(c.Request.Context(), practiceID)
		if err != nil {
			return store.NewAppointment{}, err
		}
		in.TimeZone = p.TimeZone
	}
	start, end, err := appointmentTimes(in, in.TimeZone)
	if err != nil {
		return store.NewAppointment{}, err
	}
	caller := mustCaller(c).User.ID
	if in.TherapistID == 0 {
		in.TherapistID = caller
	}
	return store.NewAppointment{PracticeID: practiceID, CoupleID: coupleID, TherapistID: in.TherapistID, StartsAt: start,
		EndsAt: end, TimeZone: in.TimeZone, Kind: in.Kind, RoomID: in.RoomID, CreatedBy: caller, OverrideTimeOff: in.OverrideTimeOff}, nil
}

// shownAppointment is an appointment as its reader sees it: in the time zone it was booked in,
// and with its clinical note named only to those who may list the couple's notes.
func (s *Server) shownAppointment(access store.Access, a store.Appointment) store.Appointment {
	a = inZone(a)
	if !s.allows(access, policy.Note, policy.List) {
		a.NoteID = nil
	}
	return a
}

func (s *Server) shownAppointments(access store.Access, list []store.Appointment) []store.Appointment {
	for i := range list {
		list[i] = s.shownAppointment(access, list[i])
	}
	return list
}

// appointmentFilter reads from, to (RFC 3339) and include_cancelled from the query.
func appointmentFilter(c *gin.Context) (store.AppointmentFilter, bool) {
	var f store.AppointmentFilter
	for _, q := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		name, dst := q.name, q.dst
		v := c.Query(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fail(c, fault.InvalidField(name, "must be a date and time like 2025-03-31T14:00:00+02:00"))
			return f, false
		}
		*dst = t
	}
	var ok bool
	f.IncludeCancelled, ok = queryBool(c, "include_cancelled")
	return f, ok
}

func (s *Server) listCoupleAppointments(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Appointment, policy.List)
	if !ok {
		return
	}
	f, ok := appointmentFilter(c)
	if !ok {
		return
	}
	list, err := s.store.CoupleAppointments(c.Request.Context(), access.PracticeID, coupleID, f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"appointments": s.shownAppointments(access, list)})
}

// listTherapistAppointments is a therapist's own schedule in the practice.
func (s *Server) listTherapistAppointments(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, policy.Appointment, policy.List)
	if !ok {
		return
	}
	f, ok := appointmentFilter(c)
	if !ok {
		return
	}
	list, err := s.store.TherapistAppointments(c.Request.Context(), pid, uid, f)
	if err != nil {
		fail(c, err)
		return
	}
	// A schedule names no clinical notes: the couple's record does, to its care team.
	c.JSON(http.StatusOK, gin.H{"appointments": s.shownAppointments(store.Access{}, list)})
}

// authorizeMember resolves the member named by :pid and :uid and asks the policy about object
// and action; it answers the request itself when it returns false.
func (s *Server) authorizeMember(c *gin.Context, object policy.Object, action policy.Action) (practiceID, userID int64, ok bool) {
	if practiceID, ok = pathID(c, "pid"); !ok {
		return
	}
	if userID, ok = pathID(c, "uid"); !ok {
		return
	}
	_, ok = s.authorize(c, store.Ref{Kind: store.KindMember, ID: userID, PracticeID: practiceID}, object, action)
	return
}

func (s *Server) getAppointment(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindAppointment, policy.Appointment, policy.Read)
	if !ok {
		return
	}
	a, err := s.store.AppointmentByID(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.shownAppointment(access, a))
}

// cancelAppointment cancels an appointment before it starts; skipping one occurrence of a series
// is cancelling it.
func (s *Server) cancelAppointment(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindAppointment, policy.Appointment, policy.Cancel)
	if !ok {
		return
	}
	// The version grows, so the reminders already queued find the appointment gone and send nothing.
	a, err := s.store.CancelAppointment(c.Request.Context(), access.PracticeID, id, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.shownAppointment(access, a))
}

// moveInput is an appointment's new time, read in the time zone it was booked in. Scope
// "following" moves the later occurrences of its series with it.
type moveInput struct {
	StartsAt        string `json:"starts_at" validate:"required"`
	EndsAt          string `json:"ends_at"`
	DurationMinutes int    `json:"duration_minutes" validate:"omitempty,gte=5,lte=480"`
	Scope           string `json:"scope" validate:"omitempty,oneof=this following"`
}

// moveAppointment gives an appointment a new time, never in the past; its old reminders are
// dropped and new ones scheduled. Without an end or a duration it keeps its length. With scope
// "following" the series' later occurrences move by as many days, to the same new clock time,
// and the answer lists the series.
func (s *Server) moveAppointment(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindAppointment, policy.Appointment, policy.Move)
	if !ok {
		return
	}
	var in moveInput
	if !s.bindJSON(c, &in) {
		return
	}
	ctx := c.Request.Context()
	old, err := s.store.AppointmentByID(ctx, access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	if in.EndsAt == "" && in.DurationMinutes == 0 {
		in.DurationMinutes = int(old.EndsAt.Sub(old.StartsAt).Minutes())
	}
	start, end, err := appointmentTimes(appointmentInput{StartsAt: in.StartsAt, EndsAt: in.EndsAt,
		DurationMinutes: in.DurationMinutes}, old.TimeZone)
	if err == nil && start.Before(time.Now()) {
		err = fault.InvalidField("starts_at", "is in the past: an appointment is moved to a time still to come")
	}
	if err != nil {
		fail(c, err)
		return
	}
	if in.Scope == "following" {
		list, err := s.store.MoveFollowing(ctx, access.PracticeID, id, start, end, s.mailReminders()...)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"appointments": s.shownAppointments(access, list)})
		return
	}
	a, err := s.store.MoveAppointment(ctx, access.PracticeID, id, start, end, s.mailReminders()...)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.shownAppointment(access, a))
}

// rotateCalendarFeed gives the therapist a new secret calendar link, shown once; the old one stops working.
func (s *Server) rotateCalendarFeed(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, policy.CalendarFeed, policy.Rotate)
	if !ok {
		return
	}
	token, hash := newToken()
	if err := s.store.RotateCalendarFeed(c.Request.Context(), pid, uid, hash); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"token": token, "url": "/api/v1/calendar/" + token + ".ics"})
}

func (s *Server) revokeCalendarFeed(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, policy.CalendarFeed, policy.Revoke)
	if !ok {
		return
	}
	if err := s.store.RevokeCalendarFeed(c.Request.Context(), pid, uid); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// calendarFeed serves a therapist's appointments as iCalendar to whoever holds the link. The
// events carry no names and no clinical text: a calendar app is not a place for them.
func (s *Server) calendarFeed(c *gin.Context) {
	token, ok := strings.CutSuffix(c.Param("token"), ".ics")
	if !ok || !wellFormedToken(token) {
		fail(c, fault.ErrNotFound)
		return
	}
	now := time.Now()
	list, err := s.store.CalendarFeedAppointments(c.Request.Context(), hashToken(token), now.Add(-calendarFeedPast))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", []byte(iCalendar(list, now)))
}

// iCalendar renders appointments as the therapist's calendar feed.
func iCalendar(list []store.Appointment, now time.Time) string {
	events := make([]ical.Event, len(list))
	for i, a := range list {
		events[i] = ical.Event{UID: fmt.Sprintf("appointment-%d@amend", a.ID), Start: a.StartsAt, End: a.EndsAt,
			LastModified: a.UpdatedAt, Summary: "Counseling session", Description: fmt.Sprintf("Couple reference C-%d", a.CoupleID),
			Cancelled: a.Status == store.AppointmentCancelled, Sequence: a.Version}
	}
	return ical.Calendar("Counseling sessions", events, now)
}
