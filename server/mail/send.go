package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	gomail "github.com/wneessen/go-mail"

	"github.com/amendcare/amend/server/store"
)

// Transport hands a rendered message on for delivery.
type Transport interface {
	Deliver(ctx context.Context, m Rendered) error
}

var (
	errNotWanted  = errors.New("the recipient turned this kind of mail off")
	errOutdated   = errors.New("the appointment was moved or cancelled since this reminder was queued")
	errInviteGone = errors.New("the invitation was revoked, accepted or expired before it was sent")
	errFormDone   = errors.New("the form was handed in, signed or erased before its reminder was sent")
)

// sendWorker sends one queued message. A message is sent at most once: its Message-ID is recorded
// after the server accepts it, and a retried job finding it recorded stops there.
type sendWorker struct {
	river.WorkerDefaults[Message]
	queue     *Queue
	transport Transport
}

func (w *sendWorker) Work(ctx context.Context, job *river.Job[Message]) error {
	q, m := w.queue, job.Args
	var err error
	messageID := m.MessageID(q.render.base.Hostname())
	if sent, err := q.store.MailSent(ctx, messageID); err != nil || sent {
		return err
	}
	if topic := m.Type.Topic(); topic != "" {
		wanted, err := q.store.MailWanted(ctx, m.To, topic)
		if err != nil {
			return err
		}
		if !wanted {
			return river.JobCancel(errNotWanted)
		}
	}
	if a := m.Appointment; a != nil {
		current, err := q.store.AppointmentCurrent(ctx, a.ID, a.Version)
		if err != nil {
			return err
		}
		if !current {
			return river.JobCancel(errOutdated)
		}
	}
	if m.InviteID != 0 {
		open, err := q.store.InviteOpen(ctx, m.InviteID)
		if err != nil {
			return err
		}
		if !open {
			return river.JobCancel(errInviteGone)
		}
	}
	if m.FormID != 0 {
		open, err := q.store.FormOpen(ctx, m.FormID)
		if err != nil {
			return err
		}
		if !open {
			return river.JobCancel(errFormDone)
		}
	}
	// Another instance with a different key cannot open the link: the job is retried, and runs
	// again on an instance that can.
	if m.Path, err = q.sealer.open(m.Path); err != nil {
		return err
	}
	r, err := q.render.render(m, q.now())
	if err != nil {
		return river.JobCancel(err)
	}
	if err := w.transport.Deliver(ctx, r); err != nil {
		return err
	}
	sent := store.SentMail{MessageID: messageID, Kind: string(m.Type), Recipient: m.To, Subject: r.Subject}
	if m.PracticeID != 0 {
		sent.PracticeID = &m.PracticeID
	}
	if q.mailbox {
		text, html := q.sealer.seal(r.Text), q.sealer.seal(r.HTML)
		sent.TextBody, sent.HTMLBody = &text, &html
	}
	// Delivered: record it even if the job's context has run out, or a retry would send it again.
	return q.store.RecordSentMail(context.WithoutCancel(ctx), sent)
}

// digestArgs is the daily job that queues each therapist's review digest.
type digestArgs struct{}

func (digestArgs) Kind() string { return "mail_digest" }

// digestWorker queues one digest per therapist and practice with work waiting for review, once a day.
type digestWorker struct {
	river.WorkerDefaults[digestArgs]
	queue *Queue
}

func (w *digestWorker) Work(ctx context.Context, _ *river.Job[digestArgs]) error {
	if err := w.queue.QueueDigests(ctx); err != nil {
		return err
	}
	return w.queue.QueueMeasureReminders(ctx)
}

// QueueDigests queues today's review digests; run twice on a day, it queues each once.
func (q *Queue) QueueDigests(ctx context.Context) error {
	reviewers, err := q.store.ReviewersWithWork(ctx)
	if err != nil || len(reviewers) == 0 {
		return err
	}
	day := q.now().UTC().Format(time.DateOnly)
	params := make([]river.InsertManyParams, 0, len(reviewers))
	for _, r := range reviewers {
		m := Message{Key: fmt.Sprintf("digest:%d:%d:%s", r.PracticeID, r.UserID, day), Type: KindDigest, To: r.Email,
			PracticeID: r.PracticeID, PracticeName: r.PracticeName, Path: "/couples"}
		params = append(params, q.job(m, time.Time{}))
	}
	_, err = q.client.InsertMany(ctx, params)
	return err
}

