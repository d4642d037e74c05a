package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
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
		return m, 0, fault.InvalidField("measure_key", "is not a known questionnaire")
	}
	score, err := m.Score(answers)
	return m, score, fault.Under("answers", err)
}

// checkMeasureVisibility refuses a visibility a questionnaire does not take: the answers to a
// care-team-only questionnaire are read by their author and the care team, never by the other
// partner, and never kept from the care team.
func checkMeasureVisibility(q library.Measure, visibility string) error {
	if q.CareTeamOnly && visibility != store.VisibilityTherapist {
		return fault.InvalidField("visibility", "must be therapist: the "+q.Name+" is read by you and your care team only")
	}
	return nil
}

// withCutoff fills in how a measure's score reads against its questionnaire: below the cut-off,
// in which severity band, and whether the answers ask the care team to check on safety.
func withCutoff(m store.Measure) store.Measure {
	m.BelowCutoff, m.Band = scoreReading(m.Key, m.Score)
	if q, ok := library.MeasureByKey(m.Key); ok {
		m.SafetyFlag = q.SafetyFlag(m.Answers)
	}
	return m
}

// scoreReading says how a score reads against its questionnaire: below the cut-off, and in which
// severity band. Answers and chart points read the same way.
func scoreReading(key string, score int) (belowCutoff bool, band string) {
	if q, ok := library.MeasureByKey(key); ok {
		return q.BelowCutoff(score), q.Band(score)
	}
	return false, ""
}

// createMeasure stores the caller's answers to a questionnaire, scored the published way.
func (s *Server) createMeasure(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Measure, policy.Create)
	if !ok {
		return
	}
	var in measureInput
	if !s.bindJSON(c, &in) {
		return
	}
	q, score, err := scoreMeasure(in.MeasureKey, in.Answers)
	if err != nil {
		fail(c, err)
		return
	}
	if in.Visibility == "" {
		in.Visibility = store.VisibilityTherapist
	}
	if err := checkMeasureVisibility(q, in.Visibility); err != nil {
		fail(c, err)
		return
	}
	m, err := s.store.CreateMeasure(c.Request.Context(), store.NewMeasure{PracticeID: access.PracticeID, CoupleID: coupleID,
		AuthorID: mustCaller(c).User.ID, Key: in.MeasureKey, Answers: in.Answers, Score: score, Visibility: in.Visibility})
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, m.ID)
	m = withCutoff(m)
	if m.SafetyFlag {
		s.tellSafetyFlag(c.Request.Context(), access.PracticeID, m)
	}
	c.JSON(http.StatusCreated, m)
}

// listMeasures answers the measures the caller may read, oldest first.
func (s *Server) listMeasures(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Measure, policy.List)
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
	measures := readable(s, access, policy.Measure, all, func(m store.Measure) string { return m.Relation })
	for i := range measures {
		measures[i] = withCutoff(measures[i])
	}
	return measures, nil
}

func (s *Server) getMeasure(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindMeasure, policy.Measure, policy.Read)
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
	id, access, ok := s.authorizeID(c, "id", store.KindMeasure, policy.Measure, policy.Update)
	if !ok {
		return
	}
	var in measurePatch
	if !s.bindJSON(c, &in) {
		return
	}
	current, err := s.store.MeasureByID(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	if q, ok := library.MeasureByKey(current.Key); ok {
		if err := checkMeasureVisibility(q, in.Visibility); err != nil {
			fail(c, err)
			return
		}
	}
	m, previous, err := s.store.SetMeasureVisibility(c.Request.Context(), access.PracticeID, id, in.Visibility)
	if err != nil {
		fail(c, err)
		return
	}
	auditChange(c, "visibility", previous, m.Visibility)
	c.JSON(http.StatusOK, withCutoff(m))
}

// listMeasureSchedules answers the couple's questionnaire schedules.
func (s *Server) listMeasureSchedules(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.MeasureSchedule, policy.List)
	if !ok {
		return
	}
	schedules, err := s.store.MeasureSchedules(c.Request.Context(), access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"measure_schedules": schedules})
}

type scheduleInput struct {
	EveryWeeks int     `json:"every_weeks" validate:"required,gte=1,lte=52"`
	StartsOn   *string `json:"starts_on" validate:"omitempty,datetime=2006-01-02"`
}

// scheduledQuestionnaire reads the questionnaire key from the path; an unknown one is not found.
func scheduledQuestionnaire(c *gin.Context) (string, bool) {
	key := c.Param("key")
	if _, ok := library.MeasureByKey(key); !ok {
		fail(c, fault.ErrNotFound)
		return "", false
	}
	return key, true
}

// setMeasureSchedule asks each partner to answer a questionnaire every N weeks from a day
// (today when not given), replacing the questionnaire's earlier schedule for the couple.
func (s *Server) setMeasureSchedule(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.MeasureSchedule, policy.Update)
	if !ok {
		return
	}
	key, ok := scheduledQuestionnaire(c)
	if !ok {
		return
	}
	var in scheduleInput
	if !s.bindJSON(c, &in) {
		return
	}
	m, err := s.store.SetMeasureSchedule(c.Request.Context(), access.PracticeID, coupleID, key, in.EveryWeeks, in.StartsOn, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	auditChange(c, key+".every_weeks", "", strconv.Itoa(m.EveryWeeks))
	c.JSON(http.StatusOK, m)
}

// deleteMeasureSchedule stops asking for a questionnaire; answers given stay.
func (s *Server) deleteMeasureSchedule(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.MeasureSchedule, policy.Update)
	if !ok {
		return
	}
	key, ok := scheduledQuestionnaire(c)
	if !ok {
		return
	}
	if err := s.store.DeleteMeasureSchedule(c.Request.Context(), access.PracticeID, coupleID, key); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// listDueMeasures answers the scheduled questionnaires the caller has yet to answer in their
// current period: a partner's own, never the other partner's; nothing for the care team.
func (s *Server) listDueMeasures(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.MeasureSchedule, policy.List)
	if !ok {
		return
	}
	due, err := s.store.DueMeasures(c.Request.Context(), access.PracticeID, coupleID, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"due": due})
}
