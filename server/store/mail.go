package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// AfterChange runs inside the transaction of a change, given the id of what changed, so that work
// belonging to the change (queueing its mail) commits or rolls back with it.
type AfterChange func(ctx context.Context, tx *sqlx.Tx, id int64) error

func runAfter(ctx context.Context, tx *sqlx.Tx, id int64, hooks []AfterChange) error {
	for _, hook := range hooks {
		if err := hook(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// Mail topics a person may turn off; security mail has none and is always sent.
const (
	TopicInvitations = "invitations"
	TopicReminders   = "reminders"
	TopicExercises   = "exercises"
	TopicDigest      = "digest"
)

// topicColumns maps each topic to its column, so that no SQL is built from input.
var topicColumns = map[string]string{
	TopicInvitations: "invitations", TopicReminders: "reminders", TopicExercises: "exercises", TopicDigest: "digest",
}

// MailPreferences says which optional mail a person wants.
type MailPreferences struct {
	Invitations bool `db:"invitations" json:"invitations"`
	Reminders   bool `db:"reminders" json:"reminders"`
	Exercises   bool `db:"exercises" json:"exercises"`
	Digest      bool `db:"digest" json:"digest"`
}

// MailPreferencesFor returns an address's preferences; everything is on until turned off.
func (s *Store) MailPreferencesFor(ctx context.Context, email string) (MailPreferences, error) {
	p := MailPreferences{Invitations: true, Reminders: true, Exercises: true, Digest: true}
	err := s.db.GetContext(ctx, &p, `SELECT invitations, reminders, exercises, digest FROM mail_preferences
		WHERE email = $1`, email)
	if err := pgerr.Map(err); err != nil && fault.ErrorCode(err) != fault.NotFound {
		return p, err
	}
	return p, nil
}

// SetMailPreferences stores an address's preferences.
func (s *Store) SetMailPreferences(ctx context.Context, email string, p MailPreferences) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO mail_preferences (email, invitations, reminders, exercises, digest) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (email) DO UPDATE SET invitations = $2, reminders = $3, exercises = $4, digest = $5,
		    updated_at = now()`, email, p.Invitations, p.Reminders, p.Exercises, p.Digest)
	return pgerr.Map(err)
}

// Unsubscribe turns one topic off for an address.
func (s *Store) Unsubscribe(ctx context.Context, email, topic string) error {
	column, ok := topicColumns[topic]
	if !ok {
		return fault.InvalidField("topic", "is not a mail topic")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO mail_preferences (email, `+column+`) VALUES ($1, false)
		ON CONFLICT (email) DO UPDATE SET `+column+` = false, updated_at = now()`, email)
	return pgerr.Map(err)
}

// MailWanted reports whether an address still wants mail of a topic.
func (s *Store) MailWanted(ctx context.Context, email, topic string) (bool, error) {
	p, err := s.MailPreferencesFor(ctx, email)
	if err != nil {
		return false, err
	}
	switch topic {
	case TopicInvitations:
		return p.Invitations, nil
	case TopicReminders:
		return p.Reminders, nil
	case TopicExercises:
		return p.Exercises, nil
	case TopicDigest:
		return p.Digest, nil
	}
	return true, nil
}

// SentMail is one message handed on for delivery. The bodies are kept only in the development
// mailbox (no mail server configured).
type SentMail struct {
	MessageID  string    `db:"message_id" json:"message_id"`
	PracticeID *int64    `db:"practice_id" json:"practice_id,omitempty"`
	Kind       string    `db:"kind" json:"kind"`
	Recipient  string    `db:"recipient" json:"recipient"`
	Subject    string    `db:"subject" json:"subject"`
	TextBody   *string   `db:"text_body" json:"text_body,omitempty"`
	HTMLBody   *string   `db:"html_body" json:"html_body,omitempty"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
}

// MailSent reports whether a message was handed on already.
func (s *Store) MailSent(ctx context.Context, messageID string) (bool, error) {
	var sent bool
	err := s.db.GetContext(ctx, &sent, `SELECT EXISTS (SELECT 1 FROM sent_mail WHERE message_id = $1)`, messageID)
	return sent, pgerr.Map(err)
}

// RecordSentMail notes a message as handed on; recording it twice keeps the first.
func (s *Store) RecordSentMail(ctx context.Context, m SentMail) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO sent_mail (message_id, practice_id, kind, recipient, subject, text_body, html_body)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING`,
		m.MessageID, m.PracticeID, m.Kind, m.Recipient, m.Subject, m.TextBody, m.HTMLBody)
	return pgerr.Map(err)
}

