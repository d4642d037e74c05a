package server

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/server/store"
)

// The fixture's appointments (world.appointment) fall in January 2031, Berlin time.
const billingYear = "?from=2031-01-01&to=2031-12-31"

// partnerARelation models how a fixture actor stands to p.PartnerA's client record.
func partnerARelation(p *practice, a *actor) string {
	switch a {
	case p.PartnerA:
		return store.RelSelf
	case p.Therapist:
		return store.RelCareTeam
	case p.PartnerB:
		return store.RelCouple
	}
	return store.RelPractice
}

// charge charges an appointment straight in the store.
func (w *world) charge(p *practice, appointmentID int64, kind string) []store.LedgerEntry {
	w.t.Helper()
	entries, err := w.store.ChargeAppointmentNow(context.Background(), p.ID, appointmentID, kind)
	if err != nil {
		w.t.Fatal(err)
	}
	return entries
}

// splitBilling makes p's partners pay p.Couple's charges in the given percentages (A, B).
func (w *world) splitBilling(p *practice, a, b int) {
	w.t.Helper()
	var shares []store.Share
	for _, sh := range []store.Share{{PartnerID: p.PartnerA.ID, Percent: a}, {PartnerID: p.PartnerB.ID, Percent: b}} {
		if sh.Percent > 0 {
			shares = append(shares, sh)
		}
	}
	if err := w.store.SetBillingShares(context.Background(), p.ID, p.CoupleID, shares); err != nil {
		w.t.Fatal(err)
	}
}

func billingMatrix() []matrixCase {
	practicePath := func(method, suffix string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/practices/" + id(p.ID) + suffix, body
		}
	}
	couplePath := func(method, suffix string, body any) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return method, "/api/v1/couples/" + id(p.CoupleID) + suffix, body
		}
	}
	partnerAPath := func(suffix string) func(*world, *practice) (string, string, any) {
		return func(_ *world, p *practice) (string, string, any) {
			return http.MethodGet, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.PartnerA.ID) + suffix + billingYear, nil
		}
	}
	service := func(w *world) map[string]any {
		return map[string]any{"cpt_code": fmt.Sprintf("%04dT", w.counter()), "description": "Intake", "duration_minutes": 60,
			"fee_cents": 9000}
	}
	return []matrixCase{
		{name: "read the billing profile", object: "billing_profile", action: "read", success: 200,
			request: practicePath(http.MethodGet, "/billing", nil), relation: everyone(store.RelPractice)},
		{name: "change the billing profile", object: "billing_profile", action: "update", success: 200,
			request: practicePath(http.MethodPut, "/billing", map[string]any{"name": "Harbor Counseling", "npi": "1234567893",
				"tax_id": "12-3456789", "no_show_fee_cents": 5000, "late_cancel_fee_cents": 2500}),
			relation: everyone(store.RelPractice)},
		{name: "add a service to the fee schedule", object: "service", action: "create", success: 201,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/practices/" + id(p.ID) + "/billing/services", service(w)
			}, relation: everyone(store.RelPractice)},
		{name: "change a fee", object: "service", action: "update", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				in := service(w)
				svc, err := w.store.CreateService(context.Background(), p.ID, store.ServiceInput{CPTCode: in["cpt_code"].(string),
					Description: "Intake", DurationMinutes: 60, FeeCents: 9000, Active: true})
				if err != nil {
					w.t.Fatal(err)
				}
				in["fee_cents"] = 9500
				return http.MethodPut, "/api/v1/practices/" + id(p.ID) + "/billing/services/" + id(svc.ID), in
			}, relation: everyone(store.RelPractice)},
		{name: "set a therapist's license", object: "license", action: "update", success: 204,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodPut, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.Therapist.ID) + "/license",
					map[string]any{"license_number": "LMFT 12345"}
			}, relation: therapistSelf},
		{name: "read the billing report", object: "billing_report", action: "read", success: 200,
			request: practicePath(http.MethodGet, "/billing/report"+billingYear, nil), relation: everyone(store.RelPractice)},
		{name: "export the ledger", object: "ledger", action: "export", success: 200,
			request: practicePath(http.MethodGet, "/billing/ledger.csv"+billingYear, nil), relation: everyone(store.RelPractice)},
		{name: "read a couple's accounts", object: "billing", action: "read", success: 200,
			request: couplePath(http.MethodGet, "/billing", nil), relation: coupleRelation},
		{name: "say who pays", object: "billing", action: "update", success: 200,
			request: func(_ *world, p *practice) (string, string, any) {
				return http.MethodPut, "/api/v1/couples/" + id(p.CoupleID) + "/billing/shares",
					map[string]any{"shares": []map[string]any{{"partner_id": p.PartnerA.ID, "percent": 100}}}
			}, relation: coupleRelation},
		{name: "record a payment", object: "ledger_entry", action: "create", success: 201,
			request:  couplePath(http.MethodPost, "/billing/entries", map[string]any{"kind": "payment", "amount_cents": 2000, "method": "cash"}),
			relation: coupleRelation},
		{name: "read a couple's statement", object: "statement", action: "read", success: 200,
			request: couplePath(http.MethodGet, "/billing/statement"+billingYear, nil), relation: coupleRelation},
		{name: "read diagnosis codes", object: "diagnosis", action: "read", success: 200,
			request: couplePath(http.MethodGet, "/diagnoses", nil), relation: coupleRelation},
		{name: "set diagnosis codes", object: "diagnosis", action: "update", success: 200,
			request:  couplePath(http.MethodPut, "/diagnoses", map[string]any{"diagnoses": []map[string]any{{"code": "Z63.0"}}}),
			relation: coupleRelation},
		{name: "charge an appointment", object: "charge", action: "create", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				return http.MethodPost, "/api/v1/appointments/" + id(w.appointment(p)) + "/charges", map[string]any{"kind": "session"}
			}, relation: coupleRelation},
		{name: "void a charge", object: "charge", action: "void", success: 200,
			request: func(w *world, p *practice) (string, string, any) {
				appt := w.appointment(p)
				w.charge(p, appt, store.ChargeSession)
				return http.MethodPost, "/api/v1/appointments/" + id(appt) + "/charges/session/void", nil
			}, relation: coupleRelation},
		{name: "read a partner's statement", object: "statement", action: "read", success: 200,
			request: partnerAPath("/statement"), relation: partnerARelation},
		{name: "read a partner's invoice", object: "statement", action: "read", success: 200,
			request: partnerAPath("/invoice.pdf"), relation: partnerARelation},
		{name: "read a partner's superbill", object: "superbill", action: "read", success: 200,
			request: partnerAPath("/superbill.pdf"), relation: partnerARelation},
	}
}

