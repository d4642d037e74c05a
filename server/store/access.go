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

// Kind is a kind of object whose relation to a caller can be resolved: one per relation query.
type Kind string

// The kinds relationQueries resolves; TestEveryKindHasARelationQuery keeps the two equal.
const (
	KindPractice           Kind = "practice"
	KindMember             Kind = "member"
	KindClient             Kind = "client"
	KindInvite             Kind = "invite"
	KindCouple             Kind = "couple"
	KindExercise           Kind = "exercise"
	KindAssignment         Kind = "assignment"
	KindResponse           Kind = "response"
	KindCheckin            Kind = "checkin"
	KindCommitment         Kind = "commitment"
	KindMeasure            Kind = "measure"
	KindForm               Kind = "form"
	KindFormTemplate       Kind = "form_template"
	KindDocument           Kind = "document"
	KindTreatmentPlan      Kind = "treatment_plan"
	KindNote               Kind = "note"
	KindAppointment        Kind = "appointment"
	KindAppointmentRequest Kind = "appointment_request"
	KindLiveSession        Kind = "live_session"
)

// Ref names an object for relation resolution. PracticeID scopes kinds addressed inside a
// practice (members); other kinds carry their practice themselves.
type Ref struct {
	Kind       Kind
	ID         int64
	PracticeID int64
}

// Access is what relation resolution found: the practice owning the object, the caller's roles
// there, how the caller stands to the object and, for an object in a couple's record, that
// couple's status.
type Access struct {
	PracticeID int64
	Roles      []string
	Relation   string
	// CoupleStatus is the status of the couple whose record holds the object; empty for objects
	// outside any couple's record (the practice, members, staff invites, the exercise library).
	CoupleStatus string
}

// relationQueries gives, per kind, one SQL query returning (practice_id, relation, couple_status)
// for the object; :user is the caller's user id, :id the object id, :practice the practice id
// from the Ref. A kind whose object does not exist returns no row. couple_status is that of the
// couple whose record holds the object, NULL outside any couple's record.
var relationQueries = map[Kind]string{
	KindPractice: `SELECT p.id AS practice_id, 'practice' AS relation, NULL AS couple_status FROM practices p WHERE p.id = :id`,
	KindMember: `SELECT m.practice_id, CASE WHEN m.user_id = :user THEN 'self' ELSE 'practice' END AS relation, NULL AS couple_status
		FROM memberships m WHERE m.practice_id = :practice AND m.user_id = :id LIMIT 1`,
	// A client is a member whose record is read like their couple's file: by the care team.
	KindClient: `SELECT m.practice_id, ` + clientRelation(`m.user_id`, `m.practice_id`, `:user`) + ` AS relation, NULL AS couple_status
		FROM memberships m WHERE m.practice_id = :practice AND m.user_id = :id AND m.role = 'client'`,
	KindInvite: `SELECT i.practice_id, 'practice' AS relation, NULL AS couple_status FROM invites i WHERE i.id = :id`,
	KindCouple: `SELECT c.practice_id, ` + coupleRelation(`c.id`) + ` AS relation, c.status AS couple_status FROM couples c WHERE c.id = :id`,
	// Built-in exercises belong to no practice: they are read as part of the practice in the path.
	KindExercise: `SELECT p.id AS practice_id, 'practice' AS relation, NULL AS couple_status FROM exercises e JOIN practices p ON p.id = :practice
		WHERE e.id = :id AND (e.practice_id IS NULL OR e.practice_id = p.id)`,
	KindAssignment: `SELECT a.practice_id, ` + assignmentRelation(`a.assignee_id`, `r.visibility`, `a.couple_id`) + ` AS relation, c.status AS couple_status
		FROM assignments a JOIN responses r ON r.assignment_id = a.id JOIN couples c ON c.id = a.couple_id WHERE a.id = :id`,
	KindResponse: `SELECT a.practice_id, ` + authoredRelation(`r.author_id`, `r.visibility`, `a.couple_id`) + ` AS relation, c.status AS couple_status
		FROM responses r JOIN assignments a ON a.id = r.assignment_id JOIN couples c ON c.id = a.couple_id WHERE r.assignment_id = :id`,
	KindCheckin: `SELECT c.practice_id, ` + authoredRelation(`k.author_id`, `k.visibility`, `k.couple_id`) + ` AS relation, c.status AS couple_status
		FROM checkins k JOIN couples c ON c.id = k.couple_id WHERE k.id = :id`,
	KindCommitment: `SELECT c.practice_id, ` + authoredRelation(`m.author_id`, `'partner'`, `m.couple_id`) + ` AS relation, c.status AS couple_status
		FROM commitments m JOIN couples c ON c.id = m.couple_id WHERE m.id = :id`,
	KindMeasure: `SELECT c.practice_id, ` + authoredRelation(`m.author_id`, `m.visibility`, `m.couple_id`) + ` AS relation, c.status AS couple_status
		FROM measures m JOIN couples c ON c.id = m.couple_id WHERE m.id = :id`,
	KindForm: `SELECT f.practice_id, ` + authoredRelation(`f.assignee_id`, `f.visibility`, `f.couple_id`) + ` AS relation, c.status AS couple_status
		FROM forms f JOIN couples c ON c.id = f.couple_id WHERE f.id = :id`,
	KindFormTemplate: `SELECT t.practice_id, 'practice' AS relation, NULL AS couple_status FROM form_templates t
		WHERE t.id = :id AND t.practice_id = :practice`,
	KindDocument: `SELECT c.practice_id, ` + authoredRelation(`d.author_id`, `d.visibility`, `d.couple_id`) + ` AS relation, c.status AS couple_status
		FROM documents d JOIN couples c ON c.id = d.couple_id WHERE d.id = :id`,
	KindTreatmentPlan: `SELECT c.practice_id, ` + planRelation() + ` AS relation, c.status AS couple_status
		FROM treatment_plans t JOIN couples c ON c.id = t.couple_id WHERE t.id = :id`,
	KindNote: `SELECT c.practice_id, ` + noteRelation(`n.author_id`, `n.couple_id`) + ` AS relation, c.status AS couple_status
		FROM notes n JOIN couples c ON c.id = n.couple_id WHERE n.id = :id`,
	KindAppointment: `SELECT c.practice_id, ` + coupleRelation(`a.couple_id`) + ` AS relation, c.status AS couple_status
		FROM appointments a JOIN couples c ON c.id = a.couple_id WHERE a.id = :id`,
	KindAppointmentRequest: `SELECT c.practice_id, ` + coupleRelation(`r.couple_id`) + ` AS relation, c.status AS couple_status
		FROM appointment_requests r JOIN couples c ON c.id = r.couple_id WHERE r.id = :id`,
	KindLiveSession: `SELECT l.practice_id, ` + coupleRelation(`l.couple_id`) + ` AS relation, c.status AS couple_status
		FROM live_sessions l JOIN couples c ON c.id = l.couple_id WHERE l.id = :id`,
}