// Mailbox lists the newest messages kept in the development mailbox for a practice: its own, and
// the security mail (password resets and notices, which belong to no practice) of its members.
func (s *Store) Mailbox(ctx context.Context, practiceID int64, limit int) ([]SentMail, error) {
	out := []SentMail{}
	err := s.db.SelectContext(ctx, &out, `SELECT message_id, practice_id, kind, recipient, subject, text_body,
		       html_body, created_at
		FROM sent_mail s
		WHERE text_body IS NOT NULL AND (practice_id = $1 OR practice_id IS NULL AND EXISTS (
			SELECT 1 FROM users u JOIN memberships m ON m.user_id = u.id
			WHERE u.email = s.recipient AND m.practice_id = $1))
		ORDER BY created_at DESC, message_id LIMIT $2`, practiceID, limit)
	return out, pgerr.Map(err)
}

// MailSigningKey returns the key that signs unsubscribe links.
func (s *Store) MailSigningKey(ctx context.Context) ([]byte, error) {
	var key []byte
	err := s.db.GetContext(ctx, &key, `SELECT key FROM mail_signing_key`)
	return key, pgerr.Map(err)
}

// Recipient is a person mail goes to.
type Recipient struct {
	UserID int64  `db:"user_id"`
	Email  string `db:"email"`
}

// InviteOpen reports whether an invite can still be accepted.
func (s *Store) InviteOpen(ctx context.Context, inviteID int64) (bool, error) {
	var open bool
	err := s.db.GetContext(ctx, &open, `SELECT EXISTS (SELECT 1 FROM invites
		WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now())`, inviteID)
	return open, pgerr.Map(err)
}

// AppointmentMail is what an appointment's reminders are made from.
type AppointmentMail struct {
	ID           int64         `db:"id"`
	Version      int           `db:"version"`
	Status       string        `db:"status"`
	PracticeID   int64         `db:"practice_id"`
	PracticeName string        `db:"practice_name"`
	StartsAt     time.Time     `db:"starts_at"`
	EndsAt       time.Time     `db:"ends_at"`
	TimeZone     string        `db:"time_zone"`
	LeadMinutes  pq.Int64Array `db:"reminder_lead_minutes"`
	// Recipients are both partners and the therapist.
	Recipients []Recipient `db:"-"`
}

// AppointmentMailTx reads an appointment's reminder details within tx.
func AppointmentMailTx(ctx context.Context, tx *sqlx.Tx, appointmentID int64) (AppointmentMail, error) {
	var m AppointmentMail
	err := tx.GetContext(ctx, &m, `
		SELECT a.id, a.version, a.status, p.id AS practice_id, p.name AS practice_name, a.starts_at, a.ends_at,
		       a.time_zone, p.reminder_lead_minutes
		FROM appointments a JOIN couples c ON c.id = a.couple_id JOIN practices p ON p.id = c.practice_id
		WHERE a.id = $1`, appointmentID)
	if err != nil {
		return m, pgerr.Map(err)
	}
	err = tx.SelectContext(ctx, &m.Recipients, `
		SELECT u.id AS user_id, u.email FROM appointments a JOIN couple_partners cp ON cp.couple_id = a.couple_id
		JOIN users u ON u.id = cp.user_id WHERE a.id = $1
		UNION
		SELECT u.id, u.email FROM appointments a JOIN users u ON u.id = a.therapist_id WHERE a.id = $1
		ORDER BY 1`, appointmentID)
	return m, pgerr.Map(err)
}

