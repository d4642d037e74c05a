package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/realtime"
	"github.com/amendcare/amend/server/mail"
	"github.com/amendcare/amend/server/store"
)

// assignmentInput assigns an exercise to seat a, seat b, or both (one assignment per partner).
type assignmentInput struct {
	ExerciseID int64   `json:"exercise_id" validate:"required,gt=0"`
	For        string  `json:"for" validate:"required,oneof=a b both"`
	DueOn      *string `json:"due_on" validate:"omitempty"`
	Note       string  `json:"note" validate:"max=2000"`
}

type answersInput struct {
	Answers json.RawMessage `json:"answers" validate:"required"`
}

type submitInput struct {
	// Answers, when given, replace the draft before submitting.
	Answers json.RawMessage `json:"answers"`
}

type visibilityInput struct {
	Visibility string `json:"visibility" validate:"required,oneof=private therapist partner"`
}

type reviewInput struct {
	Feedback string `json:"feedback" validate:"required,max=10000"`
}

type commentInput struct {
	Body     string `json:"body" validate:"required,max=4000"`
	ParentID *int64 `json:"parent_id" validate:"omitempty,gt=0"`
}

// assignmentView is an assignment with its response when the caller may read the response.
type assignmentView struct {
	store.Assignment
	Response *store.Response `json:"response"`
}

// assignmentDetail is an assignment with the exercise version it was given and, when the caller
// may read it, the response.
type assignmentDetail struct {
	store.Assignment
	Exercise store.Exercise  `json:"exercise"`
	Response *store.Response `json:"response"`
}

func (s *Server) listAssignments(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Assignment, policy.List)
	if !ok {
		return
	}
	out, err := s.readableAssignments(c.Request.Context(), access, coupleID, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"assignments": out})
}

// readableAssignments returns the couple's assignments, newest first, that the reader may open,
// each with its response when the reader may read that too.
func (s *Server) readableAssignments(ctx context.Context, access store.Access, coupleID, readerID int64) ([]assignmentView, error) {
	all, err := s.store.CoupleAssignments(ctx, access.PracticeID, coupleID, readerID)
	if err != nil {
		return nil, err
	}
	assignments := readable(s, access, policy.Assignment, all, func(a store.Assignment) string { return a.Relation })
	out := make([]assignmentView, 0, len(assignments))
	for _, a := range assignments {
		view := assignmentView{Assignment: a}
		if s.allows(relating(access, a.ResponseRelation), policy.Response, policy.Read) {
			r, err := s.store.ResponseByAssignment(ctx, access.PracticeID, a.ID)
			if err != nil {
				return nil, err
			}
			view.Response = &r
		}
		out = append(out, view)
	}
	return out, nil
}

func (s *Server) createAssignments(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Assignment, policy.Create)
	if !ok {
		return
	}
	var in assignmentInput
	if !s.bindJSON(c, &in) {
		return
	}
	if in.DueOn != nil {
		if _, err := time.Parse(time.DateOnly, *in.DueOn); err != nil {
			fail(c, fault.InvalidField("due_on", "must be a date written as YYYY-MM-DD"))
			return
		}
	}
	seats := []string{in.For}
	if in.For == "both" {
		seats = []string{"a", "b"}
	}
	ctx := c.Request.Context()
	ids, err := s.store.CreateAssignments(ctx, store.NewAssignment{PracticeID: access.PracticeID, CoupleID: coupleID,
		ExerciseID: in.ExerciseID, Seats: seats, DueOn: in.DueOn, Note: strings.TrimSpace(in.Note),
		AssignedBy: mustCaller(c).User.ID}, s.mailExercise(mail.KindAssigned)...)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, ids[0])
	out := make([]store.Assignment, len(ids))
	for i, assignmentID := range ids {
		if out[i], err = s.store.AssignmentByID(ctx, access.PracticeID, assignmentID); err != nil {
			fail(c, err)
			return
		}
		s.tellAssignee(ctx, out[i], realtime.NoticeAssignmentAssigned)
	}
	c.JSON(http.StatusCreated, gin.H{"assignments": out})
}

func (s *Server) getAssignment(c *gin.Context) {
	assignmentID, access, ok := s.authorizeID(c, "id", store.KindAssignment, policy.Assignment, policy.Read)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	a, err := s.store.AssignmentByID(ctx, access.PracticeID, assignmentID)
	if err != nil {
		fail(c, err)
		return
	}
	detail := assignmentDetail{Assignment: a}
	if detail.Exercise, err = s.store.ExerciseByID(ctx, access.PracticeID, a.ExerciseID, a.ExerciseVersion); err != nil {
		fail(c, err)
		return
	}
	// The response's own relation decides whether it is shown: a private one stays with its author.
	responseAccess, err := s.store.Resolve(ctx, mustCaller(c).User.ID, store.Ref{Kind: store.KindResponse, ID: assignmentID})
	if err != nil {
		fail(c, err)
		return
	}
	if s.allows(responseAccess, policy.Response, policy.Read) {
		r, err := s.store.ResponseByAssignment(ctx, access.PracticeID, assignmentID)
		if err != nil {
			fail(c, err)
			return
		}
		detail.Response = &r
	}
	c.JSON(http.StatusOK, detail)
}

