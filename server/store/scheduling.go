package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Booking is the time an appointment takes of a therapist, a couple and perhaps a room.
type Booking struct {
	CoupleID    int64
	TherapistID int64
	RoomID      *int64
	StartsAt    time.Time
	EndsAt      time.Time
}

func (in NewAppointment) booking() Booking {
	return Booking{CoupleID: in.CoupleID, TherapistID: in.TherapistID, RoomID: nonZeroID(in.RoomID), StartsAt: in.StartsAt, EndsAt: in.EndsAt}
}

func (a Appointment) booking() Booking {
	return Booking{CoupleID: a.CoupleID, TherapistID: a.TherapistID, RoomID: a.RoomID, StartsAt: a.StartsAt, EndsAt: a.EndsAt}
}

// The exclusion constraints that keep a therapist, a couple and a room from being booked twice.
const (
	therapistTaken = "appointments_no_double_booking"
	coupleTaken    = "appointments_no_couple_double_booking"
	roomTaken      = "appointments_no_room_double_booking"
)

// bookingError turns a violated no-double-booking constraint into a conflict that names the
// appointment the wanted bookings collide with, its times read in zone; other errors pass as they
// are. exclude are appointments being moved, which do not collide with themselves.
func (s *Store) bookingError(ctx context.Context, err error, zone string, wanted []Booking, exclude []int64) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23P01" {
		return err
	}
	if exclude == nil {
		exclude = []int64{}
	}
	for _, b := range wanted {
		var hit struct {
			StartsAt      time.Time      `db:"starts_at"`
			EndsAt        time.Time      `db:"ends_at"`
			TherapistName string         `db:"therapist_name"`
			RoomName      sql.NullString `db:"room_name"`
		}
		err := s.db.GetContext(ctx, &hit, `
			SELECT a.starts_at, a.ends_at, t.name AS therapist_name, r.name AS room_name
			FROM appointments a JOIN users t ON t.id = a.therapist_id LEFT JOIN rooms r ON r.id = a.room_id
			WHERE a.status = 'scheduled' AND tstzrange(a.starts_at, a.ends_at) && tstzrange($1, $2)
			  AND NOT (a.id = ANY($3))
			  AND CASE $4::text WHEN $5::text THEN a.therapist_id = $6 WHEN $7::text THEN a.couple_id = $8 ELSE a.room_id = $9 END
			ORDER BY a.starts_at LIMIT 1`,
			b.StartsAt, b.EndsAt, pq.Int64Array(exclude), pqErr.Constraint, therapistTaken, b.TherapistID, coupleTaken, b.CoupleID, b.RoomID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return pgerr.Map(err)
		}
		when := timeSpan(hit.StartsAt, hit.EndsAt, zone)
		switch pqErr.Constraint {
		case therapistTaken:
			return fault.ConflictField("starts_at", fmt.Sprintf("%s already has an appointment %s", hit.TherapistName, when))
		case coupleTaken:
			return fault.ConflictField("starts_at", fmt.Sprintf("this couple already has an appointment with %s %s", hit.TherapistName, when))
		default:
			return fault.ConflictField("room_id", fmt.Sprintf("%s is booked %s", hit.RoomName.String, when))
		}
	}
	return fault.ConflictField("starts_at", "that time was taken a moment ago; please choose another")
}

// timeSpan reads an appointment's times as a person would, in zone: "from 14:00 to 14:50 on
// Monday 1 July 2030".
func timeSpan(start, end time.Time, zone string) string {
	if loc, err := time.LoadLocation(zone); err == nil {
		start, end = start.In(loc), end.In(loc)
	}
	return fmt.Sprintf("from %s to %s on %s", start.Format("15:04"), end.Format("15:04"), start.Format("Monday 2 January 2006"))
}

// deferBookingChecks lets a transaction move several appointments past one another: the
// no-double-booking constraints are checked at commit, on the result.
func deferBookingChecks(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `SET CONSTRAINTS `+therapistTaken+`, `+coupleTaken+`, `+roomTaken+` DEFERRED`)
	return err
}

