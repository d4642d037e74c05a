package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/policy"
	"github.com/amendcare/amend/server/store"
)

type billingProfileInput struct {
	Name               string `json:"name" validate:"max=200"`
	Address            string `json:"address" validate:"max=500"`
	NPI                string `json:"npi" validate:"omitempty,npi"`
	TaxID              string `json:"tax_id" validate:"omitempty,taxid"`
	SessionServiceID   *int64 `json:"session_service_id" validate:"omitempty,gte=1"`
	NoShowFeeCents     int64  `json:"no_show_fee_cents" validate:"gte=0,lte=100000000"`
	LateCancelFeeCents int64  `json:"late_cancel_fee_cents" validate:"gte=0,lte=100000000"`
}

type serviceInput struct {
	CPTCode         string `json:"cpt_code" validate:"required,cpt"`
	Description     string `json:"description" validate:"required,max=200"`
	DurationMinutes int    `json:"duration_minutes" validate:"gte=5,lte=480"`
	FeeCents        int64  `json:"fee_cents" validate:"gte=0,lte=100000000"`
	Active          *bool  `json:"active"`
}

func (in serviceInput) store() store.ServiceInput {
	return store.ServiceInput{CPTCode: in.CPTCode, Description: in.Description, DurationMinutes: in.DurationMinutes,
		FeeCents: in.FeeCents, Active: in.Active == nil || *in.Active}
}

type licenseInput struct {
	LicenseNumber string `json:"license_number" validate:"required,max=40"`
}

type sharesInput struct {
	// Shares names who pays: one partner at 100, both with percentages summing to 100, or none
	// to bill the couple as a whole.
	Shares []shareInput `json:"shares" validate:"max=2,dive"`
}

type shareInput struct {
	PartnerID int64 `json:"partner_id" validate:"required,gte=1"`
	Percent   int   `json:"percent" validate:"required,gte=1,lte=100"`
}

type entryInput struct {
	Kind string `json:"kind" validate:"required,oneof=payment refund write_off adjustment"`
	// PayerID is the partner paying or credited; left out, the couple as a whole.
	PayerID *int64 `json:"payer_id" validate:"omitempty,gte=1"`
	// AmountCents is positive, except for an adjustment, where a negative amount is a credit.
	AmountCents int64  `json:"amount_cents" validate:"required,gte=-100000000,lte=100000000"`
	Method      string `json:"method" validate:"omitempty,oneof=cash cheque card"`
	Reference   string `json:"reference" validate:"max=60"`
	PostedOn    string `json:"posted_on" validate:"omitempty,datetime=2006-01-02"`
	Description string `json:"description" validate:"max=200"`
}

type diagnosesInput struct {
	Diagnoses []diagnosisInput `json:"diagnoses" validate:"max=24,dive"`
}

type diagnosisInput struct {
	PartnerID *int64 `json:"partner_id" validate:"omitempty,gte=1"`
	Code      string `json:"code" validate:"required,icd10"`
}

type chargeInput struct {
	Kind string `json:"kind" validate:"required,oneof=session no_show late_cancel"`
}

// manualEntry checks the rules of an entry recorded by hand that tags alone cannot state.
func manualEntry(coupleID int64, in entryInput) (store.NewEntry, error) {
	e := store.NewEntry{CoupleID: coupleID, PayerID: in.PayerID, Kind: in.Kind, AmountCents: in.AmountCents,
		Reference: in.Reference, PostedOn: in.PostedOn, Description: in.Description}
	takesMethod := in.Kind == store.EntryPayment || in.Kind == store.EntryRefund
	switch {
	case in.Kind != store.EntryAdjustment && in.AmountCents < 0:
		return e, fault.InvalidField("amount_cents", "must be positive")
	case takesMethod && in.Method == "":
		return e, fault.InvalidField("method", "must say how the money moved: cash, cheque or card")
	case !takesMethod && in.Method != "":
		return e, fault.InvalidField("method", "is only for payments and refunds")
	}
	if takesMethod {
		e.Method = &in.Method
	}
	return e, nil
}