// AppointmentCurrent reports whether an appointment is still scheduled at the given version.
func (s *Store) AppointmentCurrent(ctx context.Context, appointmentID int64, version int) (bool, error) {
	var current bool
	err := s.db.GetContext(ctx, &current, `SELECT EXISTS (SELECT 1 FROM appointments
		WHERE id = $1 AND version = $2 AND status = 'scheduled')`, appointmentID, version)
	return current, pgerr.Map(err)
}

// AssignmentMail is what an assignment's notices are made from.
type AssignmentMail struct {
	AssignmentID int64
	PracticeID   int64
	PracticeName string
	// Changed is when the assignment last changed, to tell one review from the next.
	Changed  time.Time
	Assignee Recipient
}

// AssignmentMailTx reads an assignment's notice details within tx.
func AssignmentMailTx(ctx context.Context, tx *sqlx.Tx, assignmentID int64) (AssignmentMail, error) {
	var m AssignmentMail
	err := tx.QueryRowxContext(ctx, `
		SELECT a.id, a.practice_id, p.name, a.updated_at, u.id, u.email
		FROM assignments a JOIN practices p ON p.id = a.practice_id JOIN users u ON u.id = a.assignee_id
		WHERE a.id = $1`, assignmentID).
		Scan(&m.AssignmentID, &m.PracticeID, &m.PracticeName, &m.Changed, &m.Assignee.UserID, &m.Assignee.Email)
	return m, pgerr.Map(err)
}

// Reviewer is a therapist with submitted work waiting for review in a practice.
type Reviewer struct {
	PracticeID   int64  `db:"practice_id"`
	PracticeName string `db:"practice_name"`
	Recipient
}

// ReviewersWithWork lists, per practice, the active therapists on a care team with submitted work
// that nobody has reviewed yet (a response kept private is not handed in for review).
func (s *Store) ReviewersWithWork(ctx context.Context) ([]Reviewer, error) {
	out := []Reviewer{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT DISTINCT p.id AS practice_id, p.name AS practice_name, u.id AS user_id, u.email
		FROM assignments a
		JOIN responses r ON r.assignment_id = a.id
		JOIN care_team ct ON ct.couple_id = a.couple_id
		JOIN practices p ON p.id = a.practice_id
		JOIN memberships m ON m.practice_id = a.practice_id AND m.user_id = ct.therapist_id
		     AND m.role = 'therapist' AND m.disabled_at IS NULL
		JOIN users u ON u.id = ct.therapist_id
		WHERE `+assignmentStatus+` = 'submitted'
		ORDER BY p.id, u.id`)
	return out, pgerr.Map(err)
}

// PracticeNameTx reads a practice's name within tx.
func PracticeNameTx(ctx context.Context, tx *sqlx.Tx, practiceID int64) (string, error) {
	var name string
	err := tx.GetContext(ctx, &name, `SELECT name FROM practices WHERE id = $1`, practiceID)
	return name, pgerr.Map(err)
}

// ReminderLeads returns how many minutes before an appointment a practice's reminders go out.
func (s *Store) ReminderLeads(ctx context.Context, practiceID int64) ([]int64, error) {
	var leads pq.Int64Array
	err := s.db.GetContext(ctx, &leads, `SELECT reminder_lead_minutes FROM practices WHERE id = $1`, practiceID)
	return leads, pgerr.Map(err)
}

// SetReminderLeads sets a practice's reminder lead times, in minutes; they apply to appointments
// booked or moved from now on.
func (s *Store) SetReminderLeads(ctx context.Context, practiceID int64, leads []int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE practices SET reminder_lead_minutes = $2 WHERE id = $1`,
		practiceID, pq.Int64Array(leads))
	return expectOne(res, err)
}