// RecordAttendanceTx records an appointment's attendance within tx, which the caller owns, and
// charges what it makes chargeable (ChargeAppointment: a zero fee charges nothing), so the
// charge commits or fails with it. Attendance is recorded once:
// attended or no-show once the appointment has started; a late cancellation only inside the
// practice's cancellation window before the start; a cancellation any time before the start.
// Either cancellation frees the time.
func RecordAttendanceTx(ctx context.Context, tx *sqlx.Tx, practiceID, id int64, attendance string, now time.Time) error {
	var a struct {
		StartsAt    time.Time `db:"starts_at"`
		Status      string    `db:"status"`
		Attendance  *string   `db:"attendance"`
		WindowHours int       `db:"window_hours"`
	}
	if err := tx.GetContext(ctx, &a, `
		SELECT a.starts_at, a.status, a.attendance, p.cancellation_window_hours AS window_hours
		FROM appointments a JOIN couples c ON c.id = a.couple_id JOIN practices p ON p.id = c.practice_id
		WHERE a.id = $1 AND c.practice_id = $2 FOR UPDATE OF a`, id, practiceID); err != nil {
		return pgerr.Map(err)
	}
	switch {
	case a.Status != AppointmentScheduled:
		return errNotScheduled
	case a.Attendance != nil:
		return fault.ConflictBecause("attendance is recorded already")
	}
	started := !now.Before(a.StartsAt)
	window := time.Duration(a.WindowHours) * time.Hour
	switch attendance {
	case AttendanceAttended, AttendanceNoShow:
		if !started {
			return fault.InvalidField("attendance", "can be attended or no-show only once the appointment has started")
		}
	case AttendanceLateCancel:
		if started || now.Before(a.StartsAt.Add(-window)) {
			return fault.InvalidField("attendance", fmt.Sprintf("can be a late cancellation only in the %d hours before the start", a.WindowHours))
		}
	case AttendanceCancelled:
		if started {
			return fault.InvalidField("attendance", "can be cancelled only before the appointment starts")
		}
	default:
		return fault.InvalidField("attendance", "must be attended, no_show, late_cancel or cancelled")
	}
	cancels := attendance == AttendanceLateCancel || attendance == AttendanceCancelled
	_, err := tx.ExecContext(ctx, `
		UPDATE appointments SET attendance = $2, attendance_recorded_at = $3, updated_at = now(),
			status = CASE WHEN $4 THEN 'cancelled' ELSE status END,
			cancelled_at = CASE WHEN $4 THEN $3 ELSE cancelled_at END,
			version = version + CASE WHEN $4 THEN 1 ELSE 0 END
		WHERE id = $1`, id, attendance, now, cancels)
	if err != nil {
		return err
	}
	if kind, chargeable := attendanceCharges[attendance]; chargeable {
		if _, err := ChargeAppointment(ctx, tx, practiceID, id, kind); err != nil {
			return err
		}
	}
	return nil
}

// attendanceCharges is what each chargeable attendance charges the appointment for; a
// cancellation in good time charges nothing.
var attendanceCharges = map[string]string{
	AttendanceAttended:   ChargeSession,
	AttendanceNoShow:     ChargeNoShow,
	AttendanceLateCancel: ChargeLateCancel,
}

// RecordAttendance records an appointment's attendance in a transaction of its own (see
// RecordAttendanceTx); after runs in it.
func (s *Store) RecordAttendance(ctx context.Context, practiceID, id int64, attendance string, now time.Time, after ...AfterChange) (Appointment, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := RecordAttendanceTx(ctx, tx, practiceID, id, attendance, now); err != nil {
			return err
		}
		return runAfter(ctx, tx, id, after)
	})
	if err != nil {
		return Appointment{}, err
	}
	return s.AppointmentByID(ctx, practiceID, id)
}

