package store

import (
	"context"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// MeasureSchedule asks each partner of a couple to answer a questionnaire every EveryWeeks
// weeks, the first time on StartsOn (YYYY-MM-DD).
type MeasureSchedule struct {
	ID         int64     `db:"id" json:"id"`
	CoupleID   int64     `db:"couple_id" json:"couple_id"`
	Key        string    `db:"measure_key" json:"measure_key"`
	EveryWeeks int       `db:"every_weeks" json:"every_weeks"`
	StartsOn   string    `db:"starts_on" json:"starts_on"`
	CreatedBy  int64     `db:"created_by" json:"created_by"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time `db:"updated_at" json:"updated_at"`
}

// DueMeasure is a scheduled questionnaire a partner has not answered since its period began on
// DueOn; the next period begins on NextDueOn.
type DueMeasure struct {
	CoupleID  int64  `db:"couple_id" json:"couple_id"`
	Key       string `db:"measure_key" json:"measure_key"`
	DueOn     string `db:"due_on" json:"due_on"`
	NextDueOn string `db:"next_due_on" json:"next_due_on"`
}

const scheduleColumns = `ms.id, ms.couple_id, ms.measure_key, ms.every_weeks, to_char(ms.starts_on, 'YYYY-MM-DD') AS starts_on,
	ms.created_by, ms.created_at, ms.updated_at`

// SetMeasureSchedule schedules a questionnaire for a couple of the practice, replacing its
// earlier schedule; a nil startsOn starts today in the practice's time zone.
func (s *Store) SetMeasureSchedule(ctx context.Context, practiceID, coupleID int64, key string, everyWeeks int, startsOn *string, by int64) (MeasureSchedule, error) {
	var m MeasureSchedule
	err := s.db.GetContext(ctx, &m, `
		WITH saved AS (
			INSERT INTO measure_schedules AS ms (couple_id, measure_key, every_weeks, starts_on, created_by)
			SELECT c.id, $3, $4, coalesce($5::date, `+practiceToday+`), $6
			FROM couples c JOIN practices p ON p.id = c.practice_id WHERE c.id = $2 AND c.practice_id = $1
			ON CONFLICT (couple_id, measure_key) DO UPDATE SET every_weeks = EXCLUDED.every_weeks,
			    starts_on = EXCLUDED.starts_on, updated_at = now()
			RETURNING ms.*)
		SELECT `+scheduleColumns+` FROM saved ms`, practiceID, coupleID, key, everyWeeks, startsOn, by)
	return m, pgerr.Map(err)
}

// DeleteMeasureSchedule stops asking for a questionnaire; answers already given stay.
func (s *Store) DeleteMeasureSchedule(ctx context.Context, practiceID, coupleID int64, key string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM measure_schedules ms USING couples c
		WHERE ms.couple_id = c.id AND c.id = $2 AND c.practice_id = $1 AND ms.measure_key = $3`, practiceID, coupleID, key)
	if err != nil {
		return pgerr.Map(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fault.ErrNotFound
	}
	return nil
}

// MeasureSchedules lists a couple's schedules by questionnaire.
func (s *Store) MeasureSchedules(ctx context.Context, practiceID, coupleID int64) ([]MeasureSchedule, error) {
	out := []MeasureSchedule{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+scheduleColumns+`
		FROM measure_schedules ms JOIN couples c ON c.id = ms.couple_id
		WHERE ms.couple_id = $1 AND c.practice_id = $2 ORDER BY ms.measure_key`, coupleID, practiceID)
	return out, pgerr.Map(err)
}

// dueMeasures is the SQL of every scheduled questionnaire a seated partner has not answered in
// its current period (periods begin every every_weeks weeks from starts_on, days counted in the
// practice's time zone), with its couple, practice, status and partner.
const dueMeasures = `
	SELECT d.couple_id, d.practice_id, d.couple_status, d.user_id, d.measure_key,
	       to_char(d.due_on, 'YYYY-MM-DD') AS due_on, to_char(d.due_on + 7 * d.every_weeks, 'YYYY-MM-DD') AS next_due_on
	FROM (SELECT ms.couple_id, c.practice_id, c.status AS couple_status, cp.user_id, ms.measure_key, ms.every_weeks, p.time_zone,
	             ms.starts_on + ((` + practiceToday + ` - ms.starts_on) / (7 * ms.every_weeks)) * 7 * ms.every_weeks AS due_on
	      FROM measure_schedules ms JOIN couples c ON c.id = ms.couple_id JOIN practices p ON p.id = c.practice_id
	      JOIN couple_partners cp ON cp.couple_id = ms.couple_id
	      WHERE ` + practiceToday + ` >= ms.starts_on) d
	WHERE NOT EXISTS (SELECT 1 FROM measures m WHERE m.couple_id = d.couple_id AND m.author_id = d.user_id
	                  AND m.measure_key = d.measure_key AND (m.taken_at AT TIME ZONE d.time_zone)::date >= d.due_on)`

// DueMeasures lists the scheduled questionnaires a partner of the couple has yet to answer in
// their current period, by questionnaire.
func (s *Store) DueMeasures(ctx context.Context, practiceID, coupleID, userID int64) ([]DueMeasure, error) {
	out := []DueMeasure{}
	err := s.db.SelectContext(ctx, &out, `SELECT due.couple_id, due.measure_key, due.due_on, due.next_due_on
		FROM (`+dueMeasures+`) due WHERE due.couple_id = $1 AND due.practice_id = $2 AND due.user_id = $3
		ORDER BY due.measure_key`, coupleID, practiceID, userID)
	return out, pgerr.Map(err)
}

// MeasureReminder is a partner of an active couple with scheduled questionnaires to answer:
// Since is the start of the latest period among them, so each new period reminds once.
type MeasureReminder struct {
	PracticeID   int64  `db:"practice_id"`
	PracticeName string `db:"practice_name"`
	Since        string `db:"since"`
	Recipient
}

// PartnersWithMeasuresDue lists, across practices, the active partners of active couples with a
// scheduled questionnaire still to answer in its current period.
func (s *Store) PartnersWithMeasuresDue(ctx context.Context) ([]MeasureReminder, error) {
	out := []MeasureReminder{}
	err := s.db.SelectContext(ctx, &out, `SELECT due.practice_id, p.name AS practice_name, max(due.due_on) AS since,
			u.id AS user_id, u.email
		FROM (`+dueMeasures+`) due JOIN practices p ON p.id = due.practice_id JOIN users u ON u.id = due.user_id
		JOIN memberships m ON m.practice_id = due.practice_id AND m.user_id = due.user_id AND m.role = 'client' AND m.disabled_at IS NULL
		WHERE due.couple_status = 'active'
		GROUP BY due.practice_id, p.name, u.id, u.email
		ORDER BY due.practice_id, u.id`)
	return out, pgerr.Map(err)
}
