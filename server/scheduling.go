package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/store"
)

const (
	// longestSeries is how many occurrences one series books at most (a year of weekly sessions).
	longestSeries = 52
	// openSlotsDefault and openSlotsLongest bound the window of an open-slot search.
	openSlotsDefault = 14 * 24 * time.Hour
	openSlotsLongest = 62 * 24 * time.Hour
)

type seriesInput struct {
	appointmentInput
	// IntervalWeeks is 1 (weekly) or 2 (every other week); Count is how many occurrences.
	IntervalWeeks int `json:"interval_weeks" validate:"required,oneof=1 2"`
	Count         int `json:"count" validate:"required,gte=2,lte=52"`
}

// createSeries books a weekly or every-other-week series of appointments at the first one's
// wall-clock time in its time zone; one collision refuses the whole series, naming it. With
// record_past the series starts from a session that already took place (the couple came for a
// first session and stay on weekly); reminders go out only for occurrences still to come.
func (s *Server) createSeries(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Appointment, policy.Create)
	if !ok {
		return
	}
	var in seriesInput
	if !s.bindJSON(c, &in) {
		return
	}
	first, err := s.newAppointment(c, access.PracticeID, coupleID, in.appointmentInput)
	if err == nil {
		err = checkPast(first.StartsAt, time.Now(), in.RecordPast)
	}
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	series, err := s.store.CreateSeries(ctx, first, in.IntervalWeeks, in.Count, s.mailReminders()...)
	if err != nil {
		fail(c, err)
		return
	}
	list, err := s.store.SeriesAppointments(ctx, access.PracticeID, series.ID)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, series.ID)
	c.JSON(http.StatusCreated, gin.H{"series": series, "appointments": s.shownAppointments(access, list)})
}

type attendanceInput struct {
	Attendance string `json:"attendance" validate:"required,oneof=attended no_show late_cancel cancelled"`
}

// recordAttendance records whether the couple came: attended or no-show once it has started, a
// late cancellation inside the practice's cancellation window, a cancellation before the start.
func (s *Server) recordAttendance(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindAppointment, policy.Appointment, policy.Attend)
	if !ok {
		return
	}
	var in attendanceInput
	if !s.bindJSON(c, &in) {
		return
	}
	a, err := s.store.RecordAttendance(c.Request.Context(), access.PracticeID, id, in.Attendance, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	auditChange(c, "attendance", "", in.Attendance)
	c.JSON(http.StatusOK, s.shownAppointment(access, a))
}

// openVideoRoom starts a video appointment's live session, or finds the one it started: the
// first call creates and links it (201), later calls answer the same session (200).
func (s *Server) openVideoRoom(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindAppointment, policy.Appointment, policy.Start)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	a, created, err := s.store.OpenLiveSession(ctx, access.PracticeID, id, func(tx *sqlx.Tx, a store.Appointment) (int64, error) {
		session, err := s.liveLog.CreateIn(ctx, tx, realtime.NewSession{PracticeID: access.PracticeID, CoupleID: a.CoupleID,
			CreatedBy: mustCaller(c).User.ID, Mode: floor.ModeTurns})
		return session.ID, err
	})
	if err != nil {
		fail(c, err)
		return
	}
	if !created {
		c.JSON(http.StatusOK, gin.H{"live_session_id": *a.LiveSessionID})
		return
	}
	s.tellLiveSession(ctx, access.PracticeID, a.CoupleID, *a.LiveSessionID, realtime.NoticeLiveSessionStarted)
	c.JSON(http.StatusCreated, gin.H{"live_session_id": *a.LiveSessionID})
}

// practiceCalendar is every therapist's appointments of the practice in a window (a week on the
// screen), with who and what can be booked: the calendar of administrators and the front desk.
func (s *Server) practiceCalendar(c *gin.Context) {
	pid, access, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Appointment, policy.List)
	if !ok {
		return
	}
	f, ok := appointmentFilter(c)
	if !ok {
		return
	}
	var therapist int64
	if t := c.Query("therapist"); t != "" {
		var err error
		if therapist, err = strconv.ParseInt(t, 10, 64); err != nil || therapist <= 0 {
			fail(c, fault.InvalidField("therapist", "must be a user id"))
			return
		}
	}
	ctx := c.Request.Context()
	list, err := s.store.PracticeAppointments(ctx, pid, therapist, f)
	if err != nil {
		fail(c, err)
		return
	}
	directory, err := s.store.CalendarDirectoryOf(ctx, pid)
	if err != nil {
		fail(c, err)
		return
	}
	away, err := s.store.TimeOffOf(ctx, pid, therapist, f.From, f.To)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"appointments": s.shownAppointments(access, list), "therapists": directory.Therapists,
		"couples": directory.Couples, "rooms": directory.Rooms, "time_off": away})
}

func (s *Server) listRooms(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Room, policy.List)
	if !ok {
		return
	}
	rooms, err := s.store.Rooms(c.Request.Context(), pid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"rooms": rooms})
}

type roomInput struct {
	Name string `json:"name" validate:"required,max=80"`
}