func (s *Server) getBillingSettings(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.BillingProfile, policy.Read)
	if !ok {
		return
	}
	settings, err := s.store.BillingSettingsOf(c.Request.Context(), pid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, settings)
}

func (s *Server) updateBillingProfile(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.BillingProfile, policy.Update)
	if !ok {
		return
	}
	var in billingProfileInput
	if !s.bindJSON(c, &in) {
		return
	}
	ctx := c.Request.Context()
	err := s.store.UpdateBillingProfile(ctx, pid, store.BillingProfile{Name: in.Name, Address: in.Address, NPI: in.NPI,
		TaxID: in.TaxID, SessionServiceID: in.SessionServiceID, NoShowFeeCents: in.NoShowFeeCents,
		LateCancelFeeCents: in.LateCancelFeeCents})
	if err != nil {
		fail(c, err)
		return
	}
	s.getBillingSettings(c)
}

func (s *Server) createService(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Service, policy.Create)
	if !ok {
		return
	}
	var in serviceInput
	if !s.bindJSON(c, &in) {
		return
	}
	svc, err := s.store.CreateService(c.Request.Context(), pid, in.store())
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, svc.ID)
	c.JSON(http.StatusCreated, svc)
}

func (s *Server) updateService(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Service, policy.Update)
	if !ok {
		return
	}
	sid, ok := pathID(c, "sid")
	if !ok {
		return
	}
	var in serviceInput
	if !s.bindJSON(c, &in) {
		return
	}
	svc, err := s.store.UpdateService(c.Request.Context(), pid, sid, in.store())
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, svc.ID)
	c.JSON(http.StatusOK, svc)
}

func (s *Server) setLicense(c *gin.Context) {
	pid, uid, ok := s.authorizeMember(c, policy.License, policy.Update)
	if !ok {
		return
	}
	var in licenseInput
	if !s.bindJSON(c, &in) {
		return
	}
	if err := s.store.SetLicense(c.Request.Context(), pid, uid, in.LicenseNumber); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// coupleBilling is a couple's accounts as the staff who bill see them.
type coupleBilling struct {
	Shares   []store.Share       `json:"shares"`
	Balances []store.Balance     `json:"balances"`
	Entries  []store.LedgerEntry `json:"entries"`
}

func (s *Server) getCoupleBilling(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Billing, policy.Read)
	if !ok {
		return
	}
	accounts, err := s.coupleAccounts(c.Request.Context(), access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, accounts)
}

// coupleAccounts reads a couple's shares, ledger and balances.
func (s *Server) coupleAccounts(ctx context.Context, practiceID, coupleID int64) (*coupleBilling, error) {
	shares, err := s.store.BillingShares(ctx, practiceID, coupleID)
	if err != nil {
		return nil, err
	}
	entries, balances, err := s.store.CoupleLedger(ctx, practiceID, coupleID)
	if err != nil {
		return nil, err
	}
	return &coupleBilling{Shares: shares, Balances: balances, Entries: entries}, nil
}

func (s *Server) setBillingShares(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Billing, policy.Update)
	if !ok {
		return
	}
	var in sharesInput
	if !s.bindJSON(c, &in) {
		return
	}
	shares := make([]store.Share, len(in.Shares))
	for i, sh := range in.Shares {
		shares[i] = store.Share{PartnerID: sh.PartnerID, Percent: sh.Percent}
	}
	ctx := c.Request.Context()
	if err := s.store.SetBillingShares(ctx, access.PracticeID, coupleID, shares); err != nil {
		fail(c, err)
		return
	}
	saved, err := s.store.BillingShares(ctx, access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"shares": saved})
}

func (s *Server) recordLedgerEntry(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.LedgerEntry, policy.Create)
	if !ok {
		return
	}
	var in entryInput
	if !s.bindJSON(c, &in) {
		return
	}
	e, err := manualEntry(coupleID, in)
	if err != nil {
		fail(c, err)
		return
	}
	entry, err := s.store.RecordEntry(c.Request.Context(), access.PracticeID, e)
	if err != nil {
		fail(c, err)
		return
	}
	auditObject(c, entry.ID)
	c.JSON(http.StatusCreated, entry)
}