// Series is a weekly or every-other-week run of appointments; its occurrences are appointments.
type Series struct {
	ID            int64     `db:"id" json:"id"`
	CoupleID      int64     `db:"couple_id" json:"couple_id"`
	TherapistID   int64     `db:"therapist_id" json:"therapist_id"`
	IntervalWeeks int       `db:"interval_weeks" json:"interval_weeks"`
	TimeZone      string    `db:"time_zone" json:"time_zone"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
}

// Occurrences lists count starts, every intervalWeeks weeks from first, at first's wall-clock time
// in loc: across a daylight-saving change the hour on the clock stays and the instant moves.
func Occurrences(first time.Time, loc *time.Location, intervalWeeks, count int) []time.Time {
	local := first.In(loc)
	out := make([]time.Time, count)
	for i := range out {
		out[i] = time.Date(local.Year(), local.Month(), local.Day()+7*intervalWeeks*i,
			local.Hour(), local.Minute(), local.Second(), 0, loc)
	}
	return out
}

// CreateSeries books a series: the first appointment, and count-1 more every intervalWeeks weeks
// at the same wall-clock time in its time zone. Every occurrence is checked like a single booking;
// the first collision refuses the whole series and is named. after runs for each occurrence.
func (s *Store) CreateSeries(ctx context.Context, first NewAppointment, intervalWeeks, count int, after ...AfterChange) (Series, error) {
	loc, err := time.LoadLocation(first.TimeZone)
	if err != nil {
		return Series{}, fault.InvalidField("time_zone", "must be an IANA time-zone name such as Europe/Berlin")
	}
	length := first.EndsAt.Sub(first.StartsAt)
	var wanted []Booking
	var series Series
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &series, `
			INSERT INTO appointment_series (couple_id, therapist_id, interval_weeks, time_zone, created_by)
			SELECT c.id, $3, $4, $5, $6 FROM couples c WHERE c.id = $2 AND c.practice_id = $1
			RETURNING id, couple_id, therapist_id, interval_weeks, time_zone, created_at`,
			first.PracticeID, first.CoupleID, first.TherapistID, intervalWeeks, first.TimeZone, nonZeroID(first.CreatedBy)); err != nil {
			return err
		}
		for _, start := range Occurrences(first.StartsAt, loc, intervalWeeks, count) {
			one := first
			one.StartsAt, one.EndsAt, one.SeriesID = start, start.Add(length), series.ID
			wanted = append(wanted, one.booking())
			id, err := insertAppointment(ctx, tx, one)
			if err != nil {
				return err
			}
			if err := runAfter(ctx, tx, id, after); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Series{}, s.bookingError(ctx, err, first.TimeZone, wanted, nil)
	}
	return series, nil
}

// MoveFollowing moves a series occurrence to a new time and every later scheduled occurrence of
// its series with it: each by the same number of days, to the new wall-clock time of day in the
// series' time zone, with the new length. after runs for each moved appointment.
func (s *Store) MoveFollowing(ctx context.Context, practiceID, id int64, startsAt, endsAt time.Time, after ...AfterChange) ([]Appointment, error) {
	old, err := s.AppointmentByID(ctx, practiceID, id)
	if err != nil {
		return nil, err
	}
	if old.SeriesID == nil {
		return nil, fault.InvalidField("scope", "can be following only for an appointment of a series")
	}
	loc, err := time.LoadLocation(old.TimeZone)
	if err != nil {
		return nil, err
	}
	from, to := old.StartsAt.In(loc), startsAt.In(loc)
	days := int(civilDay(to).Sub(civilDay(from)).Hours() / 24)
	length := endsAt.Sub(startsAt)
	var following []Appointment
	if err := s.db.SelectContext(ctx, &following, appointmentSelect+` WHERE a.series_id = $1 AND c.practice_id = $2
		AND a.status = 'scheduled' AND a.starts_at >= $3 ORDER BY a.starts_at`, *old.SeriesID, practiceID, old.StartsAt); err != nil {
		return nil, pgerr.Map(err)
	}
	wanted := make([]Booking, len(following))
	ids := make([]int64, len(following))
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := deferBookingChecks(ctx, tx); err != nil {
			return err
		}
		for i, a := range following {
			day := a.StartsAt.In(loc)
			start := time.Date(day.Year(), day.Month(), day.Day()+days, to.Hour(), to.Minute(), to.Second(), 0, loc)
			wanted[i], ids[i] = a.booking(), a.ID
			wanted[i].StartsAt, wanted[i].EndsAt = start, start.Add(length)
			if err := moveTx(ctx, tx, practiceID, a.ID, start, start.Add(length)); err != nil {
				return err
			}
			if err := runAfter(ctx, tx, a.ID, after); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.bookingError(ctx, err, old.TimeZone, wanted, ids)
	}
	return s.SeriesAppointments(ctx, practiceID, *old.SeriesID)
}

// civilDay is t's calendar date as midnight UTC, for counting days between dates.
func civilDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// SeriesAppointments lists a series' occurrences in time order, cancelled ones included.
func (s *Store) SeriesAppointments(ctx context.Context, practiceID, seriesID int64) ([]Appointment, error) {
	out := []Appointment{}
	err := s.db.SelectContext(ctx, &out, appointmentSelect+` WHERE a.series_id = $1 AND c.practice_id = $2 ORDER BY a.starts_at, a.id`,
		seriesID, practiceID)
	return out, pgerr.Map(err)
}

// CareTeam lists the therapists on a couple's care team.
func (s *Store) CareTeam(ctx context.Context, practiceID, coupleID int64) ([]int64, error) {
	out := []int64{}
	err := s.db.SelectContext(ctx, &out, `SELECT ct.therapist_id FROM care_team ct JOIN couples c ON c.id = ct.couple_id
		WHERE ct.couple_id = $1 AND c.practice_id = $2 ORDER BY ct.therapist_id`, coupleID, practiceID)
	return out, pgerr.Map(err)
}

// OpenLiveSession finds a video appointment's live session, or starts one with start and links it
// (created is then true). The appointment's row stays locked until the link commits, and start
// runs in that same transaction, so callers at once get the one session and no stray one is left.
func (s *Store) OpenLiveSession(ctx context.Context, practiceID, appointmentID int64,
	start func(tx *sqlx.Tx, a Appointment) (int64, error)) (a Appointment, created bool, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &a, appointmentSelect+` WHERE a.id = $1 AND c.practice_id = $2 FOR UPDATE OF a`,
			appointmentID, practiceID); err != nil {
			return err
		}
		switch {
		case a.Kind != KindVideo:
			return fault.ConflictBecause("only a video appointment opens the live room")
		case a.LiveSessionID != nil:
			return nil
		case a.Status != AppointmentScheduled:
			return fault.ConflictBecause("this appointment is cancelled")
		}
		liveSessionID, err := start(tx, a)
		if err != nil {
			return err
		}
		a.LiveSessionID, created = &liveSessionID, true
		_, err = tx.ExecContext(ctx, `UPDATE appointments SET live_session_id = $2, updated_at = now() WHERE id = $1`,
			appointmentID, liveSessionID)
		return err
	})
	return a, created, err
}

// Room is a practice's room for in-person appointments.
type Room struct {
	ID        int64     `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// CreateRoom adds a room to the practice; names are unique in a practice, ignoring case.
func (s *Store) CreateRoom(ctx context.Context, practiceID int64, name string) (Room, error) {
	var r Room
	err := pgerr.Map(s.db.GetContext(ctx, &r, `INSERT INTO rooms (practice_id, name) VALUES ($1, $2)
		RETURNING id, name, created_at`, practiceID, name))
	if fault.ErrorCode(err) == fault.Conflict {
		return r, fault.ConflictField("name", "the practice has a room of that name already")
	}
	return r, err
}

// Rooms lists the practice's rooms by name.
func (s *Store) Rooms(ctx context.Context, practiceID int64) ([]Room, error) {
	out := []Room{}
	err := s.db.SelectContext(ctx, &out, `SELECT id, name, created_at FROM rooms WHERE practice_id = $1 ORDER BY lower(name), id`, practiceID)
	return out, pgerr.Map(err)
}

// WorkingHours is one weekly window of a therapist's working time, as wall-clock "15:04" times
// (weekday 0 is Sunday).
type WorkingHours struct {
	Weekday int    `db:"weekday" json:"weekday"`
	Starts  string `db:"starts" json:"starts"`
	Ends    string `db:"ends" json:"ends"`
}

// WeeklyHours is a therapist's working week in one time zone.
type WeeklyHours struct {
	TimeZone string         `json:"time_zone"`
	Hours    []WorkingHours `json:"hours"`
}

// SetWorkingHours replaces a therapist's working week. The member must be a therapist of the practice.
func (s *Store) SetWorkingHours(ctx context.Context, practiceID, therapistID int64, week WeeklyHours) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var therapist bool
		if err := tx.GetContext(ctx, &therapist, `SELECT EXISTS (SELECT 1 FROM memberships WHERE practice_id = $1
			AND user_id = $2 AND role = 'therapist' AND disabled_at IS NULL)`, practiceID, therapistID); err != nil {
			return err
		}
		if !therapist {
			return fault.InvalidField("", "working hours are kept for therapists only")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM working_hours WHERE practice_id = $1 AND therapist_id = $2`,
			practiceID, therapistID); err != nil {
			return err
		}
		for _, h := range week.Hours {
			if _, err := tx.ExecContext(ctx, `INSERT INTO working_hours (practice_id, therapist_id, weekday, starts, ends, time_zone)
				VALUES ($1, $2, $3, $4::time, $5::time, $6)`, practiceID, therapistID, h.Weekday, h.Starts, h.Ends, week.TimeZone); err != nil {
				return err
			}
		}
		return nil
	})
}

// WorkingHoursOf returns a therapist's working week; with none set, no hours in the practice's zone.
func (s *Store) WorkingHoursOf(ctx context.Context, practiceID, therapistID int64) (WeeklyHours, error) {
	week := WeeklyHours{Hours: []WorkingHours{}}
	if err := s.db.GetContext(ctx, &week.TimeZone, `SELECT coalesce((SELECT time_zone FROM working_hours
		WHERE practice_id = $1 AND therapist_id = $2 LIMIT 1), (SELECT time_zone FROM practices WHERE id = $1))`,
		practiceID, therapistID); err != nil {
		return week, pgerr.Map(err)
	}
	err := s.db.SelectContext(ctx, &week.Hours, `SELECT weekday, to_char(starts, 'HH24:MI') AS starts, to_char(ends, 'HH24:MI') AS ends
		FROM working_hours WHERE practice_id = $1 AND therapist_id = $2 ORDER BY weekday, starts`, practiceID, therapistID)
	return week, pgerr.Map(err)
}

// Slot is a stretch of time.
type Slot struct {
	StartsAt time.Time `db:"starts_at" json:"starts_at"`
	EndsAt   time.Time `db:"ends_at" json:"ends_at"`
}

// OpenSlots cuts a working week into slots of length between from and to, leaving out those that
// overlap busy times or start before notBefore. Windows are read on each calendar day in the
// week's time zone, so they keep their wall-clock hours across daylight-saving changes.
func OpenSlots(week WeeklyHours, busy []Slot, from, to, notBefore time.Time, length time.Duration) []Slot {
	out := []Slot{}
	loc, err := time.LoadLocation(week.TimeZone)
	if err != nil || length <= 0 {
		return out
	}
	first := from.In(loc)
	for day := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc); day.Before(to); day = day.AddDate(0, 0, 1) {
		for _, h := range week.Hours {
			if h.Weekday != int(day.Weekday()) {
				continue
			}
			start, end := clockOn(day, h.Starts, loc), clockOn(day, h.Ends, loc)
			for t := start; !t.Add(length).After(end); t = t.Add(length) {
				slot := Slot{StartsAt: t, EndsAt: t.Add(length)}
				if t.Before(from) || slot.EndsAt.After(to) || t.Before(notBefore) || overlapsAny(slot, busy) {
					continue
				}
				out = append(out, slot)
			}
		}
	}
	return out
}

// clockOn is the wall-clock time "15:04" on day in loc.
func clockOn(day time.Time, clock string, loc *time.Location) time.Time {
	t, err := time.Parse("15:04", clock)
	if err != nil {
		return day
	}
	return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, loc)
}

func overlapsAny(slot Slot, busy []Slot) bool {
	for _, b := range busy {
		if slot.StartsAt.Before(b.EndsAt) && b.StartsAt.Before(slot.EndsAt) {
			return true
		}
	}
	return false
}

// BusyTimes lists the scheduled appointments of the therapist or the couple, and the therapist's
// time off, overlapping from–to.
func (s *Store) BusyTimes(ctx context.Context, practiceID, therapistID, coupleID int64, from, to time.Time) ([]Slot, error) {
	out := []Slot{}
	err := s.db.SelectContext(ctx, &out, `SELECT a.starts_at, a.ends_at
		FROM appointments a JOIN couples c ON c.id = a.couple_id
		WHERE c.practice_id = $1 AND (a.therapist_id = $2 OR a.couple_id = $3) AND a.status = 'scheduled'
		  AND a.ends_at > $4 AND a.starts_at < $5
		UNION ALL
		SELECT t.starts_at, t.ends_at FROM (`+timeOffSelect+` WHERE o.practice_id = $1 AND o.therapist_id = $2) t
		WHERE t.ends_at > $4 AND t.starts_at < $5`, practiceID, therapistID, coupleID, from, to)
	return out, pgerr.Map(err)
}

// Request statuses.
const (
	RequestPending  = "pending"
	RequestAccepted = "accepted"
	RequestDeclined = "declined"
)

// AppointmentRequest is a partner's request for a time with a therapist of the couple's care team.
type AppointmentRequest struct {
	ID            int64      `db:"id" json:"id"`
	CoupleID      int64      `db:"couple_id" json:"couple_id"`
	TherapistID   int64      `db:"therapist_id" json:"therapist_id"`
	TherapistName string     `db:"therapist_name" json:"therapist_name"`
	RequestedBy   *int64     `db:"requested_by" json:"requested_by"`
	StartsAt      time.Time  `db:"starts_at" json:"starts_at"`
	EndsAt        time.Time  `db:"ends_at" json:"ends_at"`
	TimeZone      string     `db:"time_zone" json:"time_zone"`
	Kind          string     `db:"kind" json:"kind"`
	Status        string     `db:"status" json:"status"`
	AppointmentID *int64     `db:"appointment_id" json:"appointment_id"`
	DecidedAt     *time.Time `db:"decided_at" json:"decided_at"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
}

const requestSelect = `SELECT r.id, r.couple_id, r.therapist_id, t.name AS therapist_name, r.requested_by, r.starts_at,
		r.ends_at, r.time_zone, r.kind, r.status, r.appointment_id, r.decided_at, r.created_at
	FROM appointment_requests r JOIN couples c ON c.id = r.couple_id JOIN users t ON t.id = r.therapist_id`

// CreateAppointmentRequest records a partner's request; the therapist must be on the care team.
func (s *Store) CreateAppointmentRequest(ctx context.Context, practiceID int64, in AppointmentRequest) (AppointmentRequest, error) {
	var id int64
	err := pgerr.Map(s.db.GetContext(ctx, &id, `
		INSERT INTO appointment_requests (couple_id, therapist_id, requested_by, starts_at, ends_at, time_zone, kind)
		SELECT c.id, ct.therapist_id, $4, $5, $6, $7, $8
		FROM couples c JOIN care_team ct ON ct.couple_id = c.id AND ct.therapist_id = $3
		WHERE c.id = $2 AND c.practice_id = $1 RETURNING id`,
		practiceID, in.CoupleID, in.TherapistID, in.RequestedBy, in.StartsAt, in.EndsAt, in.TimeZone, in.Kind))
	if fault.ErrorCode(err) == fault.NotFound {
		return AppointmentRequest{}, fault.InvalidField("therapist_id", "must be a therapist on the couple's care team")
	}
	if err != nil {
		return AppointmentRequest{}, err
	}
	return s.AppointmentRequestByID(ctx, practiceID, id)
}

// AppointmentRequestByID returns one request of the practice.
func (s *Store) AppointmentRequestByID(ctx context.Context, practiceID, id int64) (AppointmentRequest, error) {
	var r AppointmentRequest
	err := s.db.GetContext(ctx, &r, requestSelect+` WHERE r.id = $1 AND c.practice_id = $2`, id, practiceID)
	return r, pgerr.Map(err)
}

// AppointmentRequests lists a couple's requests, newest first.
func (s *Store) AppointmentRequests(ctx context.Context, practiceID, coupleID int64) ([]AppointmentRequest, error) {
	out := []AppointmentRequest{}
	err := s.db.SelectContext(ctx, &out, requestSelect+` WHERE r.couple_id = $1 AND c.practice_id = $2 ORDER BY r.created_at DESC, r.id DESC`,
		coupleID, practiceID)
	return out, pgerr.Map(err)
}

// DecideAppointmentRequest accepts a pending request, booking its time, or declines it. A request
// decided already is a conflict; a time taken since is refused like any booking, naming the
// appointment in the way. after runs for the booked appointment.
func (s *Store) DecideAppointmentRequest(ctx context.Context, practiceID, id, deciderID int64, accept bool, after ...AfterChange) (AppointmentRequest, error) {
	var wanted []Booking
	var zone string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var r AppointmentRequest
		if err := tx.GetContext(ctx, &r, requestSelect+` WHERE r.id = $1 AND c.practice_id = $2 FOR UPDATE OF r`, id, practiceID); err != nil {
			return err
		}
		if r.Status != RequestPending {
			return fault.ConflictBecause("this request is " + r.Status + " already")
		}
		status, appointmentID := RequestDeclined, int64(0)
		if accept {
			in := NewAppointment{PracticeID: practiceID, CoupleID: r.CoupleID, TherapistID: r.TherapistID, StartsAt: r.StartsAt,
				EndsAt: r.EndsAt, TimeZone: r.TimeZone, Kind: r.Kind, CreatedBy: deciderID}
			wanted, zone = []Booking{in.booking()}, r.TimeZone
			var err error
			if appointmentID, err = insertAppointment(ctx, tx, in); err != nil {
				return err
			}
			if err := runAfter(ctx, tx, appointmentID, after); err != nil {
				return err
			}
			status = RequestAccepted
		}
		_, err := tx.ExecContext(ctx, `UPDATE appointment_requests SET status = $2, appointment_id = $3, decided_by = $4,
			decided_at = now() WHERE id = $1`, id, status, nonZeroID(appointmentID), deciderID)
		return err
	})
	if err != nil {
		return AppointmentRequest{}, s.bookingError(ctx, err, zone, wanted, nil)
	}
	return s.AppointmentRequestByID(ctx, practiceID, id)
}

