package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// CheckinHistory gives each couple days of daily check-ins from both partners, ending yesterday
// in the practice's time zone, as a caseload that has been in care for a while has: trust that
// climbs slowly with setbacks, a missed day now and then, some check-ins kept private and some
// shared with the partner. Days a partner has checked in already are kept. It returns how many
// check-ins were added.
func CheckinHistory(ctx context.Context, st *store.Store, practiceID int64, coupleIDs []int64, days int) (int64, error) {
	todayText, err := st.PracticeToday(ctx, practiceID)
	if err != nil {
		return 0, err
	}
	today, err := time.Parse(store.DateLayout, todayText)
	if err != nil {
		return 0, err
	}
	words := library.FeelingWords()
	var added int64
	for n, coupleID := range coupleIDs {
		couple, err := st.CoupleByID(ctx, practiceID, coupleID)
		if err != nil {
			return added, fmt.Errorf("couple %d: %w", coupleID, err)
		}
		var rows []store.CheckinInput
		for seed, partner := range couple.Partners {
			seed += 2 * n
			for daysAgo := days; daysAgo >= 1; daysAgo-- {
				if (daysAgo+seed)%13 == 0 {
					continue
				}
				// From about 3 a year ago to about 7 by now, with a few hard weeks on the way.
				trust := clamp(3+4*(days-daysAgo)/max(days, 1)+wobble(daysAgo, seed)/2, 0, 10)
				safety := clamp(trust+1+wobble(daysAgo, seed+1)/2, 0, 10)
				visibility := store.VisibilityTherapist
				switch {
				case (daysAgo+seed)%11 == 0:
					visibility = store.VisibilityPrivate
				case daysAgo%4 == 0:
					visibility = store.VisibilityPartner
				}
				rows = append(rows, store.CheckinInput{CoupleID: coupleID, AuthorID: partner.UserID,
					Day: today.AddDate(0, 0, -daysAgo).Format(store.DateLayout), Trust: trust, Safety: safety,
					Feeling:    words[clamp((10-trust)*len(words)/11+wobble(daysAgo, seed), 0, len(words)-1)],
					Visibility: &visibility})
			}
		}
		count, err := st.ImportCheckins(ctx, practiceID, rows)
		added += count
		if err != nil {
			return added, fmt.Errorf("check-ins of couple %d: %w", coupleID, err)
		}
	}
	return added, st.AnalyzeCheckins(ctx)
}