func TestChargingAnAppointmentIsIdempotentAndSplitBetweenPayers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.splitBilling(p, 60, 40)
	appt := w.appointment(p)
	path := "/api/v1/appointments/" + id(appt) + "/charges"
	var first, again struct{ Entries []store.LedgerEntry }
	p.Therapist.do(http.MethodPost, path, map[string]any{"kind": "session"}).JSON(t, &first)
	p.Admin.do(http.MethodPost, path, map[string]any{"kind": "session"}).JSON(t, &again)
	if len(first.Entries) != 2 || first.Entries[0].AmountCents != 9000 || first.Entries[1].AmountCents != 6000 ||
		*first.Entries[0].PayerID != p.PartnerA.ID || first.Entries[0].CPTCode != "90847" || first.Entries[0].PostedOn == "" {
		t.Fatalf("first charge: %+v", first.Entries)
	}
	if fmt.Sprint(entryIDs(again.Entries)) != fmt.Sprint(entryIDs(first.Entries)) {
		t.Errorf("charging again made %v, want the first charge %v", entryIDs(again.Entries), entryIDs(first.Entries))
	}
	// A missed appointment is charged at the practice's fee; a fee of zero charges nothing.
	var missed struct{ Entries []store.LedgerEntry }
	p.Admin.do(http.MethodPost, path, map[string]any{"kind": "no_show"}).JSON(t, &missed)
	if len(missed.Entries) != 0 {
		t.Errorf("no-show with no fee set charged %+v", missed.Entries)
	}
	void := p.Admin.do(http.MethodPost, path+"/session/void", nil)
	if void.Status != http.StatusOK {
		t.Fatalf("void: %d %s", void.Status, void.Body)
	}
	if res := p.Admin.do(http.MethodPost, path+"/session/void", nil); res.Status != http.StatusConflict {
		t.Errorf("voiding twice: %d %s, want 409", res.Status, res.Body)
	}
	if res := p.Admin.do(http.MethodPost, path+"/late_cancel/void", nil); res.Status != http.StatusNotFound {
		t.Errorf("voiding a charge never made: %d %s, want 404", res.Status, res.Body)
	}
	var billing coupleBilling
	p.Therapist.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/billing", nil).JSON(t, &billing)
	if len(billing.Entries) != 4 || !billing.Entries[slices.IndexFunc(billing.Entries, func(e store.LedgerEntry) bool {
		return e.Kind == store.EntryCharge
	})].Voided {
		t.Errorf("ledger after a void: %+v", billing.Entries)
	}
	for _, b := range billing.Balances {
		if b.BalanceCents != 0 {
			t.Errorf("balance of %v after the void: %d, want 0", b.PayerID, b.BalanceCents)
		}
	}
}

func entryIDs(entries []store.LedgerEntry) []int64 {
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	return ids
}

func TestSplitCentsAddsUpExactly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cents    int64
		percents []int
		want     []int64
	}{
		{15000, []int{100}, []int64{15000}},
		{15000, []int{50, 50}, []int64{7500, 7500}},
		{10001, []int{50, 50}, []int64{5001, 5000}},
		{999, []int{67, 33}, []int64{670, 329}},
		{1, []int{99, 1}, []int64{1, 0}},
	} {
		if got := store.SplitCents(tc.cents, tc.percents); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("SplitCents(%d, %v) = %v, want %v", tc.cents, tc.percents, got, tc.want)
		}
	}
}

