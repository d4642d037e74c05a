package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Relations: how a caller stands to an object. They are the second column of the policy table.
const (
	RelSelf     = "self"      // the caller's own record or writing
	RelPartner  = "partner"   // the other partner's writing, shared with the partner
	RelCouple   = "couple"    // a couple-level object of the caller's own couple
	RelCareTeam = "care_team" // a therapist on that couple's care team
	RelPractice = "practice"  // same practice, no closer tie
	RelHidden   = "hidden"    // a tie exists, but the item's visibility excludes the caller
	RelNone     = "none"      // no tie at all (another practice)
)

// Ref names an object for relation resolution. PracticeID scopes kinds addressed inside a
// practice (members); other kinds carry their practice themselves.
type Ref struct {
	Kind       string
	ID         int64
	PracticeID int64
}

// Access is what relation resolution found: the practice owning the object, the caller's roles
// there and how the caller stands to the object.
type Access struct {
	PracticeID int64
	Roles      []string
	Relation   string
}

// relationQueries gives, per kind, one SQL query returning (practice_id, relation) for the object;
// :user is the caller's user id, :id the object id, :practice the practice id from the Ref. A kind
// whose object does not exist returns no row.
var relationQueries = map[string]string{
	"practice": `SELECT p.id AS practice_id, 'practice' AS relation FROM practices p WHERE p.id = :id`,
	"member": `SELECT m.practice_id, CASE WHEN m.user_id = :user THEN 'self' ELSE 'practice' END AS relation
		FROM memberships m WHERE m.practice_id = :practice AND m.user_id = :id LIMIT 1`,
	// A client is a member whose record is read like their couple's file: by the care team.
	"client": `SELECT m.practice_id, ` + clientRelation(`m.user_id`, `m.practice_id`, `:user`) + ` AS relation
		FROM memberships m WHERE m.practice_id = :practice AND m.user_id = :id AND m.role = 'client'`,
	"invite": `SELECT i.practice_id, 'practice' AS relation FROM invites i WHERE i.id = :id`,
	"couple": `SELECT c.practice_id, ` + coupleRelation(`c.id`) + ` AS relation FROM couples c WHERE c.id = :id`,
	// Built-in exercises belong to no practice: they are read as part of the practice in the path.
	"exercise": `SELECT p.id AS practice_id, 'practice' AS relation FROM exercises e JOIN practices p ON p.id = :practice
		WHERE e.id = :id AND (e.practice_id IS NULL OR e.practice_id = p.id)`,
	"assignment": `SELECT a.practice_id, ` + assignmentRelation(`a.assignee_id`, `r.visibility`, `a.couple_id`) + ` AS relation
		FROM assignments a JOIN responses r ON r.assignment_id = a.id WHERE a.id = :id`,
	"response": `SELECT a.practice_id, ` + authoredRelation(`r.author_id`, `r.visibility`, `a.couple_id`) + ` AS relation
		FROM responses r JOIN assignments a ON a.id = r.assignment_id WHERE r.assignment_id = :id`,
	"checkin": `SELECT c.practice_id, ` + authoredRelation(`k.author_id`, `k.visibility`, `k.couple_id`) + ` AS relation
		FROM checkins k JOIN couples c ON c.id = k.couple_id WHERE k.id = :id`,
	"commitment": `SELECT c.practice_id, ` + authoredRelation(`m.author_id`, `'partner'`, `m.couple_id`) + ` AS relation
		FROM commitments m JOIN couples c ON c.id = m.couple_id WHERE m.id = :id`,
	"measure": `SELECT c.practice_id, ` + authoredRelation(`m.author_id`, `m.visibility`, `m.couple_id`) + ` AS relation
		FROM measures m JOIN couples c ON c.id = m.couple_id WHERE m.id = :id`,
	"note": `SELECT c.practice_id, CASE WHEN n.author_id = :user THEN 'self' ELSE ` + coupleRelation(`n.couple_id`) + ` END AS relation
		FROM notes n JOIN couples c ON c.id = n.couple_id WHERE n.id = :id`,
	"appointment": `SELECT c.practice_id, ` + coupleRelation(`a.couple_id`) + ` AS relation
		FROM appointments a JOIN couples c ON c.id = a.couple_id WHERE a.id = :id`,
	"live_session": `SELECT l.practice_id, ` + coupleRelation(`l.couple_id`) + ` AS relation
		FROM live_sessions l WHERE l.id = :id`,
}

