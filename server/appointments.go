package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

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
	return time.Time{}, store.Invalid(field, "must be a date and time like 2025-03-31T14:00:00+02:00")
}

// loadZone reads an IANA time-zone name; names that depend on the server's setup are refused.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, store.Invalid("time_zone", "must be an IANA time-zone name such as Europe/Berlin")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, store.Invalid("time_zone", "must be an IANA time-zone name such as Europe/Berlin")
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
		return start, end, store.Invalid("duration_minutes", "must be left out when ends_at is given")
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
		return start, end, store.Invalid("ends_at", "must be after starts_at")
	}
	if end.Sub(start) > longestSession {
		return start, end, store.Invalid("ends_at", "must be at most 8 hours after starts_at")
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

func inZones(list []store.Appointment) []store.Appointment {
	for i := range list {
		list[i] = inZone(list[i])
	}
	return list
}

// createAppointment books a session for a couple; a therapist booked twice at once answers 409.
func (s *Server) createAppointment(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", "couple", "appointment", "create")
	if !ok {
		return
	}
	var in appointmentInput
	if !s.bindJSON(c, &in) {
		return
	}
	ctx := c.Request.Context()
	if in.TimeZone == "" {
		p, err := s.store.PracticeByID(ctx, access.PracticeID)
		if err != nil {
			fail(c, err)
			return
		}
		in.TimeZone = p.TimeZone
	}
	start, end, err := appointmentTimes(in, in.TimeZone)
	if err != nil {
		fail(c, err)
		return
	}
	caller := mustCaller(c).User.ID
	if in.TherapistID == 0 {
		in.TherapistID = caller
	}
	a, err := s.store.CreateAppointment(ctx, store.NewAppointment{PracticeID: access.PracticeID, CoupleID: coupleID,
		TherapistID: in.TherapistID, StartsAt: start, EndsAt: end, TimeZone: in.TimeZone, CreatedBy: caller})
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, a.ID)
	c.JSON(http.StatusCreated, inZone(a))
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
			fail(c, store.Invalid(name, "must be a date and time like 2025-03-31T14:00:00+02:00"))
			return f, false
		}
		*dst = t
	}
	var ok bool
	f.IncludeCancelled, ok = queryBool(c, "include_cancelled")
	return f, ok
}

func (s *Server) listCoupleAppointments(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", "couple", "appointment", "list")
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
	c.JSON(http.StatusOK, gin.H{"appointments": inZones(list)})
}

// listTherapistAppointments is a therapist's own schedule in the practice.
func (s *Server) listTherapistAppointments(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, "appointment", "list")
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
	c.JSON(http.StatusOK, gin.H{"appointments": inZones(list)})
}

// authorizeMember resolves the member named by :pid and :uid and asks the policy about object
// and action; it answers the request itself when it returns false.
func (s *Server) authorizeMember(c *gin.Context, object, action string) (practiceID, userID int64, ok bool) {
	if practiceID, ok = pathID(c, "pid"); !ok {
		return
	}
	if userID, ok = pathID(c, "uid"); !ok {
		return
	}
	_, ok = s.authorize(c, store.Ref{Kind: "member", ID: userID, PracticeID: practiceID}, object, action)
	return
}

func (s *Server) getAppointment(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", "appointment", "appointment", "read")
	if !ok {
		return
	}
	a, err := s.store.AppointmentByID(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, inZone(a))
}

func (s *Server) cancelAppointment(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", "appointment", "appointment", "cancel")
	if !ok {
		return
	}
	a, err := s.store.CancelAppointment(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, inZone(a))
}

// rotateCalendarFeed gives the therapist a new secret calendar link, shown once; the old one stops working.
func (s *Server) rotateCalendarFeed(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, "calendar_feed", "rotate")
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
	pid, uid, ok := s.authorizeMember(c, "calendar_feed", "revoke")
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
		fail(c, errNotFound)
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

// iCalendar renders appointments as an RFC 5545 calendar.
func iCalendar(list []store.Appointment, now time.Time) string {
	const stamp = "20060102T150405Z"
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Amend//Counseling sessions//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:Counseling sessions")
	for _, a := range list {
		status, sequence := "CONFIRMED", 0
		if a.Status == store.AppointmentCancelled {
			status, sequence = "CANCELLED", 1
		}
		line("BEGIN:VEVENT")
		line("UID:appointment-%d@amend", a.ID)
		line("DTSTAMP:%s", now.UTC().Format(stamp))
		line("LAST-MODIFIED:%s", a.UpdatedAt.UTC().Format(stamp))
		line("DTSTART:%s", a.StartsAt.UTC().Format(stamp))
		line("DTEND:%s", a.EndsAt.UTC().Format(stamp))
		line("SUMMARY:Counseling session")
		line("DESCRIPTION:Couple reference C-%d", a.CoupleID)
		line("STATUS:%s", status)
		line("SEQUENCE:%d", sequence)
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return b.String()
}