func (s *Server) chargeAppointment(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindAppointment, policy.Charge, policy.Create)
	if !ok {
		return
	}
	var in chargeInput
	if !s.bindJSON(c, &in) {
		return
	}
	entries, err := s.store.ChargeAppointmentNow(c.Request.Context(), access.PracticeID, id, in.Kind)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries})
}

func (s *Server) voidCharge(c *gin.Context) {
	id, access, ok := s.authorizeID(c, "id", store.KindAppointment, policy.Charge, policy.Void)
	if !ok {
		return
	}
	kind := c.Param("kind")
	if kind != store.ChargeSession && kind != store.ChargeNoShow && kind != store.ChargeLateCancel {
		fail(c, fault.ErrNotFound)
		return
	}
	entries, err := s.store.VoidCharge(c.Request.Context(), access.PracticeID, id, kind)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries})
}

func (s *Server) getDiagnoses(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Diagnosis, policy.Read)
	if !ok {
		return
	}
	list, err := s.store.Diagnoses(c.Request.Context(), access.PracticeID, coupleID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"diagnoses": list})
}

func (s *Server) setDiagnoses(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Diagnosis, policy.Update)
	if !ok {
		return
	}
	var in diagnosesInput
	if !s.bindJSON(c, &in) {
		return
	}
	list := make([]store.Diagnosis, len(in.Diagnoses))
	for i, d := range in.Diagnoses {
		list[i] = store.Diagnosis{PartnerID: d.PartnerID, Code: d.Code}
	}
	ctx := c.Request.Context()
	if err := s.store.SetDiagnoses(ctx, access.PracticeID, coupleID, mustCaller(c).User.ID, list); err != nil {
		fail(c, err)
		return
	}
	s.getDiagnoses(c)
}

// longestRange is the longest date range a statement, report or export covers.
const longestRange = 5 * 366 * 24 * time.Hour

