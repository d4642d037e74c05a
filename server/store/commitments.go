package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Commitment cadences: how often the other partner records whether it was kept.
const (
	CadenceDaily  = "daily"
	CadenceWeekly = "weekly"
)

// Commitment is a concrete promise a partner states, with how often it has been kept.
type Commitment struct {
	ID       int64    `db:"id" json:"id"`
	CoupleID int64    `db:"couple_id" json:"couple_id"`
	AuthorID int64    `db:"author_id" json:"author_id"`
	Text     string   `db:"text" json:"text"`
	Cadence  string   `db:"cadence" json:"cadence"`
	StartsOn string   `db:"starts_on" json:"starts_on"`
	EndedOn  *string  `db:"ended_on" json:"ended_on"`
	Kept     int      `db:"kept" json:"kept"`
	Missed   int      `db:"missed" json:"missed"`
	KeptRate *float64 `db:"-" json:"kept_rate"`
	// ThisPeriod is what was recorded for the current period (today, or this week): "kept",
	// "missed", or nil while nothing is.
	ThisPeriod *string   `db:"this_period" json:"this_period"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time `db:"updated_at" json:"updated_at"`
}

// CommitmentCheck is the other partner's record of one period: kept or missed.
type CommitmentCheck struct {
	ID           int64     `db:"id" json:"id"`
	CommitmentID int64     `db:"commitment_id" json:"commitment_id"`
	PeriodStart  string    `db:"period_start" json:"period_start"`
	Status       string    `db:"status" json:"status"`
	Note         string    `db:"note" json:"note"`
	RecordedBy   int64     `db:"recorded_by" json:"recorded_by"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// KeptRate is kept / (kept + missed), or nil when nothing has been recorded.
func KeptRate(kept, missed int) *float64 {
	if kept+missed == 0 {
		return nil
	}
	rate := float64(kept) / float64(kept+missed)
	return &rate
}

const commitmentSelect = `SELECT m.id, m.couple_id, m.author_id, m.text, m.cadence,
		to_char(m.starts_on, 'YYYY-MM-DD') AS starts_on, to_char(m.ended_on, 'YYYY-MM-DD') AS ended_on,
		m.created_at, m.updated_at,
		(SELECT count(*) FROM commitment_checks x WHERE x.commitment_id = m.id AND x.kept) AS kept,
		(SELECT count(*) FROM commitment_checks x WHERE x.commitment_id = m.id AND NOT x.kept) AS missed,
		(SELECT CASE WHEN x.kept THEN 'kept' ELSE 'missed' END FROM commitment_checks x JOIN practices p ON p.id = c.practice_id
		 WHERE x.commitment_id = m.id
		   AND x.period_start = CASE m.cadence WHEN 'weekly' THEN date_trunc('week', ` + practiceToday + `)::date ELSE ` + practiceToday + ` END) AS this_period
	FROM commitments m JOIN couples c ON c.id = m.couple_id`

// NewCommitment is what a commitment is created from; an empty StartsOn means today in the
// practice's time zone.
type NewCommitment struct {
	PracticeID int64
	CoupleID   int64
	AuthorID   int64
	Text       string
	Cadence    string
	StartsOn   string
}

// CreateCommitment adds a commitment to a couple of the practice.
func (s *Store) CreateCommitment(ctx context.Context, in NewCommitment) (Commitment, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `
		INSERT INTO commitments (couple_id, author_id, text, cadence, starts_on)
		SELECT c.id, $3::bigint, $4::text, $5::text, coalesce(nullif($6::text, '')::date, `+practiceToday+`)
		FROM couples c JOIN practices p ON p.id = c.practice_id
		WHERE c.id = $2 AND c.practice_id = $1
		RETURNING id`, in.PracticeID, in.CoupleID, in.AuthorID, in.Text, in.Cadence, in.StartsOn)
	if err != nil {
		return Commitment{}, pgerr.Map(err)
	}
	return s.CommitmentByID(ctx, in.PracticeID, id)
}

// CommitmentByID returns one commitment of the practice with its counts.
func (s *Store) CommitmentByID(ctx context.Context, practiceID, id int64) (Commitment, error) {
	var m Commitment
	if err := s.db.GetContext(ctx, &m, commitmentSelect+` WHERE m.id = $1 AND c.practice_id = $2`, id, practiceID); err != nil {
		return m, pgerr.Map(err)
	}
	m.KeptRate = KeptRate(m.Kept, m.Missed)
	return m, nil
}

// Commitments lists a couple's commitments, oldest first.
func (s *Store) Commitments(ctx context.Context, practiceID, coupleID int64) ([]Commitment, error) {
	out := []Commitment{}
	if err := s.db.SelectContext(ctx, &out, commitmentSelect+` WHERE m.couple_id = $1 AND c.practice_id = $2
		ORDER BY m.created_at, m.id`, coupleID, practiceID); err != nil {
		return nil, pgerr.Map(err)
	}
	for i := range out {
		out[i].KeptRate = KeptRate(out[i].Kept, out[i].Missed)
	}
	return out, nil
}