// ChargeAppointment takes part in the caller's transaction: rolled back, it leaves nothing.
func TestChargeAppointmentJoinsTheCallersTransaction(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	appt := w.appointment(p)
	ctx := context.Background()
	charged := func(commit bool) []store.LedgerEntry {
		tx, err := w.store.DB().BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		entries, err := store.ChargeAppointment(ctx, tx, p.ID, appt, store.ChargeSession)
		if err != nil {
			t.Fatal(err)
		}
		if commit {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		return entries
	}
	rolledBack := charged(false)
	if entries, _, _ := w.store.CoupleLedger(ctx, p.ID, p.CoupleID); len(rolledBack) != 1 || len(entries) != 0 {
		t.Fatalf("rolled back charge: made %d, ledger holds %d", len(rolledBack), len(entries))
	}
	committed := charged(true)
	if entries, _, _ := w.store.CoupleLedger(ctx, p.ID, p.CoupleID); len(entries) != 1 || entries[0].ID != committed[0].ID {
		t.Fatalf("committed charge: ledger holds %+v", entries)
	}
	if _, err := w.store.ChargeAppointmentNow(ctx, w.B.ID, appt, store.ChargeSession); fault.ErrorCode(err) != fault.NotFound {
		t.Errorf("charging another practice's appointment: %v, want not found", err)
	}
}

// fillLedger gives p's couple a month of accounts in January 2031 naming its people everywhere
// free text allows: two sessions split 60/40 between the partners, one of them voided, a payment
// and a refund by partner a, a write-off for the couple as a whole; and a payment by p's other
// couple. It returns the couple's entries.
func (w *world) fillLedger(p *practice) []store.LedgerEntry {
	w.t.Helper()
	ctx := context.Background()
	w.splitBilling(p, 60, 40)
	first := w.appointment(p)
	w.charge(p, first, store.ChargeSession)
	w.charge(p, w.appointment(p), store.ChargeSession)
	if _, err := w.store.VoidCharge(ctx, p.ID, first, store.ChargeSession); err != nil {
		w.t.Fatal(err)
	}
	card, cash := "card", "cash"
	for _, e := range []store.NewEntry{
		{CoupleID: p.CoupleID, PayerID: &p.PartnerA.ID, Kind: store.EntryPayment, AmountCents: 9000, Method: &card,
			Reference: p.PartnerA.Email, Description: "Paid by " + p.PartnerA.Name, PostedOn: "2031-01-20"},
		{CoupleID: p.CoupleID, PayerID: &p.PartnerA.ID, Kind: store.EntryRefund, AmountCents: 1000, Method: &cash,
			Reference: p.PartnerB.Email, Description: "Refund to " + p.PartnerB.Name, PostedOn: "2031-01-21"},
		{CoupleID: p.CoupleID, Kind: store.EntryWriteOff, AmountCents: 500, Description: "Courtesy for " + w.coupleLabel(p),
			PostedOn: "2031-01-22"},
		{CoupleID: p.OtherCoupleID, PayerID: &p.OtherPartner.ID, Kind: store.EntryPayment, AmountCents: 2500, Method: &cash,
			Reference: "kept", Description: "Paid by the other couple", PostedOn: "2031-01-23"},
	} {
		if _, err := w.store.RecordEntry(ctx, p.ID, e); err != nil {
			w.t.Fatal(err)
		}
	}
	entries, _, err := w.store.CoupleLedger(ctx, p.ID, p.CoupleID)
	if err != nil {
		w.t.Fatal(err)
	}
	return entries
}

// coupleLabel reads p's couple's label.
func (w *world) coupleLabel(p *practice) string {
	w.t.Helper()
	var label string
	if err := w.store.DB().Get(&label, `SELECT label FROM couples WHERE id = $1`, p.CoupleID); err != nil {
		w.t.Fatal(err)
	}
	return label
}

// erase erases p's couple through the API as its administrator.
func (w *world) erase(p *practice) {
	w.t.Helper()
	res := p.Admin.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/erase", map[string]any{"confirm": w.coupleLabel(p)})
	if res.Status != http.StatusOK {
		w.t.Fatalf("erase: %d %s", res.Status, res.Body)
	}
}

func TestLedgerIsAppendOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.fillLedger(p)
	db := w.store.DB()
	refused := func(statements ...string) {
		t.Helper()
		for _, statement := range statements {
			if _, err := db.Exec(statement); err == nil || !strings.Contains(err.Error(), "never changed or removed") {
				t.Errorf("%s: %v, want it refused", statement, err)
			}
		}
	}
	refused(
		`UPDATE ledger_entries SET amount_cents = 1`,
		`UPDATE ledger_entries SET couple_id = NULL`,
		`UPDATE ledger_entries SET couple_id = NULL, payer_id = NULL, appointment_id = NULL, description = '', reference = ''`,
		`DELETE FROM ledger_entries`,
		`TRUNCATE ledger_entries`,
		// Removing what an entry points at is no way around it either.
		`DELETE FROM appointments WHERE id IN (SELECT appointment_id FROM ledger_entries)`,
		`DELETE FROM users WHERE id IN (SELECT payer_id FROM ledger_entries)`,
	)
	// Erasing the couple de-identifies its entries, and they stay as append-only as before.
	w.erase(p)
	refused(
		`UPDATE ledger_entries SET amount_cents = 1 WHERE couple_id IS NULL`,
		`UPDATE ledger_entries SET description = 'restored' WHERE couple_id IS NULL`,
		`DELETE FROM ledger_entries WHERE couple_id IS NULL`,
		`UPDATE ledger_entries SET couple_id = NULL WHERE couple_id IS NOT NULL`,
	)
}

