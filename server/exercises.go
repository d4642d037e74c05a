package server

import (
	"context"
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
	pid, exerciseID, ok := s.authorizeVersioned(c, store.KindExercise, policy.Exercise, policy.Read)
	if !ok {
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

// exercises is the practice's own exercises as the handlers that write them see them.
func (s *Server) exercises() versionedContent[store.ExerciseContent] {
	return versionedContent[store.ExerciseContent]{object: policy.Exercise, kind: store.KindExercise, create: s.store.CreateExercise,
		revise: s.store.ReviseExercise, latest: func(ctx context.Context, pid, id int64) (any, error) {
			return s.store.ExerciseByID(ctx, pid, id, 0)
		}}
}

func (s *Server) createExercise(c *gin.Context) { createVersioned[exerciseInput](s, c, s.exercises()) }

// reviseExercise stores new content as the exercise's next version. Assignments already given
// keep the version they were given.
func (s *Server) reviseExercise(c *gin.Context) { reviseVersioned[exerciseInput](s, c, s.exercises()) }
