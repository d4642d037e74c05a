package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// TimeOff is a therapist's time away: whole days, first to last inclusive, in the practice's time
// zone. Reason is for the practice's staff; partners never see it.
type TimeOff struct {
	ID            int64     `db:"id" json:"id"`
	TherapistID   int64     `db:"therapist_id" json:"therapist_id"`
	TherapistName string    `db:"therapist_name" json:"therapist_name"`
	FirstDay      string    `db:"first_day" json:"first_day"`
	LastDay       string    `db:"last_day" json:"last_day"`
	Reason        string    `db:"reason" json:"reason"`
	StartsAt      time.Time `db:"starts_at" json:"starts_at"`
	EndsAt        time.Time `db:"ends_at" json:"ends_at"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
}

// timeOffSelect reads time off with the instants its days begin and end in the practice's zone.
const timeOffSelect = `SELECT o.id, o.therapist_id, u.name AS therapist_name,
		to_char(o.first_day, 'YYYY-MM-DD') AS first_day, to_char(o.last_day, 'YYYY-MM-DD') AS last_day, o.reason,
		o.first_day::timestamp AT TIME ZONE p.time_zone AS starts_at,
		(o.last_day + 1)::timestamp AT TIME ZONE p.time_zone AS ends_at, o.created_at
	FROM time_off o JOIN users u ON u.id = o.therapist_id JOIN practices p ON p.id = o.practice_id`

// AddTimeOff records a therapist's time off; the member must be a therapist of the practice.
func (s *Store) AddTimeOff(ctx context.Context, practiceID, therapistID, createdBy int64, firstDay, lastDay, reason string) (TimeOff, error) {
	var out TimeOff
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var therapist bool
		if err := tx.GetContext(ctx, &therapist, `SELECT EXISTS (SELECT 1 FROM memberships WHERE practice_id = $1
			AND user_id = $2 AND role = 'therapist' AND disabled_at IS NULL)`, practiceID, therapistID); err != nil {
			return err
		}
		if !therapist {
			return fault.InvalidField("", "time off is kept for therapists only")
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO time_off (practice_id, therapist_id, first_day, last_day, reason, created_by)
			VALUES ($1, $2, $3::date, $4::date, $5, $6) RETURNING id`, practiceID, therapistID, firstDay, lastDay, reason, createdBy); err != nil {
			return err
		}
		return tx.GetContext(ctx, &out, timeOffSelect+` WHERE o.id = $1`, id)
	})
	return out, err
}

// TimeOffOf lists the time off of the practice's therapists (one, or all with therapistID 0)
// that overlaps from–to (zero times leave the window open), in time order.
func (s *Store) TimeOffOf(ctx context.Context, practiceID, therapistID int64, from, to time.Time) ([]TimeOff, error) {
	out := []TimeOff{}
	err := s.db.SelectContext(ctx, &out, `SELECT * FROM (`+timeOffSelect+` WHERE o.practice_id = $1 AND ($2 = 0 OR o.therapist_id = $2)) t
		WHERE ($3::timestamptz IS NULL OR t.ends_at > $3) AND ($4::timestamptz IS NULL OR t.starts_at < $4)
		ORDER BY t.starts_at, t.id`, practiceID, therapistID, optionalTime(from), optionalTime(to))
	return out, pgerr.Map(err)
}

// DeleteTimeOff removes a therapist's time off.
func (s *Store) DeleteTimeOff(ctx context.Context, practiceID, therapistID, id int64) error {
	return expectOne(s.db.ExecContext(ctx, `DELETE FROM time_off WHERE id = $1 AND practice_id = $2 AND therapist_id = $3`,
		id, practiceID, therapistID))
}

// checkTimeOff refuses a booking of the therapist that falls into their time off, naming the
// days (never the reason).
func checkTimeOff(ctx context.Context, q sqlx.QueryerContext, practiceID, therapistID int64, startsAt, endsAt time.Time) error {
	var off TimeOff
	err := sqlx.GetContext(ctx, q, &off, `SELECT * FROM (`+timeOffSelect+` WHERE o.practice_id = $1 AND o.therapist_id = $2) t
		WHERE t.starts_at < $4 AND t.ends_at > $3 ORDER BY t.starts_at LIMIT 1`, practiceID, therapistID, startsAt, endsAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return fault.ConflictField("starts_at", fmt.Sprintf("%s is on time off from %s to %s", off.TherapistName,
		dayName(off.FirstDay), dayName(off.LastDay)))
}

// dayName reads a "2006-01-02" day as a person would: "Monday 2 March 2031".
func dayName(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.Format("Monday 2 January 2006")
}