// Erasing a couple keeps its ledger entries for the practice's accounts, de-identified: the
// report and the CSV export add up exactly as before, while nothing in them names the couple or
// its partners, and no read scoped to a couple or a client returns them.
func TestErasingACoupleKeepsItsLedgerDeidentified(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	p := w.A
	entries := w.fillLedger(p)
	w.fillLedger(w.B)
	label := w.coupleLabel(p)
	// The sessions are in January 2031; the void is posted today, so this month is read too.
	exports := func(q *practice) (reports string, ledger [][]string) {
		t.Helper()
		base := "/api/v1/practices/" + id(q.ID) + "/billing/"
		for _, dates := range []string{billingYear, ""} {
			r := q.Admin.do(http.MethodGet, base+"report"+dates, nil)
			l := q.Admin.do(http.MethodGet, base+"ledger.csv"+dates, nil)
			if r.Status != http.StatusOK || l.Status != http.StatusOK {
				t.Fatalf("report %d, ledger %d", r.Status, l.Status)
			}
			reports += string(r.Body) + "\n"
			ledger = append(ledger, readCSV(t, l.Body)...)
		}
		return reports, ledger
	}
	reportBefore, before := exports(p)
	otherReport, otherLedger := exports(w.B)
	w.erase(p)
	reportAfter, after := exports(p)

	if reportAfter != reportBefore {
		t.Errorf("report changed by erasure:\n%s\nwas\n%s", reportAfter, reportBefore)
	}
	if r, l := exports(w.B); r != otherReport || fmt.Sprint(l) != fmt.Sprint(otherLedger) {
		t.Errorf("another practice's report or ledger changed by erasure")
	}
	if len(after) != len(before) || len(after) != len(entries)+3 {
		t.Fatalf("ledger export has %d rows after erasure, %d before, want the couple's %d entries, the other couple's and two headers",
			len(after), len(before), len(entries))
	}
	erased := map[string]bool{}
	for _, e := range entries {
		erased[strconv.FormatInt(e.ID, 10)] = true
	}
	blanked := map[string]string{"couple_id": "", "couple": "erased record", "payer_id": "", "payer": "",
		"appointment_id": "", "description": "", "reference": ""}
	for i := range after {
		for j, column := range after[0] {
			want, blank := blanked[column]
			if !blank || i == 0 || !erased[after[i][0]] {
				want = before[i][j]
			}
			if after[i][j] != want {
				t.Errorf("entry %s's %s after erasure: %q, want %q", after[i][0], column, after[i][j], want)
			}
		}
	}
	names := []string{label, p.PartnerA.Name, p.PartnerA.Email, p.PartnerB.Name, p.PartnerB.Email}
	for _, name := range names {
		if strings.Contains(fmt.Sprint(after), name) || strings.Contains(reportAfter, name) {
			t.Errorf("%q is still in the practice's billing exports", name)
		}
	}

	// Reads scoped to a couple or a client find none of them.
	couple, balances, err := w.store.CoupleLedger(ctx, p.ID, p.CoupleID)
	if err != nil || len(couple) != 0 || len(balances) != 0 {
		t.Errorf("the erased couple's ledger: %v %v, %v", couple, balances, err)
	}
	for _, payer := range []int64{p.PartnerA.ID, p.PartnerB.ID} {
		st, err := w.store.StatementOf(ctx, p.ID, store.StatementScope{PayerID: payer}, "2031-01-01", "2031-12-31")
		if err != nil || len(st.Entries) != 0 || st.OpeningCents != 0 {
			t.Errorf("an erased partner's statement: %+v, %v", st, err)
		}
	}
	other, _, err := w.store.CoupleLedger(ctx, p.ID, p.OtherCoupleID)
	if err != nil || len(other) != 1 || other[0].Reference != "kept" || other[0].PayerID == nil || *other[0].PayerID != p.OtherPartner.ID {
		t.Errorf("the practice's other couple's ledger: %+v, %v", other, err)
	}
	var statement store.Statement
	p.OtherPartner.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/members/"+id(p.OtherPartner.ID)+"/statement"+billingYear, nil).
		JSON(t, &statement)
	if len(statement.Entries) != 1 || statement.Entries[0].Reference != "kept" {
		t.Errorf("the other partner's statement: %+v", statement)
	}
}

// readCSV parses a CSV answer.
func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// ledgerModel is the test's own account of a couple's ledger, kept beside the store's.
type ledgerModel struct{ charges, payments, adjustments int64 }

func (m ledgerModel) balance() int64 { return m.charges - m.payments - m.adjustments }