func (s *Server) createRoom(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Room, policy.Create)
	if !ok {
		return
	}
	var in roomInput
	if !s.bindJSON(c, &in) {
		return
	}
	room, err := s.store.CreateRoom(c.Request.Context(), pid, in.Name)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, room.ID)
	c.JSON(http.StatusCreated, room)
}

func (s *Server) getWorkingHours(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, policy.WorkingHours, policy.Read)
	if !ok {
		return
	}
	week, err := s.store.WorkingHoursOf(c.Request.Context(), pid, uid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, week)
}

type workingHoursInput struct {
	TimeZone string `json:"time_zone" validate:"required,max=64"`
	Hours    []struct {
		Weekday *int   `json:"weekday" validate:"required,gte=0,lte=6"`
		Starts  string `json:"starts" validate:"required"`
		Ends    string `json:"ends" validate:"required"`
	} `json:"hours" validate:"max=50,dive"`
}

// checkWorkingHours reads a working week: wall-clock "15:04" windows that end after they start
// and do not overlap on the same weekday.
func checkWorkingHours(in workingHoursInput) (store.WeeklyHours, error) {
	if _, err := loadZone(in.TimeZone); err != nil {
		return store.WeeklyHours{}, err
	}
	week := store.WeeklyHours{TimeZone: in.TimeZone, Hours: []store.WorkingHours{}}
	for _, h := range in.Hours {
		starts, err1 := time.Parse("15:04", h.Starts)
		ends, err2 := time.Parse("15:04", h.Ends)
		if err1 != nil || err2 != nil {
			return week, fault.InvalidField("hours", "must give times like 09:00 and 17:30")
		}
		if !ends.After(starts) {
			return week, fault.InvalidField("hours", "must end after they start")
		}
		week.Hours = append(week.Hours, store.WorkingHours{Weekday: *h.Weekday, Starts: h.Starts, Ends: h.Ends})
	}
	slices.SortFunc(week.Hours, func(a, b store.WorkingHours) int {
		if a.Weekday != b.Weekday {
			return a.Weekday - b.Weekday
		}
		return compareClock(a.Starts, b.Starts)
	})
	for i := 1; i < len(week.Hours); i++ {
		prev, h := week.Hours[i-1], week.Hours[i]
		if prev.Weekday == h.Weekday && compareClock(h.Starts, prev.Ends) < 0 {
			return week, fault.InvalidField("hours", "must not overlap on the same day")
		}
	}
	return week, nil
}

// compareClock orders two "15:04" times (zero-padded, so as text).
func compareClock(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Server) setWorkingHours(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, policy.WorkingHours, policy.Update)
	if !ok {
		return
	}
	var in workingHoursInput
	if !s.bindJSON(c, &in) {
		return
	}
	week, err := checkWorkingHours(in)
	if err == nil {
		err = s.store.SetWorkingHours(c.Request.Context(), pid, uid, week)
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, week)
}

// slotQuery is an open-slot search: a therapist of the couple's care team, a window and a length.
type slotQuery struct {
	TherapistID int64
	From, To    time.Time
	Length      time.Duration
}

// readSlotQuery reads therapist_id (0 when left out), from, to (RFC 3339; now and two weeks on
// when left out) and duration_minutes (50 when left out) from the query.
func readSlotQuery(c *gin.Context) (slotQuery, bool) {
	f, ok := appointmentFilter(c)
	if !ok {
		return slotQuery{}, false
	}
	q := slotQuery{From: f.From, To: f.To, Length: defaultSessionLength}
	if t := c.Query("therapist_id"); t != "" {
		therapist, err := strconv.ParseInt(t, 10, 64)
		if err != nil || therapist <= 0 {
			fail(c, fault.InvalidField("therapist_id", "must be a user id"))
			return q, false
		}
		q.TherapistID = therapist
	}
	if d := c.Query("duration_minutes"); d != "" {
		minutes, err := strconv.Atoi(d)
		if err != nil || minutes < 5 || minutes > 480 {
			fail(c, fault.InvalidField("duration_minutes", "must be a number of minutes from 5 to 480"))
			return q, false
		}
		q.Length = time.Duration(minutes) * time.Minute
	}
	if q.From.IsZero() {
		q.From = time.Now()
	}
	if q.To.IsZero() {
		q.To = q.From.Add(openSlotsDefault)
	}
	if !q.To.After(q.From) || q.To.Sub(q.From) > openSlotsLongest {
		fail(c, fault.InvalidField("to", "must be after from, and at most 62 days after it"))
		return q, false
	}
	return q, true
}

// openSlots is the therapist's working hours cut into slots, minus the times the therapist or the
// couple is booked and minus the past.
func (s *Server) openSlots(ctx context.Context, practiceID, coupleID int64, q slotQuery) ([]store.Slot, error) {
	week, err := s.store.WorkingHoursOf(ctx, practiceID, q.TherapistID)
	if err != nil {
		return nil, err
	}
	busy, err := s.store.BusyTimes(ctx, practiceID, q.TherapistID, coupleID, q.From, q.To)
	if err != nil {
		return nil, err
	}
	return store.OpenSlots(week, busy, q.From, q.To, time.Now(), q.Length), nil
}

