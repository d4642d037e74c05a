package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Appointment statuses.
const (
	AppointmentScheduled = "scheduled"
	AppointmentCancelled = "cancelled"
)

// Appointment is a counseling session on the calendar. TimeZone is the IANA zone it was booked in,
// for showing local times; the instants are absolute.
type Appointment struct {
	ID          int64      `db:"id" json:"id"`
	CoupleID    int64      `db:"couple_id" json:"couple_id"`
	CoupleLabel string     `db:"couple_label" json:"couple_label"`
	TherapistID int64      `db:"therapist_id" json:"therapist_id"`
	StartsAt    time.Time  `db:"starts_at" json:"starts_at"`
	EndsAt      time.Time  `db:"ends_at" json:"ends_at"`
	TimeZone    string     `db:"time_zone" json:"time_zone"`
	Status      string     `db:"status" json:"status"`
	CancelledAt *time.Time `db:"cancelled_at" json:"cancelled_at"`
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
	CreatedBy   int64
}

// AppointmentFilter narrows an appointment listing to a time window; zero times leave it open.
type AppointmentFilter struct {
	From, To         time.Time
	IncludeCancelled bool
}

const appointmentSelect = `SELECT a.id, a.couple_id, c.label AS couple_label, a.therapist_id, a.starts_at, a.ends_at,
		a.time_zone, a.status, a.cancelled_at, a.version, a.created_at, a.updated_at
	FROM appointments a JOIN couples c ON c.id = a.couple_id`

const appointmentWindow = ` AND ($3::timestamptz IS NULL OR a.ends_at > $3) AND ($4::timestamptz IS NULL OR a.starts_at < $4)
	AND ($5 OR a.status = 'scheduled') ORDER BY a.starts_at, a.id`

var errDoubleBooked = Conflict("the therapist already has an appointment at that time")

// CreateAppointment books a session. The therapist must be on the couple's care team and free at
// that time. after runs in the same transaction.
func (s *Store) CreateAppointment(ctx context.Context, in NewAppointment, after ...AfterChange) (Appointment, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, `
			INSERT INTO appointments (couple_id, therapist_id, starts_at, ends_at, time_zone, created_by)
			SELECT c.id, ct.therapist_id, $4::timestamptz, $5::timestamptz, $6::text, $7::bigint
			FROM couples c JOIN care_team ct ON ct.couple_id = c.id AND ct.therapist_id = $3
			WHERE c.id = $2 AND c.practice_id = $1
			RETURNING id`, in.PracticeID, in.CoupleID, in.TherapistID, in.StartsAt, in.EndsAt, in.TimeZone, nonZeroID(in.CreatedBy))
		if errors.Is(mapError(err), ErrNotFound) {
			return Invalid("therapist_id", "must be a therapist on the couple's care team")
		}
		if err != nil {
			return bookingError(err)
		}
		return runAfter(ctx, tx, id, after)
	})
	if err != nil {
		return Appointment{}, err
	}
	return s.AppointmentByID(ctx, in.PracticeID, id)
}

// bookingError turns a violated no-double-booking constraint into a conflict the caller can read.
func bookingError(err error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23P01" {
		return errDoubleBooked
	}
	return err
}

// AppointmentByID returns one appointment of the practice.
func (s *Store) AppointmentByID(ctx context.Context, practiceID, id int64) (Appointment, error) {
	var a Appointment
	err := s.db.GetContext(ctx, &a, appointmentSelect+` WHERE a.id = $1 AND c.practice_id = $2`, id, practiceID)
	return a, mapError(err)
}

// CoupleAppointments lists a couple's appointments in time order.
func (s *Store) CoupleAppointments(ctx context.Context, practiceID, coupleID int64, f AppointmentFilter) ([]Appointment, error) {
	out := []Appointment{}
	err := s.db.SelectContext(ctx, &out, appointmentSelect+` WHERE a.couple_id = $1 AND c.practice_id = $2`+appointmentWindow,
		coupleID, practiceID, optionalTime(f.From), optionalTime(f.To), f.IncludeCancelled)
	return out, mapError(err)
}

