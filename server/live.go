package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/realtime/floor"
	"github.com/amendcare/amend/server/store"
)

// Transcript paging bounds.
const (
	transcriptDefaultLimit = 100
	transcriptMaxLimit     = 500
	// maxCommandBytes matches the WebSocket's frame limit for commands sent over REST.
	maxCommandBytes = 16 << 10
)

func (s *Server) registerLive(r *gin.RouterGroup) {
	if s.hub != nil {
		s.liveLog = s.hub.Log()
	} else {
		s.liveLog = realtime.NewLog(s.store.DB())
	}
	r.POST("/couples/:id/live-sessions", s.createLiveSession)
	r.GET("/couples/:id/live-sessions", s.listLiveSessions)
	r.GET("/live/:id", s.getLiveSession)
	r.GET("/live/:id/summary", s.liveSummary)
	r.GET("/live/:id/transcript", s.liveTranscript)
	r.POST("/live/:id/commands", s.liveCommand)
	r.GET("/live/:id/ws", s.liveSocket)
}

type liveSessionInput struct {
	Mode            string `json:"mode" validate:"omitempty,oneof=turns listener"`
	TurnSeconds     int    `json:"turn_seconds" validate:"omitempty,min=10,max=3600"`
	MinBreakSeconds int    `json:"min_break_seconds" validate:"omitempty,min=10,max=3600"`
	ShowDrafts      bool   `json:"show_drafts"`
}

func (s *Server) createLiveSession(c *gin.Context) {
	coupleID, ok := pathID(c, "id")
	if !ok {
		return
	}
	var in liveSessionInput
	if !s.bindJSON(c, &in) {
		return
	}
	access, ok := s.authorize(c, store.Ref{Kind: "couple", ID: coupleID}, "live_session", "create")
	if !ok {
		return
	}
	if in.Mode == "" {
		in.Mode = floor.ModeTurns
	}
	session, err := s.liveLog.Create(c.Request.Context(), realtime.NewSession{
		PracticeID: access.PracticeID, CoupleID: coupleID, CreatedBy: mustCaller(c).User.ID,
		Mode: in.Mode, TurnSeconds: in.TurnSeconds, MinBreakSeconds: in.MinBreakSeconds,
		ShowDrafts: in.ShowDrafts,
	})
	if err != nil {
		fail(c, liveError(err))
		return
	}
	auditObject(c, session.ID)
	s.tellLiveSession(c.Request.Context(), access.PracticeID, coupleID, session.ID, realtime.NoticeLiveSessionStarted)
	c.JSON(http.StatusCreated, session)
}

func (s *Server) listLiveSessions(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", "couple", "live_session", "list")
	if !ok {
		return
	}
	sessions, err := s.liveLog.Sessions(c.Request.Context(), access.PracticeID, coupleID)
	if err != nil {
		fail(c, liveError(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"sessions": sessions})
}

// liveSession authorizes action on the session in the path and reads it.
func (s *Server) liveSession(c *gin.Context, action string) (realtime.Session, store.Access, bool) {
	id, ok := pathID(c, "id")
	if !ok {
		return realtime.Session{}, store.Access{}, false
	}
	access, ok := s.authorize(c, store.Ref{Kind: "live_session", ID: id}, "live_session", action)
	if !ok {
		return realtime.Session{}, access, false
	}
	session, err := s.liveLog.Session(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, liveError(err))
		return realtime.Session{}, access, false
	}
	return session, access, true
}

func (s *Server) getLiveSession(c *gin.Context) {
	session, _, ok := s.liveSession(c, "read")
	if !ok {
		return
	}
	c.JSON(http.StatusOK, session)
}

// liveSummary is for the care team: talk time, utterances and blocked interruptions per partner.
func (s *Server) liveSummary(c *gin.Context) {
	session, _, ok := s.liveSession(c, "summary")
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"session_id": session.ID, "status": session.Status, "seq": session.Seq,
		"summary": session.Summarize(time.Now())})
}