func (s *Server) listOpenSlots(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.OpenSlot, policy.List)
	if !ok {
		return
	}
	q, ok := readSlotQuery(c)
	if !ok {
		return
	}
	team, err := s.store.CareTeam(c.Request.Context(), access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	switch {
	case q.TherapistID == 0 && len(team) == 0:
		c.JSON(http.StatusOK, gin.H{"slots": []store.Slot{}})
		return
	case q.TherapistID == 0:
		q.TherapistID = team[0]
	case !slices.Contains(team, q.TherapistID):
		fail(c, fault.InvalidField("therapist_id", "must be a therapist on the couple's care team"))
		return
	}
	slots, err := s.openSlots(c.Request.Context(), access.PracticeID, coupleID, q)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"slots": slots})
}

type requestInput struct {
	TherapistID     int64  `json:"therapist_id" validate:"required,gte=1"`
	StartsAt        string `json:"starts_at" validate:"required"`
	DurationMinutes int    `json:"duration_minutes" validate:"omitempty,gte=5,lte=480"`
	Kind            string `json:"kind" validate:"omitempty,oneof=in_person video phone"`
}

// createAppointmentRequest records a partner's request for one of the therapist's open slots.
func (s *Server) createAppointmentRequest(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.AppointmentRequest, policy.Create)
	if !ok {
		return
	}
	var in requestInput
	if !s.bindJSON(c, &in) {
		return
	}
	start, err := time.Parse(time.RFC3339, in.StartsAt)
	if err != nil {
		fail(c, fault.InvalidField("starts_at", "must be a date and time like 2025-03-31T14:00:00+02:00"))
		return
	}
	if in.DurationMinutes == 0 {
		in.DurationMinutes = int(defaultSessionLength.Minutes())
	}
	if in.Kind == "" {
		in.Kind = store.KindInPerson
	}
	ctx := c.Request.Context()
	length := time.Duration(in.DurationMinutes) * time.Minute
	q := slotQuery{TherapistID: in.TherapistID, From: start, To: start.Add(length), Length: length}
	slots, err := s.openSlots(ctx, access.PracticeID, coupleID, q)
	if err != nil {
		fail(c, err)
		return
	}
	if len(slots) != 1 || !slots[0].StartsAt.Equal(start) {
		fail(c, fault.InvalidField("starts_at", "must be one of the therapist's open slots"))
		return
	}
	week, err := s.store.WorkingHoursOf(ctx, access.PracticeID, in.TherapistID)
	if err != nil {
		fail(c, err)
		return
	}
	r, err := s.store.CreateAppointmentRequest(ctx, access.PracticeID, store.AppointmentRequest{CoupleID: coupleID,
		TherapistID: in.TherapistID, RequestedBy: &mustCaller(c).User.ID, StartsAt: start, EndsAt: start.Add(length),
		TimeZone: week.TimeZone, Kind: in.Kind})
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, r.ID)
	c.JSON(http.StatusCreated, r)
}

func (s *Server) listAppointmentRequests(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.AppointmentRequest, policy.List)
	if !ok {
		return
	}
	list, err := s.store.AppointmentRequests(c.Request.Context(), access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"requests": list})
}

// decideAppointmentRequest accepts (booking the time) or declines a partner's request.
func (s *Server) decideAppointmentRequest(accept bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, access, ok := s.authorizeID(c, "id", store.KindAppointmentRequest, policy.AppointmentRequest, policy.Decide)
		if !ok {
			return
		}
		var after []store.AfterChange
		if accept {
			after = s.mailReminders()
		}
		r, err := s.store.DecideAppointmentRequest(c.Request.Context(), access.PracticeID, id, mustCaller(c).User.ID, accept, after...)
		if err != nil {
			fail(c, err)
			return
		}
		auditChange(c, "status", store.RequestPending, r.Status)
		c.JSON(http.StatusOK, r)
	}
}

type schedulingSettings struct {
	CancellationWindowHours *int `json:"cancellation_window_hours" validate:"required,gte=0,lte=168"`
}

func (s *Server) getSchedulingSettings(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.SchedulingSettings, policy.Read)
	if !ok {
		return
	}
	hours, err := s.store.CancellationWindowHours(c.Request.Context(), pid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, schedulingSettings{CancellationWindowHours: &hours})
}

// setSchedulingSettings changes the practice's cancellation window (hours before the start
// inside which a cancellation is late).
func (s *Server) setSchedulingSettings(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.SchedulingSettings, policy.Update)
	if !ok {
		return
	}
	var in schedulingSettings
	if !s.bindJSON(c, &in) {
		return
	}
	ctx := c.Request.Context()
	before, err := s.store.CancellationWindowHours(ctx, pid)
	if err == nil {
		err = s.store.SetCancellationWindowHours(ctx, pid, *in.CancellationWindowHours)
	}
	if err != nil {
		fail(c, err)
		return
	}
	auditChange(c, "cancellation_window_hours", strconv.Itoa(before), strconv.Itoa(*in.CancellationWindowHours))
	c.JSON(http.StatusOK, in)
}