// coupleRelation is the SQL expression for the caller's relation to the couple with id coupleID.
func coupleRelation(coupleID string) string {
	return fmt.Sprintf(`CASE
		WHEN EXISTS (SELECT 1 FROM care_team ct WHERE ct.couple_id = %[1]s AND ct.therapist_id = :user) THEN 'care_team'
		WHEN EXISTS (SELECT 1 FROM couple_partners cp WHERE cp.couple_id = %[1]s AND cp.user_id = :user) THEN 'couple'
		ELSE 'practice' END`, coupleID)
}

// clientRelation is the SQL expression for how caller stands to the client userID of practice:
// themself, a therapist on the care team of their couple, the other partner of their couple, or
// someone else in the practice.
func clientRelation(userID, practice, caller string) string {
	return fmt.Sprintf(`CASE
		WHEN %[1]s = %[3]s THEN 'self'
		WHEN EXISTS (SELECT 1 FROM couple_partners cp JOIN couples c ON c.id = cp.couple_id
		             JOIN care_team ct ON ct.couple_id = cp.couple_id
		             WHERE cp.user_id = %[1]s AND c.practice_id = %[2]s AND ct.therapist_id = %[3]s) THEN 'care_team'
		WHEN EXISTS (SELECT 1 FROM couple_partners cp JOIN couples c ON c.id = cp.couple_id
		             JOIN couple_partners other ON other.couple_id = cp.couple_id
		             WHERE cp.user_id = %[1]s AND c.practice_id = %[2]s AND other.user_id = %[3]s) THEN 'couple'
		ELSE 'practice' END`, userID, practice, caller)
}

// authoredRelation is the SQL expression for the caller's relation to an item a partner wrote,
// given the item's author, visibility and couple columns. Private items are hidden from everyone
// but the author; therapist-visible items from the other partner.
func authoredRelation(author, visibility, coupleID string) string {
	return fmt.Sprintf(`CASE
		WHEN %[1]s = :user THEN 'self'
		WHEN %[2]s = 'private' THEN 'hidden'
		WHEN EXISTS (SELECT 1 FROM care_team ct WHERE ct.couple_id = %[3]s AND ct.therapist_id = :user) THEN 'care_team'
		WHEN EXISTS (SELECT 1 FROM couple_partners cp WHERE cp.couple_id = %[3]s AND cp.user_id = :user)
		     THEN CASE WHEN %[2]s = 'partner' THEN 'partner' ELSE 'hidden' END
		ELSE 'practice' END`, author, visibility, coupleID)
}

// Resolve finds how the user stands to the object, in one query. An object that does not exist
// yields ErrNotFound; one in a practice where the user holds no active role yields RelNone.
func (s *Store) Resolve(ctx context.Context, userID int64, ref Ref) (Access, error) {
	query, ok := relationQueries[ref.Kind]
	if !ok {
		return Access{}, fmt.Errorf("no relation query for kind %q", ref.Kind)
	}
	var row struct {
		PracticeID int64          `db:"practice_id"`
		Relation   string         `db:"relation"`
		Roles      pq.StringArray `db:"roles"`
	}
	q, args, err := sqlx.Named(`
		SELECT o.practice_id, o.relation,
		       coalesce(array_agg(m.role ORDER BY m.role) FILTER (WHERE m.role IS NOT NULL), '{}') AS roles
		FROM (`+query+`) o
		LEFT JOIN memberships m ON m.practice_id = o.practice_id AND m.user_id = :user AND m.disabled_at IS NULL
		GROUP BY o.practice_id, o.relation`,
		map[string]any{"user": userID, "id": ref.ID, "practice": ref.PracticeID})
	if err != nil {
		return Access{}, err
	}
	if err := s.getPrepared(ctx, &row, s.db.Rebind(q), args...); err != nil {
		return Access{}, err
	}
	a := Access{PracticeID: row.PracticeID, Roles: []string(row.Roles), Relation: row.Relation}
	if len(a.Roles) == 0 {
		a.Relation = RelNone
	}
	return a, nil
}
