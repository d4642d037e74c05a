// Package mail sends Amend's email: messages are queued as River jobs in the transaction of the
// change that causes them and sent by workers with retries, through SMTP or the development mailbox.
package mail

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"

	"github.com/amendcare/amend/server/store"
)

// Kind names what a message is about; it picks the templates and the topic.
type Kind string

// The kinds of mail Amend sends.
const (
	KindInvite          Kind = "invite"
	KindReminder        Kind = "appointment_reminder"
	KindAssigned        Kind = "exercise_assigned"
	KindReviewed        Kind = "exercise_reviewed"
	KindFormSent        Kind = "form_sent"
	KindFormReminder    Kind = "form_reminder"
	KindDigest          Kind = "review_digest"
	KindMeasureDue      Kind = "questionnaire_due"
	KindPasswordReset   Kind = "password_reset"
	KindSecurityChanged Kind = "security_changed"
)

// Topic is the preference that governs a kind; security mail has none and always goes out.
func (k Kind) Topic() string {
	switch k {
	case KindInvite:
		return store.TopicInvitations
	case KindReminder, KindFormReminder, KindMeasureDue:
		return store.TopicReminders
	case KindAssigned, KindReviewed, KindFormSent:
		return store.TopicExercises
	case KindDigest:
		return store.TopicDigest
	}
	return ""
}

// Message is one email to send, as queued. It holds only what the minimum-necessary rule allows:
// the kind ("something is waiting for you"), the practice's name, an appointment's time, and a
// link. Never put clinical text, answers, notes or a partner's words here.
type Message struct {
	// Key makes the job unique: the same key is queued once.
	Key          string `json:"key" river:"unique"`
	Type         Kind   `json:"type"`
	To           string `json:"to"`
	PracticeID   int64  `json:"practice_id,omitempty"`
	PracticeName string `json:"practice_name,omitempty"`
	// Path is the link's path within the app, such as /invite/TOKEN. Enqueue seals it, since it
	// may carry a one-time token.
	Path string `json:"path"`
	// Appointment is set on reminders; a reminder whose appointment has moved on is dropped.
	Appointment *Appointment `json:"appointment,omitempty"`
	// InviteID is set on invitations; one revoked, accepted or expired before it is sent is dropped.
	InviteID int64 `json:"invite_id,omitempty"`
	// FormID is set on form reminders; one whose form was handed in, signed or erased is dropped.
	FormID int64 `json:"form_id,omitempty"`
}

