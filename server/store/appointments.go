package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Appointment statuses.
const (
	AppointmentScheduled = "scheduled"
	AppointmentCancelled = "cancelled"
)

// Appointment kinds: in person takes a room; video opens the live room; phone needs neither.
const (
	KindInPerson = "in_person"
	KindVideo    = "video"
	KindPhone    = "phone"
)

// Attendance of an appointment, recorded once. A late cancellation falls inside the practice's
// cancellation window; both cancellations free the time.
const (
	AttendanceAttended   = "attended"
	AttendanceNoShow     = "no_show"
	AttendanceLateCancel = "late_cancel"
	AttendanceCancelled  = "cancelled"
)

// Appointment is a counseling session on the calendar. TimeZone is the IANA zone it was booked in,
// for showing local times; the instants are absolute.
type Appointment struct {
	ID            int64      `db:"id" json:"id"`
	CoupleID      int64      `db:"couple_id" json:"couple_id"`
	CoupleLabel   string     `db:"couple_label" json:"couple_label"`
	TherapistID   int64      `db:"therapist_id" json:"therapist_id"`
	TherapistName string     `db:"therapist_name" json:"therapist_name"`
	StartsAt      time.Time  `db:"starts_at" json:"starts_at"`
	EndsAt        time.Time  `db:"ends_at" json:"ends_at"`
	TimeZone      string     `db:"time_zone" json:"time_zone"`
	Kind          string     `db:"kind" json:"kind"`
	RoomID        *int64     `db:"room_id" json:"room_id"`
	RoomName      *string    `db:"room_name" json:"room_name"`
	SeriesID      *int64     `db:"series_id" json:"series_id"`
	Status        string     `db:"status" json:"status"`
	CancelledAt   *time.Time `db:"cancelled_at" json:"cancelled_at"`
	// Attendance is NULL until recorded.
	Attendance           *string    `db:"attendance" json:"attendance"`
	AttendanceRecordedAt *time.Time `db:"attendance_recorded_at" json:"attendance_recorded_at"`
	// LiveSessionID is the live session a video appointment opened, if any.
	LiveSessionID *int64 `db:"live_session_id" json:"live_session_id"`
	// NoteID is the clinical note recording this session, if any; only the care team is shown it.
	NoteID *int64 `db:"note_id" json:"note_id,omitempty"`
	// Version grows with every move or cancellation.
	Version   int       `db:"version" json:"version"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// NewAppointment is an appointment to book.
type NewAppointment struct {
	PracticeID  int64
	CoupleID    int64
	TherapistID int64
	StartsAt    time.Time
	EndsAt      time.Time
	TimeZone    string
	// Kind is in_person (the default), video or phone; RoomID only for in person.
	Kind      string
	RoomID    int64
	SeriesID  int64
	CreatedBy int64
	// OverrideTimeOff books the therapist even in their time off (staff's explicit choice).
	OverrideTimeOff bool
}

// AppointmentFilter narrows an appointment listing to a time window; zero times leave it open.
type AppointmentFilter struct {
	From, To         time.Time
	IncludeCancelled bool
}

const appointmentSelect = `SELECT a.id, a.couple_id, c.label AS couple_label, a.therapist_id, t.name AS therapist_name,
		a.starts_at, a.ends_at, a.time_zone, a.kind, a.room_id, r.name AS room_name, a.series_id, a.status, a.cancelled_at,
		a.attendance, a.attendance_recorded_at, a.live_session_id,
		(SELECT n.id FROM notes n WHERE n.appointment_id = a.id ORDER BY n.id LIMIT 1) AS note_id,
		a.version, a.created_at, a.updated_at
	FROM appointments a JOIN couples c ON c.id = a.couple_id JOIN users t ON t.id = a.therapist_id
	LEFT JOIN rooms r ON r.id = a.room_id`

const appointmentWindow = ` AND ($3::timestamptz IS NULL OR a.ends_at > $3) AND ($4::timestamptz IS NULL OR a.starts_at < $4)
	AND ($5 OR a.status = 'scheduled') ORDER BY a.starts_at, a.id`

// CreateAppointment books a session. The therapist must be on the couple's care team and free at
// that time, and so must the couple and the room. after runs in the same transaction.
func (s *Store) CreateAppointment(ctx context.Context, in NewAppointment, after ...AfterChange) (Appointment, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) (err error) {
		if id, err = insertAppointment(ctx, tx, in); err != nil {
			return err
		}
		return runAfter(ctx, tx, id, after)
	})
	if err != nil {
		return Appointment{}, s.bookingError(ctx, err, in.TimeZone, []Booking{in.booking()}, nil)
	}
	return s.AppointmentByID(ctx, in.PracticeID, id)
}

// insertAppointment adds one appointment within tx, checking the therapist's care-team place and
// the room's practice.
func insertAppointment(ctx context.Context, tx *sqlx.Tx, in NewAppointment) (int64, error) {
	if in.Kind == "" {
		in.Kind = KindInPerson
	}
	if in.RoomID != 0 && in.Kind != KindInPerson {
		return 0, fault.InvalidField("room_id", "is only for in-person appointments")
	}
	if in.RoomID != 0 {
		var known bool
		if err := tx.GetContext(ctx, &known, `SELECT EXISTS (SELECT 1 FROM rooms WHERE id = $1 AND practice_id = $2)`,
			in.RoomID, in.PracticeID); err != nil {
			return 0, err
		}
		if !known {
			return 0, fault.InvalidField("room_id", "must be a room of the practice")
		}
	}
	if !in.OverrideTimeOff {
		if err := checkTimeOff(ctx, tx, in.PracticeID, in.TherapistID, in.StartsAt, in.EndsAt); err != nil {
			return 0, err
		}
	}
	var id int64
	err := tx.GetContext(ctx, &id, `
		INSERT INTO appointments (couple_id, therapist_id, starts_at, ends_at, time_zone, kind, room_id, series_id, created_by)
		SELECT c.id, ct.therapist_id, $4::timestamptz, $5::timestamptz, $6::text, $7::text, $8::bigint, $9::bigint, $10::bigint
		FROM couples c JOIN care_team ct ON ct.couple_id = c.id AND ct.therapist_id = $3
		WHERE c.id = $2 AND c.practice_id = $1
		RETURNING id`, in.PracticeID, in.CoupleID, in.TherapistID, in.StartsAt, in.EndsAt, in.TimeZone, in.Kind,
		nonZeroID(in.RoomID), nonZeroID(in.SeriesID), nonZeroID(in.CreatedBy))
	if fault.ErrorCode(pgerr.Map(err)) == fault.NotFound {
		return 0, fault.InvalidField("therapist_id", "must be a therapist on the couple's care team")
	}
	return id, err
}

// AppointmentByID returns one appointment of the practice.
func (s *Store) AppointmentByID(ctx context.Context, practiceID, id int64) (Appointment, error) {
	var a Appointment
	err := s.db.GetContext(ctx, &a, appointmentSelect+` WHERE a.id = $1 AND c.practice_id = $2`, id, practiceID)
	return a, pgerr.Map(err)
}

// CoupleAppointments lists a couple's appointments in time order.
func (s *Store) CoupleAppointments(ctx context.Context, practiceID, coupleID int64, f AppointmentFilter) ([]Appointment, error) {
	out := []Appointment{}
	err := s.db.SelectContext(ctx, &out, appointmentSelect+` WHERE a.couple_id = $1 AND c.practice_id = $2`+appointmentWindow,
		coupleID, practiceID, optionalTime(f.From), optionalTime(f.To), f.IncludeCancelled)
	return out, pgerr.Map(err)
}

// TherapistAppointments lists a therapist's appointments in the practice in time order.
func (s *Store) TherapistAppointments(ctx context.Context, practiceID, therapistID int64, f AppointmentFilter) ([]Appointment, error) {
	out := []Appointment{}
	err := s.db.SelectContext(ctx, &out, appointmentSelect+` WHERE a.therapist_id = $1 AND c.practice_id = $2`+appointmentWindow,
		therapistID, practiceID, optionalTime(f.From), optionalTime(f.To), f.IncludeCancelled)
	return out, pgerr.Map(err)
}

// PracticeAppointments lists the appointments of the practice in time order, for its calendar:
// every therapist's, or one therapist's when therapistID is not 0.
func (s *Store) PracticeAppointments(ctx context.Context, practiceID, therapistID int64, f AppointmentFilter) ([]Appointment, error) {
	out := []Appointment{}
	err := s.db.SelectContext(ctx, &out, appointmentSelect+` WHERE a.therapist_id = coalesce($1, a.therapist_id) AND c.practice_id = $2`+appointmentWindow,
		nonZeroID(therapistID), practiceID, optionalTime(f.From), optionalTime(f.To), f.IncludeCancelled)
	return out, pgerr.Map(err)
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// CancelAppointment cancels a scheduled appointment, freeing its time; its attendance reads
// cancelled. after runs in the same transaction.
func (s *Store) CancelAppointment(ctx context.Context, practiceID, id int64, now time.Time, after ...AfterChange) (Appointment, error) {
	return s.RecordAttendance(ctx, practiceID, id, AttendanceCancelled, now, after...)
}

// MoveAppointment gives a scheduled appointment a new time; the therapist, the couple and the
// room must be free then. after runs in the same transaction.
func (s *Store) MoveAppointment(ctx context.Context, practiceID, id int64, startsAt, endsAt time.Time, after ...AfterChange) (Appointment, error) {
	old, err := s.AppointmentByID(ctx, practiceID, id)
	if err != nil {
		return Appointment{}, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := moveTx(ctx, tx, practiceID, id, startsAt, endsAt); err != nil {
			return err
		}
		return runAfter(ctx, tx, id, after)
	})
	if err != nil {
		moved := old.booking()
		moved.StartsAt, moved.EndsAt = startsAt, endsAt
		return Appointment{}, s.bookingError(ctx, err, old.TimeZone, []Booking{moved}, []int64{id})
	}
	return s.AppointmentByID(ctx, practiceID, id)
}

// moveTx moves one scheduled appointment within tx; one that is not scheduled any more answers a
// conflict, and so does a move into the therapist's time off.
func moveTx(ctx context.Context, tx *sqlx.Tx, practiceID, id int64, startsAt, endsAt time.Time) error {
	var therapistID int64
	err := pgerr.Map(tx.GetContext(ctx, &therapistID, `
		UPDATE appointments a SET starts_at = $3, ends_at = $4, updated_at = now(), version = version + 1
		FROM couples c WHERE a.id = $1 AND c.id = a.couple_id AND c.practice_id = $2 AND a.status = 'scheduled'
		RETURNING a.therapist_id`, id, practiceID, startsAt, endsAt))
	if fault.ErrorCode(err) == fault.NotFound {
		return errNotScheduled
	}
	if err != nil {
		return err
	}
	return checkTimeOff(ctx, tx, practiceID, therapistID, startsAt, endsAt)
}

var errNotScheduled = fault.ConflictBecause("this appointment is cancelled already")

// RotateCalendarFeed replaces the therapist's calendar feed token with one whose hash is given;
// the old link stops working.
func (s *Store) RotateCalendarFeed(ctx context.Context, practiceID, therapistID int64, tokenHash []byte) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE calendar_feeds SET revoked_at = now()
			WHERE practice_id = $1 AND therapist_id = $2 AND revoked_at IS NULL`, practiceID, therapistID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO calendar_feeds (practice_id, therapist_id, token_hash) VALUES ($1, $2, $3)`,
			practiceID, therapistID, tokenHash)
		return err
	})
}

// RevokeCalendarFeed turns the therapist's calendar feed off; fault.ErrNotFound when none is on.
func (s *Store) RevokeCalendarFeed(ctx context.Context, practiceID, therapistID int64) error {
	return expectOne(s.db.ExecContext(ctx, `UPDATE calendar_feeds SET revoked_at = now()
		WHERE practice_id = $1 AND therapist_id = $2 AND revoked_at IS NULL`, practiceID, therapistID))
}

// CalendarFeedAppointments finds the active feed with the token hash and returns its therapist's
// appointments from since onwards, cancelled ones included so calendars drop them.
// An unknown or revoked token, or a therapist no longer active in the practice, is fault.ErrNotFound.
func (s *Store) CalendarFeedAppointments(ctx context.Context, tokenHash []byte, since time.Time) ([]Appointment, error) {
	var feed struct {
		PracticeID  int64 `db:"practice_id"`
		TherapistID int64 `db:"therapist_id"`
	}
	if err := s.db.GetContext(ctx, &feed, `SELECT f.practice_id, f.therapist_id FROM calendar_feeds f
		WHERE f.token_hash = $1 AND f.revoked_at IS NULL
		  AND EXISTS (SELECT 1 FROM memberships m WHERE m.practice_id = f.practice_id AND m.user_id = f.therapist_id
		              AND m.role = 'therapist' AND m.disabled_at IS NULL)`, tokenHash); err != nil {
		return nil, pgerr.Map(err)
	}
	return s.TherapistAppointments(ctx, feed.PracticeID, feed.TherapistID, AppointmentFilter{From: since, IncludeCancelled: true})
}
