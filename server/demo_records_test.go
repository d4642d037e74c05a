package server

import (
	"slices"
	"testing"

	"github.com/amendcare/amend/server/library"
	"github.com/amendcare/amend/server/store"
)

// TestDemoShowsFormsAPlanQuestionnairesAndAccounts: a new user of the demo finds, on one couple's
// file, a consent each partner signed, an intake one partner has begun and the other not, a
// treatment plan signed and acknowledged by both, PHQ-9 and GAD-7 series for both partners with no
// safety flag, and charges for attended sessions with a payment against them.
func TestDemoShowsFormsAPlanQuestionnairesAndAccounts(t *testing.T) {
	t.Parallel()
	st, practiceID, couples := loadDemo(t)
	ctx := t.Context()
	i := slices.IndexFunc(couples, func(c store.CoupleDetail) bool { return c.Label == "Novak & Adeyemi" })
	if i < 0 {
		t.Fatal("no demo couple Novak & Adeyemi")
	}
	couple := couples[i]

	forms, err := st.CoupleForms(ctx, practiceID, couple.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range forms {
		state := f.Status
		if f.Status == store.FormSigned && (f.SignedName == nil || len(f.DocumentSHA256) != 32) {
			state += " without its signature"
		}
		got = append(got, f.Title+": "+state)
	}
	consent, _ := library.FormByKey("couples_consent")
	intake, _ := library.FormByKey("partner_intake")
	want := []string{consent.Title + ": signed", consent.Title + ": signed", intake.Title + ": in_progress", intake.Title + ": sent"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("demo forms %q, want %q", got, want)
	}
	if flags, err := st.FormSafetyFlags(ctx, practiceID, couple.ID); err != nil || len(flags) != 0 {
		t.Errorf("the demo raises safety flags: %+v %v", flags, err)
	}

	plans, err := st.Plans(ctx, practiceID, couple.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || plans[0].Status != store.PlanSigned || len(plans[0].Acknowledgements) != 2 {
		t.Errorf("demo treatment plans: %+v", plans)
	}

	measures, err := st.Measures(ctx, practiceID, couple.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]int{}
	for _, m := range measures {
		q, _ := library.MeasureByKey(m.Key)
		if q.SafetyFlag(m.Answers) {
			t.Errorf("a demo %s raises a safety flag", m.Key)
		}
		series[m.Key+" by "+id(m.AuthorID)]++
	}
	for _, p := range couple.Partners {
		for _, key := range []string{"phq9", "gad7"} {
			if n := series[key+" by "+id(p.UserID)]; n != 3 {
				t.Errorf("%s answered the %s %d times, want 3 over the weeks", p.Name, key, n)
			}
		}
	}

	entries, balances, err := st.CoupleLedger(ctx, practiceID, couple.ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range entries {
		kinds[e.Kind]++
	}
	var owed int64
	for _, b := range balances {
		owed += b.BalanceCents
	}
	if kinds[store.EntryCharge] != 3 || kinds[store.EntryPayment] != 1 || owed <= 0 {
		t.Errorf("demo ledger: %v entries by kind, %d cents owed", kinds, owed)
	}
}
