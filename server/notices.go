package server

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/server/store"
)

// noticeTimeout bounds the work of telling people about a change that is already committed.
const noticeTimeout = 5 * time.Second

// meEvents is the signed-in person's notice stream (Server-Sent Events), one per open tab.
func (s *Server) meEvents(c *gin.Context) {
	if s.hub == nil {
		fail(c, fault.New(fault.Unavailable, "Live notices are not available on this server."))
		return
	}
	caller := mustCaller(c)
	err := s.hub.ServeNotices(c.Writer, c.Request, caller.User.ID, caller.SessionID)
	switch {
	case errors.Is(err, realtime.ErrTooManyStreams):
		fail(c, fault.New(fault.RateLimited, "Too many open tabs are listening for notices. Close one and reload."))
	case err != nil:
		fail(c, fault.New(fault.Unavailable, "The server is restarting; please reconnect."))
	}
}

// tell sends a notice to those of people who may take action on the object ref names, each
// resolved and asked of the policy exactly as a request of theirs would be, so nobody learns
// through a notice of something they may not read. The change is committed already: a notice
// that cannot be sent is logged (its type only), and screens catch up when they reconnect.
func (s *Server) tell(ctx context.Context, people []int64, ref store.Ref, object policy.Object, action policy.Action, notice realtime.Notice) {
	if s.hub == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), noticeTimeout)
	defer cancel()
	allowed := make([]int64, 0, len(people))
	for _, userID := range people {
		access, err := s.store.Resolve(ctx, userID, ref)
		if err != nil {
			s.log.Warn("notice recipients not resolved", "type", notice.Type, "err", err)
			return
		}
		if s.allows(access, object, action) && !slices.Contains(allowed, userID) {
			allowed = append(allowed, userID)
		}
	}
	if len(allowed) == 0 {
		return
	}
	if err := s.hub.Notify(ctx, allowed, notice); err != nil {
		s.log.Warn("notice not sent", "type", notice.Type, "err", err)
	}
}

// tellLiveSession tells the couple and their care team, those who may join it, that a live
// session started or ended.
func (s *Server) tellLiveSession(ctx context.Context, practiceID, coupleID, sessionID int64, noticeType string) {
	people, err := s.store.CouplePeople(ctx, practiceID, coupleID)
	if err != nil {
		s.log.Warn("notice recipients not read", "type", noticeType, "err", err)
		return
	}
	s.tell(ctx, people, store.Ref{Kind: store.KindLiveSession, ID: sessionID}, policy.LiveSession, policy.Join,
		realtime.Notice{Type: noticeType, CoupleID: coupleID, LiveSessionID: sessionID})
}

// liveSessionEnded is the hub telling that a command ended a session on this instance.
func (s *Server) liveSessionEnded(sessionID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), noticeTimeout)
	defer cancel()
	practiceID, coupleID, err := s.store.LiveSessionCouple(ctx, sessionID)
	if err != nil {
		s.log.Warn("ended live session not read for its notice", "err", err)
		return
	}
	s.tellLiveSession(ctx, practiceID, coupleID, sessionID, realtime.NoticeLiveSessionEnded)
}

// tellAssignee tells the partner an assignment was given to that it was assigned or reviewed.
func (s *Server) tellAssignee(ctx context.Context, a store.Assignment, noticeType string) {
	s.tell(ctx, []int64{a.AssigneeID}, store.Ref{Kind: store.KindAssignment, ID: a.ID}, policy.Assignment, policy.Read,
		realtime.Notice{Type: noticeType, CoupleID: a.CoupleID, AssignmentID: a.ID})
}

// tellAssignmentReaders tells those who may read an assignment, other than the partner it was
// given to, that it changed: the care team, and the other partner only while the response is
// shared with them.
func (s *Server) tellAssignmentReaders(ctx context.Context, practiceID, assignmentID int64, noticeType string) {
	a, err := s.store.AssignmentByID(ctx, practiceID, assignmentID)
	if err != nil {
		s.log.Warn("assignment not read for its notice", "type", noticeType, "err", err)
		return
	}
	people, err := s.store.CouplePeople(ctx, practiceID, a.CoupleID)
	if err != nil {
		s.log.Warn("notice recipients not read", "type", noticeType, "err", err)
		return
	}
	people = slices.DeleteFunc(people, func(userID int64) bool { return userID == a.AssigneeID })
	s.tell(ctx, people, store.Ref{Kind: store.KindAssignment, ID: a.ID}, policy.Assignment, policy.Read,
		realtime.Notice{Type: noticeType, CoupleID: a.CoupleID, AssignmentID: a.ID})
}

// tellCommitmentAuthor tells a commitment's author that the other partner recorded a period.
func (s *Server) tellCommitmentAuthor(ctx context.Context, practiceID, commitmentID int64) {
	m, err := s.store.CommitmentByID(ctx, practiceID, commitmentID)
	if err != nil {
		s.log.Warn("commitment not read for its notice", "err", err)
		return
	}
	s.tell(ctx, []int64{m.AuthorID}, store.Ref{Kind: store.KindCommitment, ID: m.ID}, policy.Commitment, policy.Read,
		realtime.Notice{Type: realtime.NoticeCommitmentConfirmed, CoupleID: m.CoupleID, CommitmentID: m.ID})
}

// tellSafetyFlag tells those who may read a measure, other than its author, that its answers ask
// to check on safety: the care team (the questionnaires that flag are never the other partner's to read).
func (s *Server) tellSafetyFlag(ctx context.Context, practiceID int64, m store.Measure) {
	people, err := s.store.CouplePeople(ctx, practiceID, m.CoupleID)
	if err != nil {
		s.log.Warn("notice recipients not read", "type", realtime.NoticeMeasureFlagged, "err", err)
		return
	}
	people = slices.DeleteFunc(people, func(userID int64) bool { return userID == m.AuthorID })
	s.tell(ctx, people, store.Ref{Kind: store.KindMeasure, ID: m.ID}, policy.Measure, policy.Read,
		realtime.Notice{Type: realtime.NoticeMeasureFlagged, CoupleID: m.CoupleID})
}

// endSignIn closes the notice streams opened with a sign-in that has just ended.
func (s *Server) endSignIn(ctx context.Context, authSessionID int64) {
	if s.hub == nil || authSessionID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), noticeTimeout)
	defer cancel()
	if err := s.hub.EndSignIn(ctx, authSessionID); err != nil {
		s.log.Warn("notice streams of an ended sign-in not closed", "err", err)
	}
}
