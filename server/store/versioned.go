package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
)

// versionedTable is how one kind of practice-authored content (exercises, form templates) is kept:
// a head row in table whose current_version names the newest of its immutable versions, which
// addVersion inserts. Content is checked before anything is written. A head row with no practice
// is built in: revising it is refused with builtInRefusal.
type versionedTable[C any] struct {
	table          string
	builtInRefusal string
	check          func(C) error
	addVersion     func(ctx context.Context, tx *sqlx.Tx, id int64, version int, authorID int64, in C) error
}

// createVersioned adds a practice's own content at version 1.
func createVersioned[C any](ctx context.Context, s *Store, t versionedTable[C], practiceID, authorID int64, in C) (int64, error) {
	if err := t.check(in); err != nil {
		return 0, err
	}
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &id, fmt.Sprintf(`INSERT INTO %s (practice_id, created_by) VALUES ($1, $2) RETURNING id`, t.table),
			practiceID, nonZeroID(authorID)); err != nil {
			return err
		}
		return t.addVersion(ctx, tx, id, 1, authorID, in)
	})
	return id, err
}

// reviseVersioned stores new content for a practice's own content as its next version; earlier
// versions stay as they were for whatever uses them.
func reviseVersioned[C any](ctx context.Context, s *Store, t versionedTable[C], practiceID, id, authorID int64, in C) error {
	if err := t.check(in); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var owner struct {
			PracticeID *int64 `db:"practice_id"`
			Current    int    `db:"current_version"`
		}
		if err := tx.GetContext(ctx, &owner, fmt.Sprintf(`SELECT practice_id, current_version FROM %s
			WHERE id = $1 AND (practice_id IS NULL OR practice_id = $2) FOR UPDATE`, t.table), id, practiceID); err != nil {
			return err
		}
		if owner.PracticeID == nil {
			return fault.ConflictBecause(t.builtInRefusal)
		}
		next := owner.Current + 1
		if err := t.addVersion(ctx, tx, id, next, authorID, in); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET current_version = $2, updated_at = now() WHERE id = $1`, t.table), id, next)
		return err
	})
}