// dateRange reads from and to (YYYY-MM-DD, both included) from the query; left out, they are the
// first and last day of the current month in the practice's time zone.
func (s *Server) dateRange(c *gin.Context, practiceID int64) (from, to string, ok bool) {
	p, err := s.store.PracticeByID(c.Request.Context(), practiceID)
	if err != nil {
		fail(c, err)
		return "", "", false
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	now := time.Now().In(loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	days := map[string]time.Time{"from": first, "to": first.AddDate(0, 1, -1)}
	for _, name := range []string{"from", "to"} {
		if v := c.Query(name); v != "" {
			day, err := time.Parse(time.DateOnly, v)
			if err != nil {
				fail(c, fault.InvalidField(name, "must be a date like 2025-03-31"))
				return "", "", false
			}
			days[name] = day
		}
	}
	switch {
	case days["to"].Before(days["from"]):
		fail(c, fault.InvalidField("to", "must not be before from"))
		return "", "", false
	case days["to"].Sub(days["from"]) > longestRange:
		fail(c, fault.InvalidField("to", "must be at most five years after from"))
		return "", "", false
	}
	return days["from"].Format(time.DateOnly), days["to"].Format(time.DateOnly), true
}

func (s *Server) coupleStatement(c *gin.Context) {
	coupleID, access, ok := s.authorizeID(c, "id", store.KindCouple, policy.Statement, policy.Read)
	if !ok {
		return
	}
	s.writeStatement(c, access.PracticeID, store.StatementScope{CoupleID: coupleID})
}

func (s *Server) clientStatement(c *gin.Context) {
	pid, uid, ok := s.authorizeClient(c, policy.Statement)
	if !ok {
		return
	}
	s.writeStatement(c, pid, store.StatementScope{PayerID: uid})
}

func (s *Server) writeStatement(c *gin.Context, practiceID int64, scope store.StatementScope) {
	from, to, ok := s.dateRange(c, practiceID)
	if !ok {
		return
	}
	st, err := s.store.StatementOf(c.Request.Context(), practiceID, scope, from, to)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// authorizeClient authorizes reading object (a statement, invoice or superbill) of the client
// named by :pid and :uid: the client themself, the care team of their couple and the practice's
// billing staff. The other partner stands to them as "couple", which reads none of it.
func (s *Server) authorizeClient(c *gin.Context, object policy.Object) (practiceID, userID int64, ok bool) {
	if practiceID, ok = pathID(c, "pid"); !ok {
		return
	}
	if userID, ok = pathID(c, "uid"); !ok {
		return
	}
	_, ok = s.authorize(c, store.Ref{Kind: store.KindClient, ID: userID, PracticeID: practiceID}, object, policy.Read)
	return
}

func (s *Server) clientInvoice(c *gin.Context) {
	pid, uid, ok := s.authorizeClient(c, policy.Statement)
	if !ok {
		return
	}
	s.writeBillPDF(c, pid, uid, invoiceBill)
}

func (s *Server) clientSuperbill(c *gin.Context) {
	pid, uid, ok := s.authorizeClient(c, policy.Superbill)
	if !ok {
		return
	}
	s.writeBillPDF(c, pid, uid, superbill)
}

func (s *Server) writeBillPDF(c *gin.Context, practiceID, clientID int64, kind billKind) {
	from, to, ok := s.dateRange(c, practiceID)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	facts, err := s.store.SuperbillFactsOf(ctx, practiceID, clientID)
	if err != nil {
		fail(c, err)
		return
	}
	st, err := s.store.StatementOf(ctx, practiceID, store.StatementScope{PayerID: clientID}, from, to)
	if err != nil {
		fail(c, err)
		return
	}
	pdf, err := renderBill(kind, facts, st)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%d-%s-%s.pdf"`, kind, clientID, from, to))
	c.Data(http.StatusOK, "application/pdf", pdf)
}

func (s *Server) billingReport(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.BillingReport, policy.Read)
	if !ok {
		return
	}
	from, to, ok := s.dateRange(c, pid)
	if !ok {
		return
	}
	report, err := s.store.ReportOf(c.Request.Context(), pid, from, to)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, report)
}

// ledgerColumns are the CSV export's columns, in order.
var ledgerColumns = []string{"entry_id", "posted_on", "recorded_at", "couple_id", "couple", "payer_id", "payer", "kind",
	"charge_kind", "appointment_id", "therapist_id", "cpt_code", "description", "method", "reference", "reverses_id", "amount"}

func (s *Server) exportLedger(c *gin.Context) {
	pid, _, ok := s.authorizeID(c, "pid", store.KindPractice, policy.Ledger, policy.Export)
	if !ok {
		return
	}
	from, to, ok := s.dateRange(c, pid)
	if !ok {
		return
	}
	entries, err := s.store.LedgerExport(c.Request.Context(), pid, from, to)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="ledger-%s-%s.csv"`, from, to))
	c.Data(http.StatusOK, "text/csv; charset=utf-8", ledgerCSV(entries))
}

// erasedCouple is what the CSV export shows as the couple of an erased couple's entry.
const erasedCouple = "erased record"

// ledgerCSV writes entries as CSV with amounts in currency units (two decimals).
func ledgerCSV(entries []store.LedgerEntry) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(ledgerColumns)
	for _, e := range entries {
		couple := spreadsheetText(e.CoupleLabel)
		if e.Erased() {
			couple = erasedCouple
		}
		_ = w.Write([]string{strconv.FormatInt(e.ID, 10), e.PostedOn, e.CreatedAt.UTC().Format(time.RFC3339),
			idText(e.CoupleID), couple, idText(e.PayerID), spreadsheetText(e.PayerName),
			e.Kind, textOf(e.ChargeKind), idText(e.AppointmentID), idText(e.TherapistID), e.CPTCode,
			spreadsheetText(e.Description), textOf(e.Method), spreadsheetText(e.Reference), idText(e.ReversesID),
			money(e.AmountCents)})
	}
	w.Flush()
	return buf.Bytes()
}

// spreadsheetText keeps text typed by people from being read as a formula by a spreadsheet.
func spreadsheetText(text string) string {
	if text != "" && strings.ContainsRune("=+-@\t\r", rune(text[0])) {
		return "'" + text
	}
	return text
}

func idText(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

func textOf(text *string) string {
	if text == nil {
		return ""
	}
	return *text
}

// money writes cents as currency units with two decimals: -1234 is "-12.34".
func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