// For random sequences of charges, voids, payments, refunds, write-offs and adjustments, split
// between payers in random ways, the balance is always charges minus payments and adjustments:
// in the couple's balances, in its statement, and in the sum of its payers' statements.
func TestLedgerBalanceIsChargesMinusPaymentsAndAdjustments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	ctx := context.Background()
	if err := w.store.UpdateBillingProfile(ctx, p.ID, store.BillingProfile{NoShowFeeCents: 5000, LateCancelFeeCents: 2501}); err != nil {
		t.Fatal(err)
	}
	settings, err := w.store.BillingSettingsOf(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	fees := map[string]int64{store.ChargeNoShow: 5000, store.ChargeLateCancel: 2501}
	for _, svc := range settings.Services {
		if svc.CPTCode == "90847" {
			fees[store.ChargeSession] = svc.FeeCents
			if err := w.store.UpdateBillingProfile(ctx, p.ID, store.BillingProfile{SessionServiceID: &svc.ID,
				NoShowFeeCents: 5000, LateCancelFeeCents: 2501}); err != nil {
				t.Fatal(err)
			}
		}
	}
	payers := []*int64{nil, &p.PartnerA.ID, &p.PartnerB.ID}
	kinds := []string{store.ChargeSession, store.ChargeNoShow, store.ChargeLateCancel}
	var model ledgerModel
	type charge struct {
		appointment int64
		kind        string
	}
	var charges []charge
	rng := rand.New(rand.NewPCG(15, 2031))
	for step := range 120 {
		var op string
		switch r := rng.IntN(10); {
		case r < 3 || len(charges) == 0:
			op = "charge"
			switch rng.IntN(3) {
			case 0:
				w.splitBilling(p, 0, 0)
			case 1:
				a := 1 + rng.IntN(99)
				w.splitBilling(p, a, 100-a)
			default:
				w.splitBilling(p, 100, 0)
			}
			ch := charge{w.appointment(p), kinds[rng.IntN(len(kinds))]}
			entries := w.charge(p, ch.appointment, ch.kind)
			var sum int64
			for _, e := range entries {
				sum += e.AmountCents
			}
			if sum != fees[ch.kind] {
				t.Fatalf("step %d: a %s charge split into %+v, want a total of %d", step, ch.kind, entries, fees[ch.kind])
			}
			model.charges += sum
			charges = append(charges, ch)
		case r < 4:
			op = "void"
			i := rng.IntN(len(charges))
			ch := charges[i]
			charges = append(charges[:i], charges[i+1:]...)
			entries, err := w.store.VoidCharge(ctx, p.ID, ch.appointment, ch.kind)
			if err != nil {
				t.Fatalf("step %d: void: %v", step, err)
			}
			for _, e := range entries {
				model.charges += e.AmountCents
			}
		default:
			kind := []string{store.EntryPayment, store.EntryRefund, store.EntryWriteOff, store.EntryAdjustment}[rng.IntN(4)]
			op = kind
			amount := 1 + rng.Int64N(20000)
			e := store.NewEntry{CoupleID: p.CoupleID, PayerID: payers[rng.IntN(len(payers))], Kind: kind, AmountCents: amount}
			switch kind {
			case store.EntryPayment:
				model.payments += amount
				e.Method = ptr("card")
			case store.EntryRefund:
				model.payments -= amount
				e.Method = ptr("cheque")
			case store.EntryWriteOff:
				model.adjustments += amount
			case store.EntryAdjustment:
				if rng.IntN(2) == 0 {
					e.AmountCents = -amount
				}
				model.adjustments -= e.AmountCents
			}
			if _, err := w.store.RecordEntry(ctx, p.ID, e); err != nil {
				t.Fatalf("step %d: %s: %v", step, kind, err)
			}
		}
		_, balances, err := w.store.CoupleLedger(ctx, p.ID, p.CoupleID)
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, b := range balances {
			total += b.BalanceCents
		}
		st, err := w.store.StatementOf(ctx, p.ID, store.StatementScope{CoupleID: p.CoupleID}, "2000-01-01", "2099-12-31")
		if err != nil {
			t.Fatal(err)
		}
		got := ledgerModel{st.ChargesCents, st.PaymentsCents, st.AdjustmentsCents}
		if total != model.balance() || got != model || st.ClosingCents != model.balance() || st.BalanceCents() != model.balance() {
			t.Fatalf("step %d (%s): balances sum to %d, statement %+v closing at %d; model %+v owing %d",
				step, op, total, got, st.ClosingCents, model, model.balance())
		}
		var perPayer int64
		for _, b := range balances {
			if b.PayerID == nil {
				perPayer += b.BalanceCents
				continue
			}
			pst, err := w.store.StatementOf(ctx, p.ID, store.StatementScope{PayerID: *b.PayerID}, "2000-01-01", "2099-12-31")
			if err != nil {
				t.Fatal(err)
			}
			if pst.ClosingCents != b.BalanceCents {
				t.Fatalf("step %d: payer %d's statement closes at %d, their balance is %d", step, *b.PayerID, pst.ClosingCents, b.BalanceCents)
			}
			perPayer += pst.ClosingCents
		}
		if perPayer != model.balance() {
			t.Fatalf("step %d: payers' statements sum to %d, want %d", step, perPayer, model.balance())
		}
	}
}

func ptr[T any](v T) *T { return &v }