// TherapistAppointments lists a therapist's appointments in the practice in time order.
func (s *Store) TherapistAppointments(ctx context.Context, practiceID, therapistID int64, f AppointmentFilter) ([]Appointment, error) {
	out := []Appointment{}
	err := s.db.SelectContext(ctx, &out, appointmentSelect+` WHERE a.therapist_id = $1 AND c.practice_id = $2`+appointmentWindow,
		therapistID, practiceID, optionalTime(f.From), optionalTime(f.To), f.IncludeCancelled)
	return out, mapError(err)
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// CancelAppointment cancels a scheduled appointment, freeing the therapist's time; after runs in
// the same transaction.
func (s *Store) CancelAppointment(ctx context.Context, practiceID, id int64, after ...AfterChange) (Appointment, error) {
	return s.changeAppointment(ctx, practiceID, id, after, func(tx *sqlx.Tx) (sql.Result, error) {
		return tx.ExecContext(ctx, `
			UPDATE appointments a SET status = 'cancelled', cancelled_at = now(), updated_at = now(), version = version + 1
			FROM couples c WHERE a.id = $1 AND c.id = a.couple_id AND c.practice_id = $2 AND a.status = 'scheduled'`,
			id, practiceID)
	})
}

// MoveAppointment gives a scheduled appointment a new time; the therapist must be free then.
// after runs in the same transaction.
func (s *Store) MoveAppointment(ctx context.Context, practiceID, id int64, startsAt, endsAt time.Time, after ...AfterChange) (Appointment, error) {
	return s.changeAppointment(ctx, practiceID, id, after, func(tx *sqlx.Tx) (sql.Result, error) {
		res, err := tx.ExecContext(ctx, `
			UPDATE appointments a SET starts_at = $3, ends_at = $4, updated_at = now(), version = version + 1
			FROM couples c WHERE a.id = $1 AND c.id = a.couple_id AND c.practice_id = $2 AND a.status = 'scheduled'`,
			id, practiceID, startsAt, endsAt)
		return res, bookingError(err)
	})
}

// changeAppointment runs one update of a scheduled appointment and its after hooks in a
// transaction; an appointment that is not scheduled any more answers a conflict.
func (s *Store) changeAppointment(ctx context.Context, practiceID, id int64, after []AfterChange, update func(tx *sqlx.Tx) (sql.Result, error)) (Appointment, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := expectOne(update(tx)); err != nil {
			return err
		}
		return runAfter(ctx, tx, id, after)
	})
	if errors.Is(err, ErrNotFound) {
		if _, err := s.AppointmentByID(ctx, practiceID, id); err != nil {
			return Appointment{}, err
		}
		return Appointment{}, Conflict("this appointment is cancelled already")
	}
	if err != nil {
		return Appointment{}, err
	}
	return s.AppointmentByID(ctx, practiceID, id)
}

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

// RevokeCalendarFeed turns the therapist's calendar feed off; ErrNotFound when none is on.
func (s *Store) RevokeCalendarFeed(ctx context.Context, practiceID, therapistID int64) error {
	return expectOne(s.db.ExecContext(ctx, `UPDATE calendar_feeds SET revoked_at = now()
		WHERE practice_id = $1 AND therapist_id = $2 AND revoked_at IS NULL`, practiceID, therapistID))
}

// CalendarFeedAppointments finds the active feed with the token hash and returns its therapist's
// appointments from since onwards, cancelled ones included so calendars drop them.
// An unknown or revoked token, or a therapist no longer active in the practice, is ErrNotFound.
func (s *Store) CalendarFeedAppointments(ctx context.Context, tokenHash []byte, since time.Time) ([]Appointment, error) {
	var feed struct {
		PracticeID  int64 `db:"practice_id"`
		TherapistID int64 `db:"therapist_id"`
	}
	if err := s.db.GetContext(ctx, &feed, `SELECT f.practice_id, f.therapist_id FROM calendar_feeds f
		WHERE f.token_hash = $1 AND f.revoked_at IS NULL
		  AND EXISTS (SELECT 1 FROM memberships m WHERE m.practice_id = f.practice_id AND m.user_id = f.therapist_id
		              AND m.role = 'therapist' AND m.disabled_at IS NULL)`, tokenHash); err != nil {
		return nil, mapError(err)
	}
	return s.TherapistAppointments(ctx, feed.PracticeID, feed.TherapistID, AppointmentFilter{From: since, IncludeCancelled: true})
}
