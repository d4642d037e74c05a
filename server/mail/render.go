package mail

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/amendcare/amend/server/ical"
)

//go:embed templates
var templateFS embed.FS

var (
	textLayout = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/message.txt"))
	htmlLayout = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/message.html"))
)

// wording is what a kind of message says: the same few neutral words for everyone.
type wording struct {
	subject  string // may hold one %s: the practice's name
	headline string
	action   string
}

var wordings = map[Kind]wording{
	KindInvite:          {"You are invited to join %s on Amend", "You are invited to join your practice on Amend.", "Accept the invitation"},
	KindReminder:        {"Reminder: your appointment with %s", "This is a reminder of your upcoming appointment.", "Open Amend"},
	KindAssigned:        {"Something is waiting for you in Amend", "Something is waiting for you in Amend.", "Open Amend"},
	KindReviewed:        {"Something is waiting for you in Amend", "Something is waiting for you in Amend.", "Open Amend"},
	KindFormSent:        {"Something is waiting for you in Amend", "Something is waiting for you in Amend.", "Open Amend"},
	KindFormReminder:    {"Reminder: something is waiting for you in Amend", "This is a reminder that something is still waiting for you in Amend.", "Open Amend"},
	KindDigest:          {"Work is waiting for your review in Amend", "Work is waiting for your review in Amend.", "Open Amend"},
	KindMeasureDue:      {"Something is waiting for you in Amend", "Something is waiting for you in Amend.", "Open Amend"},
	KindPasswordReset:   {"Reset your Amend password", "Someone asked to reset your Amend password. If it was you, use the link within an hour; if not, ignore this message.", "Choose a new password"},
	KindSecurityChanged: {"Your Amend sign-in was changed", "Your Amend password or second factor was just changed. If this was not you, contact your practice at once.", "Open Amend"},
}

// Rendered is a message ready to hand to a transport.
type Rendered struct {
	MessageID   string
	From, To    string
	Subject     string
	Text, HTML  string
	Unsubscribe string // the unsubscribe link; empty for security mail
	Calendar    string // an iCalendar attachment; empty but for reminders
}

// renderer turns queued messages into mail.
type renderer struct {
	base   *url.URL
	from   string
	signer signer
}

// view is what the templates see.
type view struct {
	Headline    string
	Practice    string
	When        string
	Action      string
	Link        string
	Unsubscribe string
}

func (r *renderer) render(m Message, now time.Time) (Rendered, error) {
	w, ok := wordings[m.Type]
	if !ok {
		return Rendered{}, fmt.Errorf("mail: unknown kind %q", m.Type)
	}
	subject := w.subject
	if strings.Contains(subject, "%s") {
		subject = fmt.Sprintf(subject, cmp.Or(m.PracticeName, "your practice"))
	}
	v := view{Headline: w.headline, Practice: m.PracticeName, Action: w.action, Link: r.link(m.Path, nil)}
	out := Rendered{MessageID: m.MessageID(r.base.Hostname()), From: r.from, To: m.To, Subject: subject}
	if topic := m.Type.Topic(); topic != "" {
		out.Unsubscribe = r.link("/unsubscribe", url.Values{"token": {r.signer.sign(m.To, topic)}})
		v.Unsubscribe = out.Unsubscribe
	}
	if a := m.Appointment; a != nil {
		v.When = appointmentTime(*a)
		out.Calendar = ical.Calendar("Appointment", []ical.Event{{
			UID: fmt.Sprintf("appointment-%d@%s", a.ID, r.base.Hostname()), Start: a.StartsAt, End: a.EndsAt,
			LastModified: now, Summary: "Appointment with " + cmp.Or(m.PracticeName, "your practice"), Sequence: a.Version,
		}}, now)
	}
	var text, html bytes.Buffer
	if err := textLayout.Execute(&text, v); err != nil {
		return Rendered{}, err
	}
	if err := htmlLayout.Execute(&html, v); err != nil {
		return Rendered{}, err
	}
	out.Text, out.HTML = text.String(), html.String()
	return out, nil
}

func (r *renderer) link(path string, query url.Values) string {
	u := *r.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = query.Encode()
	return u.String()
}

// appointmentTime writes an appointment's start in its own time zone.
func appointmentTime(a Appointment) string {
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return a.StartsAt.In(loc).Format("Monday 2 January 2006, 15:04") + " (" + loc.String() + ")"
}

// signer signs unsubscribe tokens with the database's mail key, so any instance can check them.
type signer struct{ key []byte }

func (s signer) mac(email, topic string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(strings.ToLower(email) + "\x00" + topic))
	return h.Sum(nil)[:18]
}

// sign makes a token that unsubscribes email from topic.
func (s signer) sign(email, topic string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(email)) + "." + topic + "." + enc.EncodeToString(s.mac(email, topic))
}

// verify reads a token made by sign.
func (s signer) verify(token string) (email, topic string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", "", false
	}
	enc := base64.RawURLEncoding
	addr, err1 := enc.DecodeString(parts[0])
	mac, err2 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(string(addr), parts[1])) {
		return "", "", false
	}
	return string(addr), parts[1], true
}
