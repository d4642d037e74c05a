package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// exerciseInput is a practice exercise as its author writes it; the fields are checked by the
// library's rules (library.ValidateFields).
type exerciseInput struct {
	Title             string          `json:"title" validate:"required,max=200"`
	Summary           string          `json:"summary" validate:"max=4000"`
	Who               string          `json:"who" validate:"required,oneof=offender hurt both_together each_separately"`
	DefaultVisibility string          `json:"default_visibility" validate:"required,oneof=private therapist partner"`
	Fields            []library.Field `json:"fields" validate:"required"`
}

func (in exerciseInput) content() (store.ExerciseContent, error) {
	title := strings.TrimSpace(in.Title)
	if title == "" {
		return store.ExerciseContent{}, fault.InvalidField("title", "is required")
	}
	return store.ExerciseContent{Title: title, Summary: strings.TrimSpace(in.Summary), Who: in.Who,
		DefaultVisibility: in.DefaultVisibility, Fields: in.Fields}, nil
}

func (s *Server) listExercises(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Exercise, policy.List)
	if !ok {
		return
	}
	exercises, err := s.store.Exercises(c.Request.Context(), pid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"exercises": exercises})
}

// getExercise shows an exercise at its newest version, or at ?version=N.
func (s *Server) getExercise(c *gin.Context) {
	pid, okP := pathID(c, "pid")
	if !okP {
		return
	}
	exerciseID, ok := pathID(c, "id")
	if !ok {
		return
	}
	if _, ok := s.authorize(c, store.Ref{Kind: store.KindExercise, ID: exerciseID, PracticeID: pid}, policy.Exercise, policy.Read); !ok {
		return
	}
	version := 0
	if v := c.Query("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			fail(c, fault.InvalidField("version", "must be a version number"))
			return
		}
		version = n
	}
	exercise, err := s.store.ExerciseByID(c.Request.Context(), pid, exerciseID, version)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, exercise)
}

func (s *Server) createExercise(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Exercise, policy.Create)
	if !ok {
		return
	}
	var in exerciseInput
	if !s.bindJSON(c, &in) {
		return
	}
	content, err := in.content()
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	exerciseID, err := s.store.CreateExercise(ctx, pid, mustCaller(c).User.ID, content)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, exerciseID)
	s.answerExercise(c, http.StatusCreated, pid, exerciseID)
}

// reviseExercise stores new content as the exercise's next version. Assignments already given
// keep the version they were given.
func (s *Server) reviseExercise(c *gin.Context) {
	pid, okP := pathID(c, "pid")
	if !okP {
		return
	}
	exerciseID, ok := pathID(c, "id")
	if !ok {
		return
	}
	if _, ok := s.authorize(c, store.Ref{Kind: store.KindExercise, ID: exerciseID, PracticeID: pid}, policy.Exercise, policy.Update); !ok {
		return
	}
	var in exerciseInput
	if !s.bindJSON(c, &in) {
		return
	}
	content, err := in.content()
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if err := s.store.ReviseExercise(ctx, pid, exerciseID, mustCaller(c).User.ID, content); err != nil {
		fail(c, err)
		return
	}
	s.answerExercise(c, http.StatusOK, pid, exerciseID)
}

// answerExercise answers with the exercise's latest version as it now stands.
func (s *Server) answerExercise(c *gin.Context, status int, practiceID, exerciseID int64) {
	exercise, err := s.store.ExerciseByID(c.Request.Context(), practiceID, exerciseID, 0)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, exercise)
}
