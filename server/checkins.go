package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

func (s *Server) listFeelingWords(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"feeling_words": library.FeelingWords()})
}

type checkinInput struct {
	Trust      *int    `json:"trust" validate:"required,gte=0,lte=10"`
	Safety     *int    `json:"safety" validate:"required,gte=0,lte=10"`
	Feeling    string  `json:"feeling" validate:"max=40"`
	Note       string  `json:"note" validate:"max=4000"`
	Visibility *string `json:"visibility" validate:"omitempty,oneof=private therapist partner"`
}

func checkFeeling(word string) error {
	if word != "" && !library.IsFeelingWord(word) {
		return fault.InvalidField("feeling", "must be one of the feeling words")
	}
	return nil
}

// saveCheckin records the caller's check-in for today; a second one the same day replaces it.
func (s *Server) saveCheckin(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Checkin, policy.Create)
	if !ok {
		return
	}
	var in checkinInput
	if !s.bindJSON(c, &in) {
		return
	}
	if err := checkFeeling(in.Feeling); err != nil {
		fail(c, err)
		return
	}
	k, created, err := s.store.SaveCheckin(c.Request.Context(), store.CheckinInput{PracticeID: access.PracticeID,
		CoupleID: coupleID, AuthorID: mustCaller(c).User.ID, Trust: *in.Trust, Safety: *in.Safety,
		Feeling: in.Feeling, Note: in.Note, Visibility: in.Visibility})
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, k.ID)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, k)
}

// Streak is how many consecutive days a partner has checked in, as far as the reader may see.
type Streak struct {
	UserID int64 `json:"user_id"`
	// Current counts the days up to today, or up to yesterday while today's check-in is still open.
	Current int `json:"current"`
	Longest int `json:"longest"`
}

// streakOf counts consecutive days in days (2006-01-02, ascending, distinct) as of today.
func streakOf(days []string, today string) (current, longest int) {
	var prev time.Time
	run := 0
	for _, d := range days {
		day, err := time.Parse(store.DateLayout, d)
		if err != nil {
			continue
		}
		if run > 0 && day.Equal(prev.AddDate(0, 0, 1)) {
			run++
		} else {
			run = 1
		}
		prev = day
		longest = max(longest, run)
	}
	now, err := time.Parse(store.DateLayout, today)
	if err != nil || run == 0 {
		return 0, longest
	}
	if prev.Equal(now) || prev.Equal(now.AddDate(0, 0, -1)) {
		current = run
	}
	return current, longest
}

// listCheckins answers the check-ins the caller may read, optionally between from and to
// (inclusive days), with each partner's streak counted over those same readable check-ins.
func (s *Server) listCheckins(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Checkin, policy.List)
	if !ok {
		return
	}
	from, to, ok := dayRange(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	all, err := s.readableCheckins(ctx, access, coupleID, mustCaller(c).User.ID)
	if err != nil {
		fail(c, err)
		return
	}
	today, err := s.store.PracticeToday(ctx, access.PracticeID)
	if err != nil {
		fail(c, err)
		return
	}
	daysBy := map[int64][]string{}
	var authors []int64
	checkins := []store.Checkin{}
	for _, k := range all {
		if _, seen := daysBy[k.AuthorID]; !seen {
			authors = append(authors, k.AuthorID)
		}
		daysBy[k.AuthorID] = append(daysBy[k.AuthorID], k.Day)
		if (from == "" || k.Day >= from) && (to == "" || k.Day <= to) {
			checkins = append(checkins, k)
		}
	}
	streaks := []Streak{}
	for _, author := range authors {
		current, longest := streakOf(daysBy[author], today)
		streaks = append(streaks, Streak{UserID: author, Current: current, Longest: longest})
	}
	c.JSON(http.StatusOK, gin.H{"today": today, "checkins": checkins, "streaks": streaks})
}

// readableCheckins returns the couple's check-ins, oldest first, that the reader may open.
func (s *Server) readableCheckins(ctx context.Context, access store.Access, coupleID, readerID int64) ([]store.Checkin, error) {
	all, err := s.store.Checkins(ctx, access.PracticeID, coupleID, readerID)
	if err != nil {
		return nil, err
	}
	return readable(s, access, policy.Checkin, all, func(k store.Checkin) string { return k.Relation }), nil
}

// dayRange reads the optional from and to query parameters as days.
func dayRange(c *gin.Context) (from, to string, ok bool) {
	for _, name := range []string{"from", "to"} {
		v := c.Query(name)
		if v == "" {
			continue
		}
		if _, err := time.Parse(store.DateLayout, v); err != nil {
			fail(c, fault.InvalidField(name, "must be a date like 2025-03-31"))
			return "", "", false
		}
	}
	return c.Query("from"), c.Query("to"), true
}

func (s *Server) getCheckin(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindCheckin, policy.Checkin, policy.Read)
	if !ok {
		return
	}
	k, err := s.store.CheckinByID(c.Request.Context(), access.PracticeID, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, k)
}

type checkinPatch struct {
	Trust      *int    `json:"trust" validate:"omitempty,gte=0,lte=10"`
	Safety     *int    `json:"safety" validate:"omitempty,gte=0,lte=10"`
	Feeling    *string `json:"feeling" validate:"omitempty,max=40"`
	Note       *string `json:"note" validate:"omitempty,max=4000"`
	Visibility *string `json:"visibility" validate:"omitempty,oneof=private therapist partner"`
}

// updateCheckin changes the author's check-in: its content on its own day, its visibility always.
func (s *Server) updateCheckin(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindCheckin, policy.Checkin, policy.Update)
	if !ok {
		return
	}
	var in checkinPatch
	if !s.bindJSON(c, &in) {
		return
	}
	if in.Feeling != nil {
		if err := checkFeeling(*in.Feeling); err != nil {
			fail(c, err)
			return
		}
	}
	k, previous, err := s.store.UpdateCheckin(c.Request.Context(), access.PracticeID, id, store.CheckinPatch{
		Trust: in.Trust, Safety: in.Safety, Feeling: in.Feeling, Note: in.Note, Visibility: in.Visibility})
	if err != nil {
		fail(c, err)
		return
	}
	auditChange(c, "visibility", previous, k.Visibility)
	c.JSON(http.StatusOK, k)
}