func (s *Server) liveTranscript(c *gin.Context) {
	after, ok := queryInt(c, "after", 0, 0, 1<<62)
	if !ok {
		return
	}
	limit, ok := queryInt(c, "limit", transcriptDefaultLimit, 1, transcriptMaxLimit)
	if !ok {
		return
	}
	session, access, ok := s.liveSession(c, "transcript")
	if !ok {
		return
	}
	// One more than asked tells whether another page follows.
	events, err := s.liveLog.Transcript(c.Request.Context(), access.PracticeID, session.ID, after, int(limit)+1)
	if err != nil {
		fail(c, liveError(err))
		return
	}
	more := len(events) > int(limit)
	if more {
		events = events[:limit]
	}
	out := make([]json.RawMessage, len(events))
	next := after
	for i, e := range events {
		out[i] = e.Frame
		next = e.Seq
	}
	c.JSON(http.StatusOK, gin.H{"events": out, "next_after": next, "has_more": more})
}

// liveCommand runs one command sent over REST, for clients without a live connection (ending a
// session from a page, say). It answers like an ack; refusals come back as errors.
func (s *Server) liveCommand(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	data, err := io.ReadAll(io.LimitReader(c.Request.Body, maxCommandBytes+1))
	if err != nil {
		fail(c, newError(http.StatusBadRequest, codeBadRequest, "The request body could not be read."))
		return
	}
	if len(data) > maxCommandBytes {
		fail(c, newError(http.StatusRequestEntityTooLarge, codeTooLarge, "The command is larger than the limit."))
		return
	}
	cmd, err := realtime.DecodeCommand(data)
	if err != nil {
		fail(c, liveError(err))
		return
	}
	if floor.Ephemeral(cmd.Type) {
		fail(c, newError(http.StatusUnprocessableEntity, codeInvalid, "Drafts travel over the live connection only."))
		return
	}
	caller := mustCaller(c)
	// The role decides a pause's action class; a seat is found only for the couple's partners.
	seat, err := s.liveLog.Seat(c.Request.Context(), id, caller.User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	role := floor.RoleChair
	if seat != "" {
		role = floor.Role(seat)
	}
	access, ok := s.authorize(c, store.Ref{Kind: "live_session", ID: id}, "live_session", realtime.ActionClass(cmd.Type, role))
	if !ok {
		return
	}
	p, err := s.participant(c.Request.Context(), access, id, caller)
	if err != nil {
		fail(c, err)
		return
	}
	res, err := s.runLiveCommand(c.Request.Context(), id, cmd, floor.Actor{UserID: p.UserID, Role: p.Role})
	if err != nil {
		fail(c, liveError(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"id": cmd.ID, "seq": res.Seq})
}

// runLiveCommand commits one command through this instance's hub, which also delivers its
// events to local connections, or straight through the log where no hub runs.
func (s *Server) runLiveCommand(ctx context.Context, sessionID int64, cmd floor.Command, actor floor.Actor) (realtime.Result, error) {
	if s.hub != nil {
		return s.hub.Execute(ctx, sessionID, cmd, actor)
	}
	return s.liveLog.Execute(ctx, sessionID, cmd, actor, time.Now())
}

// endLiveSessions ends every session of the couple that has not ended, in the chair's name of the
// staff member closing the couple's file: a closed record holds no running conversation, and
// every instance's participants see the session end.
func (s *Server) endLiveSessions(ctx context.Context, practiceID, coupleID, closedBy int64) error {
	sessions, err := s.liveLog.Sessions(ctx, practiceID, coupleID)
	if err != nil {
		return liveError(err)
	}
	end := floor.Command{Type: floor.CommandEnd}
	chair := floor.Actor{UserID: closedBy, Role: floor.RoleChair}
	for _, session := range sessions {
		if session.Status == realtime.StatusEnded {
			continue
		}
		_, err := s.runLiveCommand(ctx, session.ID, end, chair)
		var refusal *floor.Error
		if errors.As(err, &refusal) && refusal.Code == floor.CodeEnded {
			continue // ended meanwhile
		}
		if err != nil {
			return liveError(err)
		}
	}
	return nil
}

// liveSocket opens a participant's live connection: GET /live/:id/ws?after=SEQ.
func (s *Server) liveSocket(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	after, ok := queryInt(c, "after", -1, 0, 1<<62)
	if !ok {
		return
	}
	if !s.socketOriginAllowed(c.Request) {
		fail(c, newError(http.StatusForbidden, codeBadOrigin, "This connection came from a site that is not allowed to use Amend."))
		return
	}
	access, ok := s.authorize(c, store.Ref{Kind: "live_session", ID: id}, "live_session", realtime.ActionJoin)
	if !ok {
		return
	}
	if !websocket.IsWebSocketUpgrade(c.Request) {
		fail(c, newError(http.StatusUpgradeRequired, "upgrade_required", "This address speaks WebSocket only."))
		return
	}
	if s.hub == nil {
		fail(c, newError(http.StatusServiceUnavailable, codeUnavailable, "Live sessions are not available on this server."))
		return
	}
	p, err := s.participant(c.Request.Context(), access, id, mustCaller(c))
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.hub.Serve(c.Writer, c.Request, id, p, after, s.socketOriginAllowed); err != nil {
		fail(c, newError(http.StatusServiceUnavailable, codeUnavailable, "The server is restarting; please reconnect."))
	}
}

// socketOriginAllowed guards against other sites opening a live connection with the user's
// cookie: browsers always send Origin on a WebSocket handshake, and it must be allowed.
// Programs that send no Origin are no browser and authenticate like any API client.
func (s *Server) socketOriginAllowed(r *http.Request) bool {
	return r.Header.Get("Origin") == "" || s.OriginAllowed(r)
}

// participant fixes how the caller takes part: the care team's therapist chairs, a partner
// takes their seat, and the policy says which classes of command each may send.
func (s *Server) participant(ctx context.Context, access store.Access, sessionID int64, caller *Caller) (realtime.Participant, error) {
	p := realtime.Participant{UserID: caller.User.ID, PracticeID: access.PracticeID, AuthSession: caller.SessionID}
	switch access.Relation {
	case store.RelCareTeam:
		p.Role = floor.RoleChair
	case store.RelCouple:
		seat, err := s.liveLog.Seat(ctx, sessionID, caller.User.ID)
		if err != nil {
			return p, err
		}
		if seat == "" {
			return p, errNotFound
		}
		p.Role = floor.Role(seat)
	default:
		return p, newError(http.StatusForbidden, codeForbidden, "Only the couple and their care team take part in a live session.")
	}
	p.MaySpeak = s.allows(access, "live_session", realtime.ActionSpeak)
	p.MayModerate = s.allows(access, "live_session", realtime.ActionModerate)
	return p, nil
}

// liveError maps the live log's errors and the floor's refusals to API errors.
func liveError(err error) error {
	if errors.Is(err, realtime.ErrSessionNotFound) {
		return errNotFound
	}
	if errors.Is(err, realtime.ErrUnavailable) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	var refusal *floor.Error
	if !errors.As(err, &refusal) {
		return err
	}
	switch refusal.Code {
	case floor.CodeBadRequest:
		return newError(http.StatusUnprocessableEntity, codeInvalid, refusal.Message)
	case floor.CodeNotAllowed:
		return newError(http.StatusForbidden, codeForbidden, refusal.Message)
	}
	return newError(http.StatusConflict, refusal.Code, refusal.Message)
}

// queryInt reads an optional integer query parameter within [lo, hi], answering 422 otherwise.
func queryInt(c *gin.Context, name string, fallback, lo, hi int64) (int64, bool) {
	raw, present := c.GetQuery(name)
	if !present {
		return fallback, true
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < lo || n > hi {
		fail(c, &apiError{Status: http.StatusUnprocessableEntity, Code: codeInvalid, Field: name,
			Message: name + " must be a whole number from " + strconv.FormatInt(lo, 10) + "."})
		return 0, false
	}
	return n, true
}