// Appointment is the time of an appointment a reminder is for.
type Appointment struct {
	ID       int64     `json:"id"`
	Version  int       `json:"version"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	TimeZone string    `json:"time_zone"`
}

// Kind is the River job kind of a message.
func (Message) Kind() string { return "mail" }

// InsertOpts makes every message unique by its key, and retried for about three days.
func (Message) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 20, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// MessageID is the message's stable Message-ID (without brackets): the same for every attempt.
func (m Message) MessageID(domain string) string {
	sum := sha256.Sum256([]byte(m.Key))
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// Config says how mail is sent.
type Config struct {
	// SMTPURL is smtp://user:pass@host:port (STARTTLS) or smtps://… (TLS); "?tls=none" allows plain
	// text to a loopback test server. Empty keeps mail in the development mailbox.
	SMTPURL string
	// From is the sender address.
	From string
	// BaseURL is where the web app is reached, for the links in mail.
	BaseURL string
	// Key (KeySize bytes) seals links in queued mail and the development mailbox's bodies; every
	// instance needs the same one. Nil makes a key for this process alone.
	Key []byte
	// Workers is how many messages this instance sends at once.
	Workers int
	// PollInterval is how often the instance looks for due jobs.
	PollInterval time.Duration
	// Retry decides when a failed send is tried again; nil uses River's exponential back-off.
	Retry river.ClientRetryPolicy
	// DigestHour is the UTC hour of the daily review digest.
	DigestHour int
	// Now is the clock for scheduling; nil is the real one. Tests move it instead of sleeping.
	Now    func() time.Time
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.From == "" {
		c.From = "Amend <no-reply@amend.invalid>"
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://127.0.0.1:8080"
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.DigestHour <= 0 || c.DigestHour > 23 {
		c.DigestHour = 7
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Queue queues messages and, once started, sends them.
type Queue struct {
	cfg     Config
	client  *river.Client[*sql.Tx]
	store   *store.Store
	render  *renderer
	sealer  sealer
	now     func() time.Time
	mailbox bool
}

// New builds a queue on the store's database pool.
func New(ctx context.Context, st *store.Store, cfg Config) (*Queue, error) {
	cfg = cfg.withDefaults()
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("mail base URL %q must be absolute", cfg.BaseURL)
	}
	var transport Transport = mailboxTransport{log: cfg.Logger}
	if cfg.SMTPURL != "" {
		if transport, err = newSMTPTransport(cfg.SMTPURL); err != nil {
			return nil, err
		}
	}
	key, err := st.MailSigningKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("mail signing key: %w", err)
	}
	if cfg.Key == nil {
		cfg.Key = NewKey()
	}
	seal, err := newSealer(cfg.Key)
	if err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg, store: st, now: time.Now, mailbox: cfg.SMTPURL == "", sealer: seal,
		render: &renderer{base: base, from: cfg.From, signer: signer{key: key}}}
	if cfg.Now != nil {
		q.now = cfg.Now
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &sendWorker{queue: q, transport: transport})
	river.AddWorker(workers, &digestWorker{queue: q})
	rc := &river.Config{
		Workers:                     workers,
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		PollOnly:                    true,
		FetchPollInterval:           cfg.PollInterval,
		FetchCooldown:               min(cfg.PollInterval, 100*time.Millisecond),
		RetryPolicy:                 cfg.Retry,
		CompletedJobRetentionPeriod: time.Hour,
		// A send that hangs is given up after a minute and retried; a job left running by an
		// instance that died is taken up again after five.
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: 5 * time.Minute,
		Logger:               cfg.Logger,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(dailyAt(cfg.DigestHour),
			func() (river.JobArgs, *river.InsertOpts) { return digestArgs{}, nil }, nil)},
	}
	if cfg.Now != nil {
		rc.Test.Time = clock(cfg.Now)
	}
	if q.client, err = river.NewClient(riverdatabasesql.New(st.DB().DB), rc); err != nil {
		return nil, fmt.Errorf("mail queue: %w", err)
	}
	return q, nil
}

// Start begins sending; Stop waits for messages being sent, up to ctx's deadline.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop stops sending, letting messages in flight finish.
func (q *Queue) Stop(ctx context.Context) error { return q.client.Stop(ctx) }

// Mailbox reports whether mail is kept in the development mailbox instead of sent.
func (q *Queue) Mailbox() bool { return q.mailbox }

// Now is the queue's clock.
func (q *Queue) Now() time.Time { return q.now() }

// Enqueue queues m in tx, to be sent once tx commits (or never, if it rolls back); a zero at sends
// it as soon as possible. A message whose key is queued already is not queued again.
func (q *Queue) Enqueue(ctx context.Context, tx *sql.Tx, m Message, at time.Time) error {
	_, err := q.client.InsertManyTx(ctx, tx, []river.InsertManyParams{q.job(m, at)})
	return err
}

// job makes m a job to run at at, its link sealed.
func (q *Queue) job(m Message, at time.Time) river.InsertManyParams {
	opts := m.InsertOpts()
	opts.ScheduledAt = at
	m.Path = q.sealer.seal(m.Path)
	return river.InsertManyParams{Args: m, InsertOpts: &opts}
}

// EnqueueSecurity queues a security message (a password reset link, or "your password or second
// factor changed") in tx. Security mail has no unsubscribe link and ignores preferences. key must
// be unique per event, such as "reset:<token hash>".
func (q *Queue) EnqueueSecurity(ctx context.Context, tx *sql.Tx, kind Kind, key, to, path string) error {
	if kind.Topic() != "" {
		return errors.New("mail: " + string(kind) + " is not security mail")
	}
	return q.Enqueue(ctx, tx, Message{Key: string(kind) + ":" + key, Type: kind, To: to, Path: path}, time.Time{})
}

// Open reads a development mailbox body.
func (q *Queue) Open(sealed string) (string, error) { return q.sealer.open(sealed) }

// Unsubscribe reads a signed unsubscribe token: the address and the topic it turns off.
func (q *Queue) Unsubscribe(token string) (email, topic string, ok bool) {
	return q.render.signer.verify(token)
}

// clock is a River time generator reading the queue's clock.
type clock func() time.Time

func (c clock) Now() time.Time { return c() }

func (c clock) NowOrNil() *time.Time {
	t := c()
	return &t
}

var _ rivertype.TimeGenerator = clock(nil)

// dailyAt is a periodic schedule firing every day at hour (UTC).
type dailyAt int

func (h dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), int(h), 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}