// pdfText reads a PDF's text with pdftotext (Debian's poppler-utils), failing the test when the
// tool is missing: the superbill's figures and a signed form's hash must be checked, not skipped.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is missing: install Debian's poppler-utils (.ci/ensure-deps pdftotext installs it)")
	}
	file := filepath.Join(t.TempDir(), "bill.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestSuperbillPrintsThePracticeTheClientCodesAndFigures(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	if res := p.Admin.do(http.MethodPut, "/api/v1/practices/"+id(p.ID)+"/billing", map[string]any{"name": "Harbor Counseling",
		"address": "12 Quay Street\nPortland, ME 04101", "npi": "1234567893", "tax_id": "12-3456789", "no_show_fee_cents": 5000,
		"late_cancel_fee_cents": 2500}); res.Status != http.StatusOK {
		t.Fatalf("profile: %d %s", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPut, "/api/v1/practices/"+id(p.ID)+"/members/"+id(p.Therapist.ID)+"/license",
		map[string]any{"license_number": "LMFT 4471"}); res.Status != http.StatusNoContent {
		t.Fatalf("license: %d %s", res.Status, res.Body)
	}
	if res := p.Therapist.do(http.MethodPut, "/api/v1/couples/"+id(p.CoupleID)+"/diagnoses", map[string]any{"diagnoses": []map[string]any{
		{"code": "Z63.0"}, {"code": "F43.21", "partner_id": p.PartnerA.ID}, {"code": "F41.1", "partner_id": p.PartnerB.ID}}}); res.Status != http.StatusOK {
		t.Fatalf("diagnoses: %d %s", res.Status, res.Body)
	}
	w.splitBilling(p, 50, 50)
	w.charge(p, w.appointment(p), store.ChargeSession)
	w.charge(p, w.appointment(p), store.ChargeNoShow)
	if res := p.Admin.do(http.MethodPost, "/api/v1/couples/"+id(p.CoupleID)+"/billing/entries", map[string]any{"kind": "payment",
		"payer_id": p.PartnerA.ID, "amount_cents": 4000, "method": "cheque", "reference": "cheque 1021", "posted_on": "2031-01-20"}); res.Status != http.StatusCreated {
		t.Fatalf("payment: %d %s", res.Status, res.Body)
	}
	superbillPath := "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.PartnerA.ID) + "/superbill.pdf" + billingYear
	res := p.PartnerA.do(http.MethodGet, superbillPath, nil)
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("superbill: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	text := pdfText(t, res.Body)
	for _, want := range []string{"Superbill", "Harbor Counseling", "12 Quay Street", "NPI: 1234567893", "Tax ID: 12-3456789",
		"A partner a", "Z63.0, F43.21", "A therapist, license LMFT 4471", "90847", "2031-01-", "$75.00", "$25.00",
		"Payment (cheque)", "$40.00", "Charges", "$100.00", "Balance due", "$60.00"} {
		if !strings.Contains(text, want) {
			t.Errorf("the superbill lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "F41.1") {
		t.Errorf("partner a's superbill shows partner b's diagnosis:\n%s", text)
	}
	invoice := p.PartnerA.do(http.MethodGet, strings.Replace(superbillPath, "superbill", "invoice", 1), nil)
	if invoice.Status != http.StatusOK {
		t.Fatalf("invoice: %d", invoice.Status)
	}
	if text := pdfText(t, invoice.Body); !strings.Contains(text, "Invoice") || !strings.Contains(text, "$60.00") || strings.Contains(text, "Z63.0") {
		t.Errorf("the invoice should show the balance due and no diagnosis:\n%s", text)
	}
	// Partners who pay separately never see each other's bills.
	for _, path := range []string{superbillPath, strings.Replace(superbillPath, "superbill.pdf", "statement", 1)} {
		if res := p.PartnerB.do(http.MethodGet, path, nil); res.Status != http.StatusNotFound {
			t.Errorf("partner b reading partner a's %s: %d, want 404", path, res.Status)
		}
	}
	var own store.Statement
	p.PartnerB.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/members/"+id(p.PartnerB.ID)+"/statement"+billingYear, nil).JSON(t, &own)
	if own.ClosingCents != 10000 || len(own.Entries) != 2 {
		t.Errorf("partner b's own statement: %+v", own)
	}
}

func TestLedgerExportAndReport(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	w.charge(p, w.appointment(p), store.ChargeSession)
	if _, err := w.store.RecordEntry(context.Background(), p.ID, store.NewEntry{CoupleID: p.CoupleID, Kind: store.EntryWriteOff,
		AmountCents: 1500, Reference: "=HYPERLINK(\"x\")", PostedOn: "2031-02-03"}); err != nil {
		t.Fatal(err)
	}
	res := p.Admin.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/billing/ledger.csv"+billingYear, nil)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	rows := readCSV(t, res.Body)
	if len(rows) != 3 {
		t.Fatalf("export rows %v", rows)
	}
	column := func(row []string, name string) string {
		for i, c := range rows[0] {
			if c == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	if column(rows[1], "amount") != "150.00" || column(rows[1], "cpt_code") != "90847" || column(rows[2], "amount") != "-15.00" ||
		column(rows[2], "reference") != `'=HYPERLINK("x")` || column(rows[1], "couple") != "Couple A" {
		t.Errorf("export: %v", rows)
	}
	var report store.BillingReport
	p.Admin.do(http.MethodGet, "/api/v1/practices/"+id(p.ID)+"/billing/report"+billingYear, nil).JSON(t, &report)
	if len(report.Months) != 2 || report.Months[0].ChargesCents != 15000 || report.Months[1].AdjustmentsCents != 1500 ||
		report.Months[1].ClosingCents != 13500 || report.Outstanding != 13500 || len(report.Therapists) != 1 ||
		report.Therapists[0].TherapistID != p.Therapist.ID || report.Therapists[0].ChargesCents != 15000 {
		t.Errorf("report: %+v", report)
	}
}

func TestBillingInputIsValidated(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	profile := "/api/v1/practices/" + id(p.ID) + "/billing"
	entries := "/api/v1/couples/" + id(p.CoupleID) + "/billing/entries"
	for _, tc := range []struct {
		name   string
		by     *actor
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"an NPI of nine digits", p.Admin, http.MethodPut, profile, map[string]any{"npi": "123456789"}, 422, "npi"},
		{"a tax id without its dash", p.Admin, http.MethodPut, profile, map[string]any{"tax_id": "123456789"}, 422, "tax_id"},
		{"a negative no-show fee", p.Admin, http.MethodPut, profile, map[string]any{"no_show_fee_cents": -1}, 422, "no_show_fee_cents"},
		{"a session service of another practice", p.Admin, http.MethodPut, profile, map[string]any{"session_service_id": 1 << 40},
			422, "session_service_id"},
		{"a CPT code of four digits", p.Admin, http.MethodPost, profile + "/services",
			map[string]any{"cpt_code": "9084", "description": "x", "duration_minutes": 50}, 422, "cpt_code"},
		{"a CPT code the schedule has", p.Admin, http.MethodPost, profile + "/services",
			map[string]any{"cpt_code": "90847", "description": "x", "duration_minutes": 50}, 409, ""},
		{"a license for a partner", p.Admin, http.MethodPut, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.PartnerA.ID) + "/license",
			map[string]any{"license_number": "X1"}, 422, "license_number"},
		{"a diagnosis that is no ICD-10 code", p.Therapist, http.MethodPut, "/api/v1/couples/" + id(p.CoupleID) + "/diagnoses",
			map[string]any{"diagnoses": []map[string]any{{"code": "Z63.0"}, {"code": "relationship distress"}}}, 422, "code"},
		{"a diagnosis for another couple's partner", p.Therapist, http.MethodPut, "/api/v1/couples/" + id(p.CoupleID) + "/diagnoses",
			map[string]any{"diagnoses": []map[string]any{{"code": "Z63.0", "partner_id": p.OtherPartner.ID}}}, 422, "partner_id"},
		{"shares short of 100", p.Admin, http.MethodPut, "/api/v1/couples/" + id(p.CoupleID) + "/billing/shares",
			map[string]any{"shares": []map[string]any{{"partner_id": p.PartnerA.ID, "percent": 50}, {"partner_id": p.PartnerB.ID, "percent": 40}}}, 422, "shares"},
		{"a share for another couple's partner", p.Admin, http.MethodPut, "/api/v1/couples/" + id(p.CoupleID) + "/billing/shares",
			map[string]any{"shares": []map[string]any{{"partner_id": p.OtherPartner.ID, "percent": 100}}}, 422, "partner_id"},
		{"a payment without a method", p.Admin, http.MethodPost, entries, map[string]any{"kind": "payment", "amount_cents": 100}, 422, "method"},
		{"a negative payment", p.Admin, http.MethodPost, entries, map[string]any{"kind": "payment", "amount_cents": -100, "method": "cash"}, 422, "amount_cents"},
		{"a write-off paid by card", p.Admin, http.MethodPost, entries, map[string]any{"kind": "write_off", "amount_cents": 100, "method": "card"}, 422, "method"},
		{"a charge recorded by hand", p.Admin, http.MethodPost, entries, map[string]any{"kind": "charge", "amount_cents": 100}, 422, "kind"},
		{"a payment by another couple's partner", p.Admin, http.MethodPost, entries,
			map[string]any{"kind": "payment", "amount_cents": 100, "method": "cash", "payer_id": p.OtherPartner.ID}, 422, "payer_id"},
		{"a statement ending before it starts", p.Admin, http.MethodGet, "/api/v1/couples/" + id(p.CoupleID) + "/billing/statement?from=2031-02-01&to=2031-01-01", nil, 422, "to"},
		{"an unknown charge kind", p.Admin, http.MethodPost, "/api/v1/appointments/" + id(w.appointment(p)) + "/charges", map[string]any{"kind": "tip"}, 422, "kind"},
		{"another practice's couple", w.B.Admin, http.MethodPost, entries, map[string]any{"kind": "payment", "amount_cents": 100, "method": "cash"}, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.by.doExpecting(tc.status, tc.method, tc.path, tc.body)
			var body struct{ Error errorBody }
			res.JSON(t, &body)
			if res.Status != tc.status || body.Error.Field != tc.field || body.Error.Message == "" {
				t.Errorf("%d %s, want %d on field %q", res.Status, res.Body, tc.status, tc.field)
			}
		})
	}
	var ledger coupleBilling
	p.Admin.do(http.MethodGet, "/api/v1/couples/"+id(p.CoupleID)+"/billing", nil).JSON(t, &ledger)
	if len(ledger.Entries) != 0 {
		t.Errorf("refused requests left entries: %+v", ledger.Entries)
	}
}

// A closed couple's record takes no new work, but its accounts can still be settled, and every
// change to them is audited.
func TestAClosedCouplesAccountsCanStillBeSettled(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	appt := w.appointment(p)
	w.setCouplesStatus(p, "closed")
	couple := "/api/v1/couples/" + id(p.CoupleID)
	for _, tc := range []struct {
		name   string
		by     *actor
		method string
		path   string
		body   any
		status int
	}{
		{"charge a session", p.Admin, http.MethodPost, "/api/v1/appointments/" + id(appt) + "/charges", map[string]any{"kind": "session"}, 200},
		{"record a payment", p.Therapist, http.MethodPost, couple + "/billing/entries", map[string]any{"kind": "payment", "amount_cents": 15000, "method": "card"}, 201},
		{"say who pays", p.Admin, http.MethodPut, couple + "/billing/shares", map[string]any{"shares": []any{}}, 200},
		{"void the charge", p.Therapist, http.MethodPost, "/api/v1/appointments/" + id(appt) + "/charges/session/void", nil, 200},
		{"set diagnosis codes", p.Therapist, http.MethodPut, couple + "/diagnoses", map[string]any{"diagnoses": []any{}}, 409},
		{"the other partner's statement", p.PartnerB, http.MethodGet, "/api/v1/practices/" + id(p.ID) + "/members/" + id(p.PartnerA.ID) + "/statement", nil, 404},
	} {
		if res := tc.by.do(tc.method, tc.path, tc.body); res.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, res.Status, res.Body, tc.status)
		}
	}
	var actions []string
	if err := w.store.DB().Select(&actions, `SELECT action FROM audit_log WHERE practice_id = $1 AND outcome = 'allowed'
		AND action IN ('charge.create', 'ledger_entry.create', 'billing.update', 'charge.void') ORDER BY id`, p.ID); err != nil {
		t.Fatal(err)
	}
	if want := "[charge.create ledger_entry.create billing.update charge.void]"; fmt.Sprint(actions) != want {
		t.Errorf("audited %v, want %s", actions, want)
	}
}