// onCareTeam is the SQL condition that the caller is a therapist on the couple's care team.
func onCareTeam(coupleID string) string {
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM care_team ct WHERE ct.couple_id = %s AND ct.therapist_id = :user)`, coupleID)
}

// coupleRelation is the SQL expression for the caller's relation to the couple with id coupleID.
func coupleRelation(coupleID string) string {
	return fmt.Sprintf(`CASE
		WHEN %[2]s THEN 'care_team'
		WHEN EXISTS (SELECT 1 FROM couple_partners cp WHERE cp.couple_id = %[1]s AND cp.user_id = :user) THEN 'couple'
		ELSE 'practice' END`, coupleID, onCareTeam(coupleID))
}

// noteRelation is the SQL expression for the caller's relation to a clinical note. A note belongs
// to the couple's record: its author stands to it as self only while on the care team, and a
// therapist taken off the care team keeps the authorship but loses the note with the couple.
func noteRelation(author, coupleID string) string {
	return fmt.Sprintf(`CASE WHEN %[1]s = :user AND %[2]s THEN 'self' ELSE %[3]s END`,
		author, onCareTeam(coupleID), coupleRelation(coupleID))
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
		WHEN %[4]s THEN 'care_team'
		WHEN EXISTS (SELECT 1 FROM couple_partners cp WHERE cp.couple_id = %[3]s AND cp.user_id = :user)
		     THEN CASE WHEN %[2]s = 'partner' THEN 'partner' ELSE 'hidden' END
		ELSE 'practice' END`, author, visibility, coupleID, onCareTeam(coupleID))
}

// Resolve finds how the user stands to the object, in one query. An object that does not exist
// yields fault.ErrNotFound; one in a practice where the user holds no active role yields RelNone.
func (s *Store) Resolve(ctx context.Context, userID int64, ref Ref) (Access, error) {
	query, ok := relationQueries[ref.Kind]
	if !ok {
		return Access{}, fmt.Errorf("no relation query for kind %q", ref.Kind)
	}
	var row struct {
		PracticeID   int64          `db:"practice_id"`
		Relation     string         `db:"relation"`
		CoupleStatus string         `db:"couple_status"`
		Roles        pq.StringArray `db:"roles"`
	}
	q, args, err := sqlx.Named(`
		SELECT o.practice_id, o.relation, coalesce(o.couple_status, '') AS couple_status,
		       coalesce(array_agg(m.role ORDER BY m.role) FILTER (WHERE m.role IS NOT NULL), '{}') AS roles
		FROM (`+query+`) o
		LEFT JOIN memberships m ON m.practice_id = o.practice_id AND m.user_id = :user AND m.disabled_at IS NULL
		GROUP BY o.practice_id, o.relation, o.couple_status`,
		map[string]any{"user": userID, "id": ref.ID, "practice": ref.PracticeID})
	if err != nil {
		return Access{}, err
	}
	if err := s.getPrepared(ctx, &row, s.db.Rebind(q), args...); err != nil {
		return Access{}, err
	}
	a := Access{PracticeID: row.PracticeID, Roles: []string(row.Roles), Relation: row.Relation, CoupleStatus: row.CoupleStatus}
	if len(a.Roles) == 0 {
		a.Relation = RelNone
	}
	return a, nil
}
