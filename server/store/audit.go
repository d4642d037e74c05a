package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"

	"github.com/amendcare/amend/fault/pgerr"
)

// AuditEntry records who did what to which object, and how it ended. It never holds clinical text.
type AuditEntry struct {
	ID         int64   `db:"id" json:"id"`
	PracticeID *int64  `db:"practice_id" json:"practice_id,omitempty"`
	ActorID    *int64  `db:"actor_id" json:"actor_id,omitempty"`
	ActorEmail *string `db:"actor_email" json:"actor_email,omitempty"`
	Action     string  `db:"action" json:"action"`
	ObjectType string  `db:"object_type" json:"object_type"`
	ObjectID   *int64  `db:"object_id" json:"object_id,omitempty"`
	Outcome    string  `db:"outcome" json:"outcome"`
	// ChangeField, ChangeFrom and ChangeTo record a setting the request changed, such as an
	// item's visibility: its name and its values before and after. Never free text.
	ChangeField *string   `db:"change_field" json:"change_field,omitempty"`
	ChangeFrom  *string   `db:"change_from" json:"change_from,omitempty"`
	ChangeTo    *string   `db:"change_to" json:"change_to,omitempty"`
	Address     string    `db:"address" json:"address"`
	RequestID   string    `db:"request_id" json:"request_id"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

// Audit outcomes.
const (
	OutcomeAllowed = "allowed"
	OutcomeDenied  = "denied"
	OutcomeFailed  = "failed"
)

// Audit appends an entry to the audit log.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO audit_log (practice_id, actor_id, action, object_type, object_id, outcome, address, request_id,
		                       change_field, change_from, change_to)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.PracticeID, e.ActorID, e.Action, e.ObjectType, e.ObjectID, e.Outcome, e.Address, e.RequestID,
		e.ChangeField, e.ChangeFrom, e.ChangeTo)
	return pgerr.Map(err)
}

// AuditMany appends entries to the audit log in one statement, so one commit makes them all
// durable; if any entry cannot be written, none is.
func (s *Store) AuditMany(ctx context.Context, entries []AuditEntry) error {
	practices, actors, objects := make([]sql.NullInt64, len(entries)), make([]sql.NullInt64, len(entries)), make([]sql.NullInt64, len(entries))
	actions, objectTypes, outcomes := make(pq.StringArray, len(entries)), make(pq.StringArray, len(entries)), make(pq.StringArray, len(entries))
	addresses, requests := make(pq.StringArray, len(entries)), make(pq.StringArray, len(entries))
	fields, froms, tos := make([]sql.NullString, len(entries)), make([]sql.NullString, len(entries)), make([]sql.NullString, len(entries))
	for i, e := range entries {
		practices[i], actors[i], objects[i] = nullID(e.PracticeID), nullID(e.ActorID), nullID(e.ObjectID)
		actions[i], objectTypes[i], outcomes[i] = e.Action, e.ObjectType, e.Outcome
		addresses[i], requests[i] = e.Address, e.RequestID
		fields[i], froms[i], tos[i] = nullText(e.ChangeField), nullText(e.ChangeFrom), nullText(e.ChangeTo)
	}
	return s.execPrepared(ctx, `
		INSERT INTO audit_log (practice_id, actor_id, action, object_type, object_id, outcome, address, request_id,
		                       change_field, change_from, change_to)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],
		                     $9::text[], $10::text[], $11::text[])`,
		pq.Array(practices), pq.Array(actors), actions, objectTypes, pq.Array(objects), outcomes, addresses, requests,
		pq.Array(fields), pq.Array(froms), pq.Array(tos))
}

func nullText(v *string) sql.NullString {
	if v == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *v, Valid: true}
}

func nullID(id *int64) sql.NullInt64 {
	if id == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *id, Valid: true}
}

// AuditFilter narrows an audit log listing. Before is a paging cursor: entries with a smaller id.
type AuditFilter struct {
	ActorID    *int64
	ObjectType string
	ObjectID   *int64
	Action     string
	Outcome    string
	Since      *time.Time
	Until      *time.Time
	Before     int64
	Limit      int
	// OmitLogViews leaves out allowed views of the audit log and the access policy (LogViewActions).
	OmitLogViews bool
}

// LogViewActions are the views of the audit log and of the access policy: recorded like every
// other view, and left out of a listing on request so that reading the log does not bury it.
var LogViewActions = []string{"audit_log.list", "policy.read"}

// AuditLog lists a practice's audit entries, newest first.
func (s *Store) AuditLog(ctx context.Context, practiceID int64, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	out := []AuditEntry{}
	err := s.db.SelectContext(ctx, &out, auditSelect+`
		WHERE a.practice_id = $1
		  AND ($2::bigint IS NULL OR a.actor_id = $2)
		  AND ($3 = '' OR a.object_type = $3)
		  AND ($4::bigint IS NULL OR a.object_id = $4)
		  AND ($5 = '' OR a.action = $5)
		  AND ($6 = '' OR a.outcome = $6)
		  AND ($7::timestamptz IS NULL OR a.created_at >= $7)
		  AND ($8::timestamptz IS NULL OR a.created_at < $8)
		  AND ($9 = 0 OR a.id < $9)
		  AND NOT ($11 AND a.outcome = 'allowed' AND a.action = ANY($12))
		ORDER BY a.id DESC LIMIT $10`,
		practiceID, f.ActorID, f.ObjectType, f.ObjectID, f.Action, f.Outcome, f.Since, f.Until, f.Before, f.Limit,
		f.OmitLogViews, pq.Array(LogViewActions))
	return out, pgerr.Map(err)
}

const auditSelect = `
	SELECT a.id, a.practice_id, a.actor_id, u.email AS actor_email, a.action, a.object_type, a.object_id,
	       a.outcome, a.change_field, a.change_from, a.change_to, a.address, a.request_id, a.created_at
	FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id`

// SignIns lists an account's own sign-in attempts, newest first. They belong to no practice, so
// no practice's audit log shows them.
func (s *Store) SignIns(ctx context.Context, userID int64, limit int) ([]AuditEntry, error) {
	out := []AuditEntry{}
	err := s.db.SelectContext(ctx, &out, auditSelect+`
		WHERE a.practice_id IS NULL AND a.object_type = 'user' AND a.object_id = $1
		ORDER BY a.id DESC LIMIT $2`, userID, limit)
	return out, pgerr.Map(err)
}