// EndCommitment marks a commitment as no longer running from today; checks stay as recorded.
func (s *Store) EndCommitment(ctx context.Context, practiceID, id int64) (Commitment, error) {
	res, err := s.db.ExecContext(ctx, `
		UPDATE commitments m SET ended_on = greatest(m.starts_on, `+practiceToday+`), updated_at = now()
		FROM couples c JOIN practices p ON p.id = c.practice_id
		WHERE m.id = $1 AND c.id = m.couple_id AND c.practice_id = $2 AND m.ended_on IS NULL`, id, practiceID)
	if err := expectOne(res, err); fault.ErrorCode(err) == fault.NotFound {
		if _, err := s.CommitmentByID(ctx, practiceID, id); err != nil {
			return Commitment{}, err
		}
		return Commitment{}, fault.ConflictBecause("this commitment has ended already")
	} else if err != nil {
		return Commitment{}, err
	}
	return s.CommitmentByID(ctx, practiceID, id)
}

// CheckInput records one period of a commitment. Day may be any day in the period.
type CheckInput struct {
	PracticeID   int64
	CommitmentID int64
	RecordedBy   int64
	Day          string
	Kept         bool
	Note         string
}

// RecordCheck records whether a period of the commitment was kept, replacing an earlier record of
// the same period. It reports whether the record is new. The period must lie between the
// commitment's start and its end (or today), and the author may not record their own.
func (s *Store) RecordCheck(ctx context.Context, in CheckInput) (CommitmentCheck, bool, error) {
	var check CommitmentCheck
	var created bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var m struct {
			AuthorID    int64  `db:"author_id"`
			PeriodStart string `db:"period_start"`
			Earliest    string `db:"earliest"`
			Latest      string `db:"latest"`
		}
		if err := tx.GetContext(ctx, &m, `
			SELECT m.author_id,
				to_char(CASE m.cadence WHEN 'weekly' THEN date_trunc('week', $3::date)::date ELSE $3::date END, 'YYYY-MM-DD') AS period_start,
				to_char(CASE m.cadence WHEN 'weekly' THEN date_trunc('week', m.starts_on)::date ELSE m.starts_on END, 'YYYY-MM-DD') AS earliest,
				to_char(least(coalesce(m.ended_on, `+practiceToday+`), `+practiceToday+`), 'YYYY-MM-DD') AS latest
			FROM commitments m JOIN couples c ON c.id = m.couple_id JOIN practices p ON p.id = c.practice_id
			WHERE m.id = $1 AND c.practice_id = $2 FOR UPDATE OF m`, in.CommitmentID, in.PracticeID, in.Day); err != nil {
			return err
		}
		if m.AuthorID == in.RecordedBy {
			return fault.ConflictBecause("the other partner records whether a commitment was kept")
		}
		// Dates in the layout compare correctly as strings.
		if m.PeriodStart < m.Earliest || m.PeriodStart > m.Latest {
			return fault.InvalidField("day", "must fall between the commitment's start and its end or today")
		}
		var row struct {
			ID      int64 `db:"id"`
			Created bool  `db:"created"`
		}
		if err := tx.GetContext(ctx, &row, `
			INSERT INTO commitment_checks (commitment_id, period_start, kept, note, recorded_by)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (commitment_id, period_start) DO UPDATE SET kept = excluded.kept, note = excluded.note,
				recorded_by = excluded.recorded_by, updated_at = now()
			RETURNING id, (xmax = 0) AS created`, in.CommitmentID, m.PeriodStart, in.Kept, in.Note, in.RecordedBy); err != nil {
			return err
		}
		created = row.Created
		return tx.GetContext(ctx, &check, checkSelect+` WHERE x.id = $1`, row.ID)
	})
	return check, created, err
}

const checkSelect = `SELECT x.id, x.commitment_id, to_char(x.period_start, 'YYYY-MM-DD') AS period_start,
		CASE WHEN x.kept THEN 'kept' ELSE 'missed' END AS status, x.note, x.recorded_by, x.created_at, x.updated_at
	FROM commitment_checks x`

// CommitmentChecks lists a commitment's records, oldest period first.
func (s *Store) CommitmentChecks(ctx context.Context, practiceID, commitmentID int64) ([]CommitmentCheck, error) {
	out := []CommitmentCheck{}
	err := s.db.SelectContext(ctx, &out, checkSelect+`
		JOIN commitments m ON m.id = x.commitment_id JOIN couples c ON c.id = m.couple_id
		WHERE x.commitment_id = $1 AND c.practice_id = $2 ORDER BY x.period_start`, commitmentID, practiceID)
	return out, pgerr.Map(err)
}