// CalendarPerson is a therapist shown on the practice's calendar.
type CalendarPerson struct {
	ID   int64  `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// CalendarCouple is a couple that can be booked from the practice's calendar: its label and care
// team, nothing of its record.
type CalendarCouple struct {
	ID         int64         `db:"id" json:"id"`
	Label      string        `db:"label" json:"label"`
	Therapists pq.Int64Array `db:"therapists" json:"therapists"`
}

// CalendarDirectory is who and what the practice's calendar books: its active therapists, its
// couples that take bookings (not closed) and its rooms.
type CalendarDirectory struct {
	Therapists []CalendarPerson `json:"therapists"`
	Couples    []CalendarCouple `json:"couples"`
	Rooms      []Room           `json:"rooms"`
}

// CalendarDirectoryOf returns the practice's calendar directory.
func (s *Store) CalendarDirectoryOf(ctx context.Context, practiceID int64) (CalendarDirectory, error) {
	d := CalendarDirectory{Therapists: []CalendarPerson{}, Couples: []CalendarCouple{}}
	if err := s.db.SelectContext(ctx, &d.Therapists, `SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.practice_id = $1 AND m.role = 'therapist' AND m.disabled_at IS NULL ORDER BY u.name, u.id`, practiceID); err != nil {
		return d, pgerr.Map(err)
	}
	if err := s.db.SelectContext(ctx, &d.Couples, `SELECT c.id, c.label,
			coalesce(array_agg(ct.therapist_id ORDER BY ct.therapist_id) FILTER (WHERE ct.therapist_id IS NOT NULL), '{}') AS therapists
		FROM couples c LEFT JOIN care_team ct ON ct.couple_id = c.id
		WHERE c.practice_id = $1 AND c.status <> 'closed' GROUP BY c.id ORDER BY c.label, c.id`, practiceID); err != nil {
		return d, pgerr.Map(err)
	}
	var err error
	d.Rooms, err = s.Rooms(ctx, practiceID)
	return d, err
}

// CancellationWindowHours is how close to the start a cancellation counts as late, in the practice.
func (s *Store) CancellationWindowHours(ctx context.Context, practiceID int64) (int, error) {
	var hours int
	err := s.db.GetContext(ctx, &hours, `SELECT cancellation_window_hours FROM practices WHERE id = $1`, practiceID)
	return hours, pgerr.Map(err)
}

// SetCancellationWindowHours changes the practice's cancellation window.
func (s *Store) SetCancellationWindowHours(ctx context.Context, practiceID int64, hours int) error {
	return expectOne(s.db.ExecContext(ctx, `UPDATE practices SET cancellation_window_hours = $2 WHERE id = $1`, practiceID, hours))
}
