package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// Progress is a couple's time series, per partner, limited to what the reader may see.
type Progress struct {
	CoupleID int64 `json:"couple_id"`
	// Today is the practice's current day, the end of every series.
	Today          string             `json:"today"`
	Questionnaires []questionnaireRef `json:"questionnaires"`
	Partners       []PartnerProgress  `json:"partners"`
}

// questionnaireRef is what a chart needs of a questionnaire: its range, cut-off and bands, and
// the lines to draw for them.
type questionnaireRef struct {
	Key        string         `json:"key"`
	Name       string         `json:"name"`
	MaxScore   int            `json:"max_score"`
	Cutoff     float64        `json:"cutoff"`
	Bands      []library.Band `json:"bands"`
	Thresholds []threshold    `json:"thresholds"`
}

// threshold is a labelled clinical line on a chart.
type threshold struct {
	Value float64 `json:"value"`
	Label string  `json:"label"`
}

// thresholdsOf lists a questionnaire's clinical lines: its cut-off, or where each band above the
// lowest begins.
func thresholdsOf(m library.Measure) []threshold {
	out := []threshold{}
	if m.Cutoff > 0 {
		out = append(out, threshold{Value: m.Cutoff, Label: "Distress cut-off"})
	}
	for _, b := range m.Bands {
		if b.From > 0 {
			out = append(out, threshold{Value: float64(b.From), Label: b.Label})
		}
	}
	return out
}

// PartnerProgress is one partner's series.
type PartnerProgress struct {
	UserID      int64                `json:"user_id"`
	Name        string               `json:"name"`
	Seat        string               `json:"seat"`
	Checkins    []store.CheckinPoint `json:"checkins"`
	Measures    []store.MeasurePoint `json:"measures"`
	Commitments RateSeries           `json:"commitments"`
	Exercises   RateSeries           `json:"exercises"`
}

// RateSeries is a share over time: for commitments the kept rate of the partner's commitments
// (as the other partner recorded them), for exercises the share of assignments completed.
type RateSeries struct {
	Done  int        `json:"done"`
	Total int        `json:"total"`
	Rate  *float64   `json:"rate"`
	Weeks []WeekRate `json:"weeks"`
}

// WeekRate is one week of a RateSeries.
type WeekRate struct {
	WeekStart string   `json:"week_start"`
	Done      int      `json:"done"`
	Total     int      `json:"total"`
	Rate      *float64 `json:"rate"`
}

// addWeek adds a week's counts to the series, merging rows of the same week.
func (r *RateSeries) addWeek(week string, done, notDone int) {
	r.Done += done
	r.Total += done + notDone
	r.Rate = store.KeptRate(r.Done, r.Total-r.Done)
	if n := len(r.Weeks); n > 0 && r.Weeks[n-1].WeekStart == week {
		w := &r.Weeks[n-1]
		w.Done += done
		w.Total += done + notDone
		w.Rate = store.KeptRate(w.Done, w.Total-w.Done)
		return
	}
	r.Weeks = append(r.Weeks, WeekRate{WeekStart: week, Done: done, Total: done + notDone, Rate: store.KeptRate(done, notDone)})
}

func (s *Server) getProgress(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Progress, policy.Read)
	if !ok {
		return
	}
	p, err := s.buildProgress(c, access, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// weekRelation is the reader's relation to the items a week's tally counts.
func weekRelation(w store.WeekTally) string { return w.Relation }

// buildProgress gathers the series. Every row is checked against the policy as the reader's own
// read of that item would be, so nothing the reader may not open shows up in a chart.
func (s *Server) buildProgress(c *gin.Context, access store.Access, coupleID int64) (Progress, error) {
	ctx := c.Request.Context()
	reader := mustCaller(c).User.ID
	p := Progress{CoupleID: coupleID, Questionnaires: []questionnaireRef{}, Partners: []PartnerProgress{}}
	for _, m := range library.Measures() {
		p.Questionnaires = append(p.Questionnaires, questionnaireRef{Key: m.Key, Name: m.Name, MaxScore: m.MaxScore,
			Cutoff: m.Cutoff, Bands: m.Bands, Thresholds: thresholdsOf(m)})
	}
	var err error
	if p.Today, err = s.store.PracticeToday(ctx, access.PracticeID); err != nil {
		return p, err
	}
	partners, err := s.store.ProgressPartners(ctx, access.PracticeID, coupleID)
	if err != nil {
		return p, err
	}
	index := map[int64]int{}
	for i, partner := range partners {
		index[partner.UserID] = i
		p.Partners = append(p.Partners, PartnerProgress{UserID: partner.UserID, Name: partner.Name, Seat: partner.Seat,
			Checkins: []store.CheckinPoint{}, Measures: []store.MeasurePoint{},
			Commitments: RateSeries{Weeks: []WeekRate{}}, Exercises: RateSeries{Weeks: []WeekRate{}}})
	}
	// of finds the series of an item's author, or nil for an author no longer seated.
	of := func(author int64) *PartnerProgress {
		if i, ok := index[author]; ok {
			return &p.Partners[i]
		}
		return nil
	}

	checkins, err := s.store.ProgressCheckins(ctx, access.PracticeID, coupleID, reader)
	if err != nil {
		return p, err
	}
	for _, k := range readable(s, access, policy.Checkin, checkins, func(k store.CheckinPoint) string { return k.Relation }) {
		if pp := of(k.AuthorID); pp != nil {
			pp.Checkins = append(pp.Checkins, k)
		}
	}
	measures, err := s.store.ProgressMeasures(ctx, access.PracticeID, coupleID, reader)
	if err != nil {
		return p, err
	}
	for _, m := range readable(s, access, policy.Measure, measures, func(m store.MeasurePoint) string { return m.Relation }) {
		if pp := of(m.AuthorID); pp != nil {
			m.BelowCutoff, m.Band = scoreReading(m.Key, m.Score)
			pp.Measures = append(pp.Measures, m)
		}
	}
	commitments, err := s.store.ProgressCommitments(ctx, access.PracticeID, coupleID, reader)
	if err != nil {
		return p, err
	}
	for _, w := range readable(s, access, policy.Commitment, commitments, weekRelation) {
		if pp := of(w.AuthorID); pp != nil {
			pp.Commitments.addWeek(w.WeekStart, w.Done, w.NotDone)
		}
	}
	assignments, err := s.store.ProgressAssignments(ctx, access.PracticeID, coupleID, reader)
	if err != nil {
		return p, err
	}
	for _, w := range readable(s, access, policy.Assignment, assignments, weekRelation) {
		if pp := of(w.AuthorID); pp != nil {
			pp.Exercises.addWeek(w.WeekStart, w.Done, w.NotDone)
		}
	}
	return p, nil
}
