package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

type commitmentInput struct {
	Text    string `json:"text" validate:"required,max=500"`
	Cadence string `json:"cadence" validate:"required,oneof=daily weekly"`
}

// createCommitment states a commitment of the caller's, starting today.
func (s *Server) createCommitment(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Commitment, policy.Create)
	if !ok {
		return
	}
	var in commitmentInput
	if !s.bindJSON(c, &in) {
		return
	}
	text := strings.TrimSpace(in.Text)
	if text == "" {
		fail(c, fault.InvalidField("text", "is required"))
		return
	}
	m, err := s.store.CreateCommitment(c.Request.Context(), store.NewCommitment{PracticeID: access.PracticeID,
		CoupleID: coupleID, AuthorID: mustCaller(c).User.ID, Text: text, Cadence: in.Cadence})
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, m.ID)
	c.JSON(http.StatusCreated, m)
}

// KeptTally is how many recorded periods were kept and missed, and the share kept.
type KeptTally struct {
	Kept     int      `json:"kept"`
	Missed   int      `json:"missed"`
	KeptRate *float64 `json:"kept_rate"`
}

// AuthorTally is one partner's tally over all their commitments.
type AuthorTally struct {
	UserID int64 `json:"user_id"`
	KeptTally
}

// tallyCommitments sums kept and missed periods overall and per author, authors in first-seen order.
func tallyCommitments(list []store.Commitment) (KeptTally, []AuthorTally) {
	var overall KeptTally
	byAuthor := []AuthorTally{}
	index := map[int64]int{}
	for _, m := range list {
		i, seen := index[m.AuthorID]
		if !seen {
			i = len(byAuthor)
			index[m.AuthorID] = i
			byAuthor = append(byAuthor, AuthorTally{UserID: m.AuthorID})
		}
		byAuthor[i].Kept += m.Kept
		byAuthor[i].Missed += m.Missed
		overall.Kept += m.Kept
		overall.Missed += m.Missed
	}
	overall.KeptRate = store.KeptRate(overall.Kept, overall.Missed)
	for i := range byAuthor {
		byAuthor[i].KeptRate = store.KeptRate(byAuthor[i].Kept, byAuthor[i].Missed)
	}
	return overall, byAuthor
}

func (s *Server) listCommitments(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Commitment, policy.List)
	if !ok {
		return
	}
	list, err := s.store.Commitments(c.Request.Context(), access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	overall, byAuthor := tallyCommitments(list)
	c.JSON(http.StatusOK, gin.H{"commitments": list, "overall": overall, "by_partner": byAuthor})
}

// commitmentDetail is a commitment with every recorded period.
type commitmentDetail struct {
	store.Commitment
	Checks []store.CommitmentCheck `json:"checks"`
}

func (s *Server) getCommitment(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindCommitment, policy.Commitment, policy.Read)
	if !ok {
		return
	}
	s.answerCommitment(c, access.PracticeID, id, http.StatusOK)
}

func (s *Server) answerCommitment(c *gin.Context, practiceID, id int64, status int) {
	ctx := c.Request.Context()
	m, err := s.store.CommitmentByID(ctx, practiceID, id)
	if err != nil {
		fail(c, err)
		return
	}
	checks, err := s.store.CommitmentChecks(ctx, practiceID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, commitmentDetail{Commitment: m, Checks: checks})
}

// endCommitment lets the author close a commitment that no longer runs.
func (s *Server) endCommitment(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindCommitment, policy.Commitment, policy.Update)
	if !ok {
		return
	}
	if _, err := s.store.EndCommitment(c.Request.Context(), access.PracticeID, id); err != nil {
		fail(c, err)
		return
	}
	s.answerCommitment(c, access.PracticeID, id, http.StatusOK)
}

type checkInput struct {
	// Day is any day of the period being recorded; today when left out.
	Day    string `json:"day"`
	Status string `json:"status" validate:"required,oneof=kept missed"`
	Note   string `json:"note" validate:"max=2000"`
}

// recordCommitmentCheck is the other partner confirming whether a period was kept. Recording the
// same period again replaces the earlier record.
func (s *Server) recordCommitmentCheck(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindCommitment, policy.Commitment, policy.Confirm)
	if !ok {
		return
	}
	var in checkInput
	if !s.bindJSON(c, &in) {
		return
	}
	ctx := c.Request.Context()
	if in.Day == "" {
		today, err := s.store.PracticeToday(ctx, access.PracticeID)
		if err != nil {
			fail(c, err)
			return
		}
		in.Day = today
	} else if _, err := time.Parse(store.DateLayout, in.Day); err != nil {
		fail(c, fault.InvalidField("day", "must be a date like 2025-03-31"))
		return
	}
	check, created, err := s.store.RecordCheck(ctx, store.CheckInput{PracticeID: access.PracticeID, CommitmentID: id,
		RecordedBy: mustCaller(c).User.ID, Day: in.Day, Kept: in.Status == "kept", Note: strings.TrimSpace(in.Note)})
	if err != nil {
		fail(c, err)
		return
	}
	s.tellCommitmentAuthor(ctx, access.PracticeID, id)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, check)
}
