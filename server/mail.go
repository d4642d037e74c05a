package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/store"
)

// afterChange wraps a hook that queues mail in the transaction of a change; without a mail queue
// (some tests) there is nothing to queue.
func (s *Server) afterChange(hook store.AfterChange) []store.AfterChange {
	if s.mail == nil {
		return nil
	}
	return []store.AfterChange{hook}
}

// mailInvite queues the invitation to the invite's address, carrying its one-time link.
func (s *Server) mailInvite(practiceID int64, email, token string) []store.AfterChange {
	return s.afterChange(func(ctx context.Context, tx *sqlx.Tx, inviteID int64) error {
		name, err := store.PracticeNameTx(ctx, tx, practiceID)
		if err != nil {
			return err
		}
		return s.mail.Enqueue(ctx, tx.Tx, mail.Message{Key: fmt.Sprintf("invite:%d", inviteID), Type: mail.KindInvite,
			To: email, PracticeID: practiceID, PracticeName: name, Path: "/invite/" + token, InviteID: inviteID}, zeroTime)
	})
}

// mailReminders schedules an appointment's reminders to both partners and the therapist, keyed by
// the appointment's version: reminders of an earlier version find it moved on and are dropped.
func (s *Server) mailReminders() []store.AfterChange {
	return s.afterChange(func(ctx context.Context, tx *sqlx.Tx, appointmentID int64) error {
		a, err := store.AppointmentMailTx(ctx, tx, appointmentID)
		if err != nil || a.Status != store.AppointmentScheduled {
			return err
		}
		when := &mail.Appointment{ID: a.ID, Version: a.Version, StartsAt: a.StartsAt, EndsAt: a.EndsAt, TimeZone: a.TimeZone}
		for _, r := range mail.Reminders(a.StartsAt, a.LeadMinutes, s.mail.Now()) {
			for _, to := range a.Recipients {
				m := mail.Message{Key: fmt.Sprintf("reminder:%d:%d:%d:%d", a.ID, a.Version, int64(r.Lead.Minutes()), to.UserID),
					Type: mail.KindReminder, To: to.Email, PracticeID: a.PracticeID, PracticeName: a.PracticeName,
					Path: "/", Appointment: when}
				if err := s.mail.Enqueue(ctx, tx.Tx, m, r.At); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// mailExercise tells an assignment's partner that something is waiting for them: a new exercise,
// or the therapist's review of their answers.
func (s *Server) mailExercise(kind mail.Kind) []store.AfterChange {
	return s.afterChange(func(ctx context.Context, tx *sqlx.Tx, assignmentID int64) error {
		a, err := store.AssignmentMailTx(ctx, tx, assignmentID)
		if err != nil {
			return err
		}
		return s.mail.Enqueue(ctx, tx.Tx, mail.Message{Key: fmt.Sprintf("%s:%d:%d", kind, a.AssignmentID, a.Changed.UnixMicro()),
			Type: kind, To: a.Assignee.Email, PracticeID: a.PracticeID, PracticeName: a.PracticeName,
			Path: fmt.Sprintf("/assignments/%d", a.AssignmentID)}, zeroTime)
	})
}

func (s *Server) getMailPreferences(c *gin.Context) {
	prefs, err := s.store.MailPreferencesFor(c.Request.Context(), mustCaller(c).User.Email)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, prefs)
}

type mailPreferencesInput struct {
	Invitations *bool `json:"invitations" validate:"required"`
	Reminders   *bool `json:"reminders" validate:"required"`
	Exercises   *bool `json:"exercises" validate:"required"`
	Digest      *bool `json:"digest" validate:"required"`
}

func (s *Server) setMailPreferences(c *gin.Context) {
	var in mailPreferencesInput
	if !s.bindJSON(c, &in) {
		return
	}
	prefs := store.MailPreferences{Invitations: *in.Invitations, Reminders: *in.Reminders, Exercises: *in.Exercises, Digest: *in.Digest}
	if err := s.store.SetMailPreferences(c.Request.Context(), mustCaller(c).User.Email, prefs); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, prefs)
}

// mailSettings is a practice's mail settings.
type mailSettings struct {
	ReminderLeadMinutes []int64 `json:"reminder_lead_minutes" validate:"max=5,dive,gte=5,lte=10080"`
}

func (s *Server) getMailSettings(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.MailSettings, policy.Read)
	if !ok {
		return
	}
	leads, err := s.store.ReminderLeads(c.Request.Context(), pid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, mailSettings{ReminderLeadMinutes: leads})
}

func (s *Server) setMailSettings(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.MailSettings, policy.Update)
	if !ok {
		return
	}
	var in mailSettings
	if !s.bindJSON(c, &in) {
		return
	}
	if in.ReminderLeadMinutes == nil {
		in.ReminderLeadMinutes = []int64{}
	}
	slices.Sort(in.ReminderLeadMinutes)
	in.ReminderLeadMinutes = slices.Compact(in.ReminderLeadMinutes)
	if err := s.store.SetReminderLeads(c.Request.Context(), pid, in.ReminderLeadMinutes); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, in)
}

// listMailbox shows the development mailbox: mail kept instead of sent when no mail server is
// configured. Only the demo practice's administrators may open it, and only in that mode.
func (s *Server) listMailbox(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Mailbox, policy.Read)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	p, err := s.store.PracticeByID(ctx, pid)
	if err != nil {
		fail(c, err)
		return
	}
	if s.mail == nil || !s.mail.Mailbox() || !slices.Contains(s.cfg.MailboxPractices, p.Name) {
		fail(c, fault.ErrNotFound)
		return
	}
	list, err := s.store.Mailbox(ctx, pid, 200)
	if err != nil {
		fail(c, err)
		return
	}
	for i := range list {
		for _, body := range []*string{list[i].TextBody, list[i].HTMLBody} {
			if body == nil {
				continue
			}
			if *body, err = s.mail.Open(*body); err != nil {
				*body = "(kept by an instance with another mail key)"
			}
		}
	}
	c.JSON(http.StatusOK, gin.H{"messages": list})
}

type unsubscribeInput struct {
	Token string `json:"token" validate:"required,max=1000"`
}

// unsubscribe turns one kind of mail off for the address a signed link names; it needs no
// sign-in, since the link comes from the mail itself.
func (s *Server) unsubscribe(c *gin.Context) {
	var in unsubscribeInput
	if !s.bindJSON(c, &in) {
		return
	}
	if s.mail == nil {
		fail(c, fault.ErrNotFound)
		return
	}
	email, topic, ok := s.mail.Unsubscribe(in.Token)
	if !ok {
		fail(c, fault.New(fault.NotFound, "This unsubscribe link is not valid."))
		return
	}
	if err := s.store.Unsubscribe(c.Request.Context(), email, topic); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"topic": topic})
}