// The practice's one cancellation window, set in its scheduling settings, decides which
// cancellation counts as late and so pays the late-cancel fee.
func TestTheCancellationWindowDecidesWhichCancellationPaysTheLateFee(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.A
	ctx := context.Background()
	if err := w.store.UpdateBillingProfile(ctx, p.ID, store.BillingProfile{LateCancelFeeCents: 2500}); err != nil {
		t.Fatal(err)
	}
	settings := "/api/v1/practices/" + id(p.ID) + "/scheduling-settings"
	if res := p.PartnerA.do(http.MethodPut, settings, map[string]any{"cancellation_window_hours": 1}); res.Status/100 == 2 {
		t.Errorf("a partner changed the window: %d %s", res.Status, res.Body)
	}
	now := time.Now().Truncate(time.Minute)
	for i, tc := range []struct {
		window     int
		before     time.Duration
		wantCharge bool
	}{
		{24, 10 * time.Hour, true},
		{24, 30 * time.Hour, false},
		{48, 30 * time.Hour, true},
		{48, 50 * time.Hour, false},
	} {
		name := fmt.Sprintf("window %dh, cancelled %s before", tc.window, tc.before)
		t.Run(name, func(t *testing.T) {
			if res := p.Admin.do(http.MethodPut, settings, map[string]any{"cancellation_window_hours": tc.window}); res.Status != http.StatusOK {
				t.Fatalf("set the window: %d %s", res.Status, res.Body)
			}
			// Each row's appointment has an hour of its own.
			a := w.booking(p, now.Add(tc.before).Add(time.Duration(i)*5*time.Minute), store.KindInPerson)
			res := p.FrontDesk.do(http.MethodPost, "/api/v1/appointments/"+id(a.ID)+"/attendance", map[string]any{"attendance": "late_cancel"})
			if tc.wantCharge != (res.Status == http.StatusOK) {
				t.Fatalf("a late cancellation: %d %s", res.Status, res.Body)
			}
			if !tc.wantCharge {
				if res := p.FrontDesk.do(http.MethodPost, "/api/v1/appointments/"+id(a.ID)+"/attendance", map[string]any{"attendance": "cancelled"}); res.Status != http.StatusOK {
					t.Fatalf("a cancellation in good time: %d %s", res.Status, res.Body)
				}
			}
			var charged int64
			if err := w.store.DB().GetContext(ctx, &charged, `SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries
				WHERE appointment_id = $1 AND kind = 'charge' AND charge_kind = 'late_cancel'`, a.ID); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int64{true: 2500}[tc.wantCharge]; charged != want {
				t.Errorf("late-cancel fee charged: %d cents, want %d", charged, want)
			}
		})
	}
}