func (s *Server) reopenAssignment(c *gin.Context) {
	assignmentID, access, ok := s.authorizeID(c, "id", store.KindAssignment, policy.Assignment, policy.Reopen)
	if !ok {
		return
	}
	if err := s.store.ReopenAssignment(c.Request.Context(), access.PracticeID, assignmentID); err != nil {
		fail(c, err)
		return
	}
	s.answerAssignment(c, access.PracticeID, assignmentID)
}

// answerAssignment writes the assignment after a change made by someone allowed to make it.
func (s *Server) answerAssignment(c *gin.Context, practiceID, assignmentID int64) {
	a, err := s.store.AssignmentByID(c.Request.Context(), practiceID, assignmentID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

// answerResponse writes the response after its author changed it.
func (s *Server) answerResponse(c *gin.Context, practiceID, assignmentID int64) {
	r, err := s.store.ResponseByAssignment(c.Request.Context(), practiceID, assignmentID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (s *Server) getResponse(c *gin.Context) {
	assignmentID, access, ok := s.authorizeID(c, "id", store.KindResponse, policy.Response, policy.Read)
	if !ok {
		return
	}
	s.answerResponse(c, access.PracticeID, assignmentID)
}

// saveDraft keeps the partner's answers as they type; required fields may still be empty.
func (s *Server) saveDraft(c *gin.Context) {
	assignmentID, access, ok := s.authorizeID(c, "id", store.KindResponse, policy.Response, policy.Write)
	if !ok {
		return
	}
	var in answersInput
	if !s.bindJSON(c, &in) {
		return
	}
	if err := s.store.SaveDraft(c.Request.Context(), access.PracticeID, assignmentID, in.Answers); err != nil {
		fail(c, err)
		return
	}
	s.answerResponse(c, access.PracticeID, assignmentID)
}

// submitResponse hands the response to the care team; a missing or unacceptable answer is
// answered 422 naming the field.
func (s *Server) submitResponse(c *gin.Context) {
	assignmentID, access, ok := s.authorizeID(c, "id", store.KindResponse, policy.Response, policy.Submit)
	if !ok {
		return
	}
	var in submitInput
	if !s.bindJSON(c, &in) {
		return
	}
	if err := s.store.SubmitResponse(c.Request.Context(), access.PracticeID, assignmentID, in.Answers); err != nil {
		fail(c, err)
		return
	}
	s.tellAssignmentReaders(c.Request.Context(), access.PracticeID, assignmentID, realtime.NoticeAssignmentSubmitted)
	s.answerResponse(c, access.PracticeID, assignmentID)
}

// shareResponse lets the author choose who reads the response; narrowing applies at once.
func (s *Server) shareResponse(c *gin.Context) {
	assignmentID, access, ok := s.authorizeID(c, "id", store.KindResponse, policy.Response, policy.Share)
	if !ok {
		return
	}
	var in visibilityInput
	if !s.bindJSON(c, &in) {
		return
	}
	previous, err := s.store.SetResponseVisibility(c.Request.Context(), access.PracticeID, assignmentID, in.Visibility)
	if err != nil {
		fail(c, err)
		return
	}
	auditChange(c, "visibility", previous, in.Visibility)
	s.answerResponse(c, access.PracticeID, assignmentID)
}

func (s *Server) reviewResponse(c *gin.Context) {
	assignmentID, access, ok := s.authorizeID(c, "id", store.KindResponse, policy.Response, policy.Review)
	if !ok {
		return
	}
	var in reviewInput
	if !s.bindJSON(c, &in) {
		return
	}
	feedback := strings.TrimSpace(in.Feedback)
	if feedback == "" {
		fail(c, fault.InvalidField("feedback", "is required"))
		return
	}
	ctx := c.Request.Context()
	if err := s.store.ReviewResponse(ctx, access.PracticeID, assignmentID, mustCaller(c).User.ID, feedback,
		s.mailExercise(mail.KindReviewed)...); err != nil {
		fail(c, err)
		return
	}
	a, err := s.store.AssignmentByID(ctx, access.PracticeID, assignmentID)
	if err != nil {
		fail(c, err)
		return
	}
	s.tellAssignee(ctx, a, realtime.NoticeAssignmentReviewed)
	c.JSON(http.StatusOK, a)
}

func (s *Server) listComments(c *gin.Context) {
	assignmentID, access, ok := s.authorizeID(c, "id", store.KindResponse, policy.Comment, policy.List)
	if !ok {
		return
	}
	comments, err := s.store.Comments(c.Request.Context(), access.PracticeID, assignmentID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"comments": comments})
}

// addComment adds care-team feedback to a response, or the author's reply to a comment.
func (s *Server) addComment(c *gin.Context) {
	assignmentID, access, ok := s.authorizeID(c, "id", store.KindResponse, policy.Comment, policy.Create)
	if !ok {
		return
	}
	var in commentInput
	if !s.bindJSON(c, &in) {
		return
	}
	body := strings.TrimSpace(in.Body)
	if body == "" {
		fail(c, fault.InvalidField("body", "is required"))
		return
	}
	// The author answers feedback; the conversation on a response is started by the care team.
	if access.Relation == store.RelSelf && in.ParentID == nil {
		fail(c, fault.InvalidField("parent_id", "is required: reply to one of your therapist's comments"))
		return
	}
	comment, err := s.store.AddComment(c.Request.Context(), access.PracticeID, assignmentID, mustCaller(c).User.ID, in.ParentID, body)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, comment.ID)
	c.JSON(http.StatusCreated, comment)
}
