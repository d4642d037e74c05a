package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// Visibilities of partner-authored items.
const (
	VisibilityPrivate   = "private"   // the author only
	VisibilityTherapist = "therapist" // the author and the care team
	VisibilityPartner   = "partner"   // the author, the care team and the other partner
)

// DateLayout is how calendar days travel: 2006-01-02.
const DateLayout = "2006-01-02"

// Checkin is a partner's daily check-in. Day is a calendar day in the practice's time zone.
type Checkin struct {
	ID         int64     `db:"id" json:"id"`
	CoupleID   int64     `db:"couple_id" json:"couple_id"`
	AuthorID   int64     `db:"author_id" json:"author_id"`
	Day        string    `db:"day" json:"day"`
	Trust      int       `db:"trust" json:"trust"`
	Safety     int       `db:"safety" json:"safety"`
	Feeling    string    `db:"feeling" json:"feeling"`
	Note       string    `db:"note" json:"note"`
	Visibility string    `db:"visibility" json:"visibility"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time `db:"updated_at" json:"updated_at"`
	// Relation is how the reader stands to the check-in, for filtering lists.
	Relation string `db:"relation" json:"-"`
}

// CheckinInput is one day's check-in as a partner writes it. An empty Day means today in the
// practice's time zone; a nil Visibility keeps the current one (therapist for a new check-in).
type CheckinInput struct {
	PracticeID int64
	CoupleID   int64
	AuthorID   int64
	Day        string
	Trust      int
	Safety     int
	Feeling    string
	Note       string
	Visibility *string
}

const checkinColumns = `k.id, k.couple_id, k.author_id, to_char(k.day, 'YYYY-MM-DD') AS day, k.trust, k.safety,
	k.feeling, k.note, k.visibility, k.created_at, k.updated_at`

// practiceToday is the SQL for today's date in the time zone of practice p.
const practiceToday = `(now() AT TIME ZONE p.time_zone)::date`

// PracticeToday returns today's date (2006-01-02) in the practice's time zone.
func (s *Store) PracticeToday(ctx context.Context, practiceID int64) (string, error) {
	var today string
	err := s.db.GetContext(ctx, &today, `SELECT to_char(`+practiceToday+`, 'YYYY-MM-DD') FROM practices p WHERE p.id = $1`, practiceID)
	return today, pgerr.Map(err)
}

// SaveCheckin records the author's check-in for the day, replacing what they wrote earlier that
// day. It reports whether the check-in is new.
func (s *Store) SaveCheckin(ctx context.Context, in CheckinInput) (Checkin, bool, error) {
	var row struct {
		Checkin
		Created bool `db:"created"`
	}
	err := s.getPrepared(ctx, &row, `
		INSERT INTO checkins AS k (couple_id, author_id, day, trust, safety, feeling, note, visibility)
		SELECT c.id, $3::bigint, coalesce(nullif($4::text, '')::date, `+practiceToday+`), $5::smallint, $6::smallint,
			$7::text, $8::text, coalesce($9::text, 'therapist')
		FROM couples c JOIN practices p ON p.id = c.practice_id
		WHERE c.id = $2 AND c.practice_id = $1
		ON CONFLICT (couple_id, author_id, day) DO UPDATE SET
			trust = excluded.trust, safety = excluded.safety, feeling = excluded.feeling, note = excluded.note,
			visibility = coalesce($9, k.visibility), updated_at = now()
		RETURNING `+checkinColumns+`, '' AS relation, (k.xmax = 0) AS created`,
		in.PracticeID, in.CoupleID, in.AuthorID, in.Day, in.Trust, in.Safety, in.Feeling, in.Note, in.Visibility)
	if err != nil {
		return Checkin{}, false, err
	}
	return row.Checkin, row.Created, nil
}

// CheckinByID returns one check-in of the practice.
func (s *Store) CheckinByID(ctx context.Context, practiceID, id int64) (Checkin, error) {
	var k Checkin
	err := s.db.GetContext(ctx, &k, `SELECT `+checkinColumns+`, '' AS relation
		FROM checkins k JOIN couples c ON c.id = k.couple_id
		WHERE k.id = $1 AND c.practice_id = $2`, id, practiceID)
	return k, pgerr.Map(err)
}

// CheckinPatch changes a check-in: the content only on its own day, the visibility at any time.
type CheckinPatch struct {
	Trust      *int
	Safety     *int
	Feeling    *string
	Note       *string
	Visibility *string
}

func (p CheckinPatch) changesContent() bool {
	return p.Trust != nil || p.Safety != nil || p.Feeling != nil || p.Note != nil
}

// UpdateCheckin applies a patch and returns the check-in with the visibility it had before.
// Changing the content of a check-in from an earlier day is a conflict.
func (s *Store) UpdateCheckin(ctx context.Context, practiceID, id int64, patch CheckinPatch) (updated Checkin, previousVisibility string, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before struct {
			Today      bool   `db:"today"`
			Visibility string `db:"visibility"`
		}
		if err := tx.GetContext(ctx, &before, `
			SELECT k.day = `+practiceToday+` AS today, k.visibility FROM checkins k
			JOIN couples c ON c.id = k.couple_id JOIN practices p ON p.id = c.practice_id
			WHERE k.id = $1 AND c.practice_id = $2 FOR UPDATE OF k`, id, practiceID); err != nil {
			return err
		}
		if patch.changesContent() && !before.Today {
			return fault.ConflictBecause("a check-in can be changed only on its own day; its visibility can change at any time")
		}
		previousVisibility = before.Visibility
		_, err := tx.ExecContext(ctx, `
			UPDATE checkins SET trust = coalesce($2, trust), safety = coalesce($3, safety),
				feeling = coalesce($4, feeling), note = coalesce($5, note), visibility = coalesce($6, visibility),
				updated_at = now()
			WHERE id = $1`, id, patch.Trust, patch.Safety, patch.Feeling, patch.Note, patch.Visibility)
		return err
	})
	if err != nil {
		return Checkin{}, "", err
	}
	updated, err = s.CheckinByID(ctx, practiceID, id)
	return updated, previousVisibility, err
}

// Checkins lists a couple's check-ins, oldest first, each with the reader's relation to it; the
// caller filters what the reader may not see.
func (s *Store) Checkins(ctx context.Context, practiceID, coupleID, readerID int64) ([]Checkin, error) {
	out := []Checkin{}
	err := s.selectNamed(ctx, &out, `SELECT `+checkinColumns+`, `+authoredRelation(`k.author_id`, `k.visibility`, `k.couple_id`)+` AS relation
		FROM checkins k JOIN couples c ON c.id = k.couple_id
		WHERE k.couple_id = :couple AND c.practice_id = :practice
		ORDER BY k.day, k.author_id`,
		map[string]any{"couple": coupleID, "practice": practiceID, "user": readerID})
	return out, err
}

// selectNamed runs a query with :named parameters into dest.
func (s *Store) selectNamed(ctx context.Context, dest any, query string, args map[string]any) error {
	q, list, err := sqlx.Named(query, args)
	if err != nil {
		return err
	}
	return pgerr.Map(s.db.SelectContext(ctx, dest, s.db.Rebind(q), list...))
}

// ImportCheckins adds many check-ins of a practice's couples in one statement, as when loading a
// long history at once. Rows whose author is not a partner of the couple, or whose couple is in
// another practice, are left out, and so is a day the author has a check-in for already. It
// returns how many check-ins were added. Call AnalyzeCheckins once the history is in.
func (s *Store) ImportCheckins(ctx context.Context, practiceID int64, in []CheckinInput) (int64, error) {
	couples, authors := make(pq.Int64Array, len(in)), make(pq.Int64Array, len(in))
	trust, safety := make(pq.Int64Array, len(in)), make(pq.Int64Array, len(in))
	days, feelings, notes, visibilities := make(pq.StringArray, len(in)), make(pq.StringArray, len(in)),
		make(pq.StringArray, len(in)), make(pq.StringArray, len(in))
	for i, k := range in {
		couples[i], authors[i], days[i] = k.CoupleID, k.AuthorID, k.Day
		trust[i], safety[i], feelings[i], notes[i] = int64(k.Trust), int64(k.Safety), k.Feeling, k.Note
		visibilities[i] = VisibilityTherapist
		if k.Visibility != nil {
			visibilities[i] = *k.Visibility
		}
	}
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO checkins (couple_id, author_id, day, trust, safety, feeling, note, visibility)
		SELECT r.couple_id, r.author_id, r.day::date, r.trust, r.safety, r.feeling, r.note, r.visibility
		FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::smallint[], $6::smallint[], $7::text[], $8::text[], $9::text[])
		     AS r(couple_id, author_id, day, trust, safety, feeling, note, visibility)
		JOIN couples c ON c.id = r.couple_id AND c.practice_id = $1
		JOIN couple_partners cp ON cp.couple_id = r.couple_id AND cp.user_id = r.author_id
		ON CONFLICT (couple_id, author_id, day) DO NOTHING`,
		practiceID, couples, authors, days, trust, safety, feelings, notes, visibilities)
	if err != nil {
		return 0, pgerr.Map(err)
	}
	return res.RowsAffected()
}

// AnalyzeCheckins vacuums and analyzes the check-ins after a bulk import, leaving the table as
// months of ordinary use would (statistics current, pages marked all-visible) instead of making
// the first requests after the import pay for it.
func (s *Store) AnalyzeCheckins(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `VACUUM (ANALYZE) checkins`)
	return pgerr.Map(err)
}