// QueueMeasureReminders tells each partner with a scheduled questionnaire to answer that
// something is waiting for them, once per period: the message names nothing clinical, not even
// which questionnaire.
func (q *Queue) QueueMeasureReminders(ctx context.Context) error {
	partners, err := q.store.PartnersWithMeasuresDue(ctx)
	if err != nil || len(partners) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, 0, len(partners))
	for _, p := range partners {
		m := Message{Key: fmt.Sprintf("%s:%d:%d:%s", KindMeasureDue, p.PracticeID, p.UserID, p.Since), Type: KindMeasureDue,
			To: p.Email, PracticeID: p.PracticeID, PracticeName: p.PracticeName, Path: "/"}
		params = append(params, q.job(m, time.Time{}))
	}
	_, err = q.client.InsertMany(ctx, params)
	return err
}

// mailboxTransport keeps mail in the database (the development mailbox) and logs that it did,
// naming only the kind, the address and the Message-ID.
type mailboxTransport struct{ log *slog.Logger }

func (t mailboxTransport) Deliver(_ context.Context, m Rendered) error {
	t.log.Info("mail kept in the development mailbox", "message_id", m.MessageID, "to", m.To, "subject", m.Subject)
	return nil
}

// smtpTransport sends through an SMTP server.
type smtpTransport struct {
	host    string
	options []gomail.Option
}

// newSMTPTransport reads smtp://user:pass@host:port (STARTTLS required), smtps://… (TLS from the
// start) and the query option tls=starttls|opportunistic|none.
func newSMTPTransport(raw string) (*smtpTransport, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("AMEND_SMTP_URL is not a URL")
	}
	host, portText, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, portText = u.Host, ""
	}
	if host == "" {
		return nil, errors.New("AMEND_SMTP_URL names no host")
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	switch u.Scheme {
	case "smtps":
		opts = append(opts, gomail.WithSSL(), gomail.WithPort(465))
	case "smtp":
		opts = append(opts, gomail.WithPort(587))
		switch tlsMode := u.Query().Get("tls"); tlsMode {
		case "", "starttls":
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		case "opportunistic":
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		case "none":
			opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		default:
			return nil, fmt.Errorf("AMEND_SMTP_URL: tls=%s is not one of starttls, opportunistic, none", tlsMode)
		}
	default:
		return nil, fmt.Errorf("AMEND_SMTP_URL must start with smtp:// or smtps://, not %s://", u.Scheme)
	}
	if portText != "" {
		port, err := strconv.Atoi(portText)
		if err != nil {
			return nil, errors.New("AMEND_SMTP_URL has a bad port")
		}
		opts = append(opts, gomail.WithPort(port))
	}
	if user := u.User.Username(); user != "" {
		password, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(user), gomail.WithPassword(password))
	}
	return &smtpTransport{host: host, options: opts}, nil
}

func (t *smtpTransport) Deliver(ctx context.Context, r Rendered) error {
	msg := gomail.NewMsg()
	if err := msg.From(r.From); err != nil {
		return river.JobCancel(fmt.Errorf("sender address: %w", err))
	}
	if err := msg.To(r.To); err != nil {
		return river.JobCancel(fmt.Errorf("recipient address: %w", err))
	}
	msg.Subject(r.Subject)
	msg.SetMessageIDWithValue(r.MessageID)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, r.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	if r.Unsubscribe != "" {
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+r.Unsubscribe+">")
	}
	if r.Calendar != "" {
		msg.AttachReadSeeker("appointment.ics", strings.NewReader(r.Calendar),
			gomail.WithFileContentType("text/calendar; charset=utf-8; method=PUBLISH"))
	}
	client, err := gomail.NewClient(t.host, t.options...)
	if err != nil {
		return err
	}
	return client.DialAndSendWithContext(ctx, msg)
}
