package server

import (
	"bytes"
	"slices"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/amendcare/amend/server/store"
)

// billKind is the kind of document renderBill prints about a client's account.
type billKind string

const (
	// invoiceBill asks the client to pay: their charges, payments and the balance due.
	invoiceBill billKind = "invoice"
	// superbill is what a client sends their insurer: the invoice's figures with the practice's
	// identifiers, the therapists' licenses, the diagnosis codes and the services' CPT codes.
	superbill billKind = "superbill"
)

// billTitles are the documents' headings.
var billTitles = map[billKind]string{invoiceBill: "Invoice", superbill: "Superbill"}

// renderBill prints a client's statement as a one-document PDF of kind.
func renderBill(kind billKind, facts store.SuperbillFacts, st store.Statement) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetMargins(18, 18, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.SetTitle(billTitles[kind], true)
	text := pdf.UnicodeTranslatorFromDescriptor("") // core fonts speak Windows-1252, not UTF-8
	pdf.AddPage()

	practiceName := facts.Profile.Name
	if practiceName == "" {
		practiceName = facts.Practice
	}
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 8, text(billTitles[kind]), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(0, 6, text(practiceName), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for _, line := range strings.Split(facts.Profile.Address, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			pdf.CellFormat(0, 5, text(line), "", 1, "L", false, 0, "")
		}
	}
	if kind == superbill {
		pdf.CellFormat(0, 5, "NPI: "+orNotOnFile(facts.Profile.NPI), "", 1, "L", false, 0, "")
		pdf.CellFormat(0, 5, "Tax ID: "+orNotOnFile(facts.Profile.TaxID), "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	pdf.CellFormat(0, 5, text("Client: "+facts.ClientName), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 5, "Period: "+st.From+" to "+st.To, "", 1, "L", false, 0, "")
	if kind == superbill {
		pdf.CellFormat(0, 5, "Diagnosis codes (ICD-10): "+orNotOnFile(strings.Join(facts.Diagnoses, ", ")), "", 1, "L", false, 0, "")
		for _, line := range providerLines(facts.Licenses, st.Entries) {
			pdf.CellFormat(0, 5, text(line), "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(4)

	widths := []float64{24, 18, 86, 26, 26}
	row := func(style string, cells ...string) {
		pdf.SetFont("Helvetica", style, 9)
		for i, cell := range cells {
			align := "L"
			if i >= 3 {
				align = "R"
			}
			pdf.CellFormat(widths[i], 6, text(cell), "B", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	row("B", "Date", "CPT", "Description", "Charge", "Credit")
	for _, e := range st.Entries {
		charge, credit := "", ""
		if e.AmountCents > 0 {
			charge = dollars(e.AmountCents)
		} else {
			credit = dollars(-e.AmountCents)
		}
		row("", e.PostedOn, e.CPTCode, entryLabel(e), charge, credit)
	}
	pdf.Ln(4)
	totals := [][2]string{
		{"Balance before " + st.From, dollars(st.OpeningCents)},
		{"Charges", dollars(st.ChargesCents)},
		{"Payments", dollars(st.PaymentsCents)},
		{"Adjustments", dollars(st.AdjustmentsCents)},
		{"Balance due", dollars(st.ClosingCents)},
	}
	for i, t := range totals {
		style := ""
		if i == len(totals)-1 {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 10)
		pdf.CellFormat(widths[0]+widths[1]+widths[2]+widths[3], 6, text(t[0]), "", 0, "R", false, 0, "")
		pdf.CellFormat(widths[4], 6, t[1], "", 1, "R", false, 0, "")
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// providerLines names each therapist who held a session in entries, with their license number.
func providerLines(licenses []store.License, entries []store.LedgerEntry) []string {
	var lines []string
	var seen []int64
	for _, e := range entries {
		if e.TherapistID == nil || slices.Contains(seen, *e.TherapistID) {
			continue
		}
		seen = append(seen, *e.TherapistID)
		i := slices.IndexFunc(licenses, func(l store.License) bool { return l.TherapistID == *e.TherapistID })
		if i < 0 {
			lines = append(lines, "Rendering provider: license not on file")
			continue
		}
		lines = append(lines, "Rendering provider: "+licenses[i].TherapistName+", license "+licenses[i].LicenseNumber)
	}
	return lines
}

// entryKindLabels name the entries recorded by hand on a bill.
var entryKindLabels = map[string]string{
	store.EntryPayment: "Payment", store.EntryRefund: "Refund", store.EntryWriteOff: "Write-off",
	store.EntryAdjustment: "Adjustment",
}

// entryLabel is the line a bill prints for an entry: a charge's (or reversal's) description, or
// the kind of money that moved and how.
func entryLabel(e store.LedgerEntry) string {
	label, manual := entryKindLabels[e.Kind]
	if !manual {
		return e.Description
	}
	if e.Method != nil {
		label += " (" + *e.Method + ")"
	}
	return label
}

func orNotOnFile(value string) string {
	if value == "" {
		return "not on file"
	}
	return value
}

// dollars writes cents as a dollar amount: -1234 is "-$12.34".
func dollars(cents int64) string {
	if cents < 0 {
		return "-$" + money(-cents)
	}
	return "$" + money(cents)
}
