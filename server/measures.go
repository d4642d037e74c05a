package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// listQuestionnaires answers the validated questionnaires partners can take, with their published
// wording, scoring range and cut-off.
func (s *Server) listQuestionnaires(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"questionnaires": library.Measures()})
}

type measureInput struct {
	MeasureKey string         `json:"measure_key" validate:"required"`
	Answers    map[string]int `json:"answers" validate:"required"`
	Visibility string         `json:"visibility" validate:"omitempty,oneof=private therapist partner"`
}

// scoreMeasure scores answers to the questionnaire named by key; its errors name the field.
func scoreMeasure(key string, answers map[string]int) (library.Measure, int, error) {
	m, ok := library.MeasureByKey(key)
	if !ok {
		return m, 0, store.Invalid("measure_key", "is not a known questionnaire")
	}
	score, err := m.Score(answers)
	var fieldErr *library.FieldError
	if errors.As(err, &fieldErr) {
		return m, 0, store.InvalidFrom("answers."+fieldErr.Field, fieldErr)
	}
	return m, score, err
}

// withCutoff fills in whether a measure's score falls below its questionnaire's cut-off.
func withCutoff(m store.Measure) store.Measure {
	if q, ok := library.MeasureByKey(m.Key); ok {
		m.BelowCutoff = q.BelowCutoff(m.Score)
	}
	return m
}

// createMeasure stores the caller's answers to a questionnaire, scored the published way.
func (s *Server) createMeasure(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", "couple", "measure", "create")
	if !ok {
		return
	}
	var in measureInput
	if !s.bindJSON(c, &in) {
		return
	}
	_, score, err := scoreMeasure(in.MeasureKey, in.Answers)
	if err != nil {
		fail(c, err)
		return
	}
	if in.Visibility == "" {
		in.Visibility = store.VisibilityTherapist
	}
	m, err := s.store.CreateMeasure(c.Request.Context(), store.NewMeasure{PracticeID: access.PracticeID, CoupleID: coupleID,
		AuthorID: mustCaller(c).User.ID, Key: in.MeasureKey, Answers: in.Answers, Score: score, Visibility: in.Visibility})
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, m.ID)
	c.JSON(http.StatusCreated, withCutoff(m))
}

// listMeasures answers the measures the caller may read, oldest first.
func (s *Server) listMeasures(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", "couple", "measure", "list")
	if !ok {
		return
	}
	measures, err := s.readableMeasures(c.Request.Context(), access, coupleID, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"measures": measures})
}

// readableMeasures returns the couple's measures, oldest first, that the reader may open.
func (s *Server) readableMeasures(ctx context.Context, access store.Access, coupleID, readerID int64) ([]store.Measure, error) {
	all, err := s.store.Measures(ctx, access.PracticeID, coupleID, readerID)
	if err != nil {
		return nil, err
	}
	measures := readable(s, access, "measure", all, func(m store.Measure) string { return m.Relation })
	for i := range measures {
		measures[i] = withCutoff(measures[i])
	}
	return measures, nil
}

func (s *Server) getMeasure(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", "measure", "measure", "read")
	if !ok {
		return
	}
	m, err := s.store.MeasureByID(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withCutoff(m))
}

type measurePatch struct {
	Visibility string `json:"visibility" validate:"required,oneof=private therapist partner"`
}

// updateMeasure lets the author change who may see their answers.
func (s *Server) updateMeasure(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", "measure", "measure", "update")
	if !ok {
		return
	}
	var in measurePatch
	if !s.bindJSON(c, &in) {
		return
	}
	m, previous, err := s.store.SetMeasureVisibility(c.Request.Context(), access.PracticeID, id, in.Visibility)
	if err != nil {
		fail(c, err)
		return
	}
	auditChange(c, "visibility", previous, m.Visibility)
	c.JSON(http.StatusOK, withCutoff(m))
}
