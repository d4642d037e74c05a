package store

import (
	"context"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/amendcare/amend/fault"
	"github.com/amendcare/amend/fault/pgerr"
)

// BillingProfile is what a practice's superbills print about it, and its policy on missed
// appointments.
type BillingProfile struct {
	Name    string `db:"name" json:"name"`
	Address string `db:"address" json:"address"`
	NPI     string `db:"npi" json:"npi"`
	TaxID   string `db:"tax_id" json:"tax_id"`
	// SessionServiceID is the service an attended appointment is charged as.
	SessionServiceID *int64 `db:"session_service_id" json:"session_service_id"`
	NoShowFeeCents   int64  `db:"no_show_fee_cents" json:"no_show_fee_cents"`
	// LateCancelFeeCents is charged for a cancellation inside the practice's cancellation window,
	// which scheduling keeps (CancellationWindowHours).
	LateCancelFeeCents int64 `db:"late_cancel_fee_cents" json:"late_cancel_fee_cents"`
}

// Service is one line of the practice's fee schedule.
type Service struct {
	ID              int64  `db:"id" json:"id"`
	CPTCode         string `db:"cpt_code" json:"cpt_code"`
	Description     string `db:"description" json:"description"`
	DurationMinutes int    `db:"duration_minutes" json:"duration_minutes"`
	FeeCents        int64  `db:"fee_cents" json:"fee_cents"`
	Active          bool   `db:"active" json:"active"`
}

// License is a therapist's license number in a practice.
type License struct {
	TherapistID   int64  `db:"therapist_id" json:"therapist_id"`
	TherapistName string `db:"therapist_name" json:"therapist_name"`
	LicenseNumber string `db:"license_number" json:"license_number"`
}

// BillingSettings is a practice's billing profile, fee schedule and therapists' licenses.
type BillingSettings struct {
	Profile  BillingProfile `json:"profile"`
	Services []Service      `json:"services"`
	Licenses []License      `json:"licenses"`
}

// BillingSettingsOf returns the practice's billing profile, fee schedule and licenses.
func (s *Store) BillingSettingsOf(ctx context.Context, practiceID int64) (BillingSettings, error) {
	var out BillingSettings
	if err := s.db.GetContext(ctx, &out.Profile, `SELECT name, address, npi, tax_id, session_service_id, no_show_fee_cents,
		late_cancel_fee_cents FROM billing_profiles WHERE practice_id = $1`, practiceID); err != nil {
		return out, pgerr.Map(err)
	}
	out.Services = []Service{}
	if err := s.db.SelectContext(ctx, &out.Services, `SELECT id, cpt_code, description, duration_minutes, fee_cents, active
		FROM services WHERE practice_id = $1 ORDER BY cpt_code`, practiceID); err != nil {
		return out, pgerr.Map(err)
	}
	out.Licenses = []License{}
	err := s.db.SelectContext(ctx, &out.Licenses, `SELECT l.therapist_id, u.name AS therapist_name, l.license_number
		FROM therapist_licenses l JOIN users u ON u.id = l.therapist_id WHERE l.practice_id = $1 ORDER BY u.name, u.id`, practiceID)
	return out, pgerr.Map(err)
}

// UpdateBillingProfile replaces the practice's billing profile; the session service, when given,
// must be an active service of the practice's fee schedule, and when not, stays as it was.
func (s *Store) UpdateBillingProfile(ctx context.Context, practiceID int64, p BillingProfile) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if p.SessionServiceID != nil {
			var active bool
			err := tx.GetContext(ctx, &active, `SELECT active FROM services WHERE id = $1 AND practice_id = $2`, *p.SessionServiceID, practiceID)
			if fault.ErrorCode(pgerr.Map(err)) == fault.NotFound || err == nil && !active {
				return fault.InvalidField("session_service_id", "must be an active service of the fee schedule")
			}
			if err != nil {
				return err
			}
		}
		return expectOne(tx.ExecContext(ctx, `UPDATE billing_profiles SET name = $2, address = $3, npi = $4, tax_id = $5,
			session_service_id = coalesce($6, session_service_id), no_show_fee_cents = $7, late_cancel_fee_cents = $8,
			updated_at = now() WHERE practice_id = $1`, practiceID, p.Name, p.Address, p.NPI, p.TaxID, p.SessionServiceID,
			p.NoShowFeeCents, p.LateCancelFeeCents))
	})
}

// ServiceInput is a service to add to the fee schedule or its new values.
type ServiceInput struct {
	CPTCode         string
	Description     string
	DurationMinutes int
	FeeCents        int64
	Active          bool
}

var errDuplicateCPT = fault.ConflictBecause("the fee schedule lists that CPT code already")

// CreateService adds a service to the practice's fee schedule.
func (s *Store) CreateService(ctx context.Context, practiceID int64, in ServiceInput) (Service, error) {
	var out Service
	err := s.db.GetContext(ctx, &out, `INSERT INTO services (practice_id, cpt_code, description, duration_minutes, fee_cents, active)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, cpt_code, description, duration_minutes, fee_cents, active`,
		practiceID, in.CPTCode, in.Description, in.DurationMinutes, in.FeeCents, in.Active)
	if fault.ErrorCode(pgerr.Map(err)) == fault.Conflict {
		return out, errDuplicateCPT
	}
	return out, pgerr.Map(err)
}

// UpdateService changes a service of the fee schedule. Charges already made keep their amounts;
// the service charged for attended sessions cannot be retired.
func (s *Store) UpdateService(ctx context.Context, practiceID, serviceID int64, in ServiceInput) (Service, error) {
	var out Service
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if !in.Active {
			var charged bool
			if err := tx.GetContext(ctx, &charged, `SELECT EXISTS (SELECT 1 FROM billing_profiles
				WHERE practice_id = $1 AND session_service_id = $2)`, practiceID, serviceID); err != nil {
				return err
			}
			if charged {
				return fault.InvalidField("active", "cannot be false for the service attended sessions are charged as")
			}
		}
		err := tx.GetContext(ctx, &out, `UPDATE services SET cpt_code = $3, description = $4, duration_minutes = $5,
			fee_cents = $6, active = $7, updated_at = now() WHERE id = $1 AND practice_id = $2
			RETURNING id, cpt_code, description, duration_minutes, fee_cents, active`,
			serviceID, practiceID, in.CPTCode, in.Description, in.DurationMinutes, in.FeeCents, in.Active)
		if fault.ErrorCode(pgerr.Map(err)) == fault.Conflict {
			return errDuplicateCPT
		}
		return err
	})
	return out, err
}

// SetLicense records a therapist's license number; the member must be a therapist of the practice.
func (s *Store) SetLicense(ctx context.Context, practiceID, therapistID int64, number string) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO therapist_licenses (practice_id, therapist_id, license_number)
		SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM memberships WHERE practice_id = $1 AND user_id = $2 AND role = 'therapist')
		ON CONFLICT (practice_id, therapist_id) DO UPDATE SET license_number = EXCLUDED.license_number, updated_at = now()`,
		practiceID, therapistID, number)
	if err := expectOne(res, err); fault.ErrorCode(err) == fault.NotFound {
		return fault.InvalidField("license_number", "can only be set for a therapist")
	} else if err != nil {
		return err
	}
	return nil
}

// Share is a partner's part of a couple's charges, in percent.
type Share struct {
	PartnerID   int64  `db:"partner_id" json:"partner_id"`
	PartnerName string `db:"partner_name" json:"partner_name"`
	Percent     int    `db:"percent" json:"percent"`
}

// BillingShares returns who pays the couple's charges; empty when the couple is billed as a whole.
func (s *Store) BillingShares(ctx context.Context, practiceID, coupleID int64) ([]Share, error) {
	return billingShares(ctx, s.db, practiceID, coupleID)
}

func billingShares(ctx context.Context, q sqlx.QueryerContext, practiceID, coupleID int64) ([]Share, error) {
	out := []Share{}
	err := sqlx.SelectContext(ctx, q, &out, `SELECT b.partner_id, u.name AS partner_name, b.percent
		FROM billing_shares b JOIN couples c ON c.id = b.couple_id JOIN users u ON u.id = b.partner_id
		WHERE b.couple_id = $1 AND c.practice_id = $2 ORDER BY b.percent DESC, b.partner_id`, coupleID, practiceID)
	return out, pgerr.Map(err)
}

// SetBillingShares names who pays the couple's charges from now on: one partner at 100, or both
// with percentages summing to 100; none bills the couple as a whole. Charges made earlier stay
// with whom they were charged to.
func (s *Store) SetBillingShares(ctx context.Context, practiceID, coupleID int64, shares []Share) error {
	total := 0
	for _, sh := range shares {
		total += sh.Percent
	}
	if len(shares) > 0 && total != 100 {
		return fault.InvalidField("shares", "must add up to 100 percent")
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCouple(ctx, tx, practiceID, coupleID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM billing_shares WHERE couple_id = $1`, coupleID); err != nil {
			return err
		}
		for _, sh := range shares {
			res, err := tx.ExecContext(ctx, `INSERT INTO billing_shares (couple_id, partner_id, percent)
				SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM couple_partners WHERE couple_id = $1 AND user_id = $2)`,
				coupleID, sh.PartnerID, sh.Percent)
			if err := expectOne(res, err); fault.ErrorCode(err) == fault.NotFound {
				return fault.InvalidField("partner_id", "must be a partner of this couple")
			} else if fault.ErrorCode(err) == fault.Conflict {
				return fault.InvalidField("partner_id", "must name each partner once")
			} else if err != nil {
				return err
			}
		}
		return nil
	})
}

// Diagnosis is an ICD-10-CM code the care team set on the couple (PartnerID nil) or one partner.
type Diagnosis struct {
	PartnerID *int64 `db:"partner_id" json:"partner_id"`
	Code      string `db:"code" json:"code"`
}

// icd10 is the shape of an ICD-10-CM code: a letter (not U), two characters, then optionally a
// dot and up to four more (Z63.0, F43.21).
var icd10 = regexp.MustCompile(`^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$`)

// ValidICD10 reports whether code has the shape of an ICD-10-CM code.
func ValidICD10(code string) bool { return icd10.MatchString(code) }

// Diagnoses returns the couple's diagnosis codes, the couple's own first.
func (s *Store) Diagnoses(ctx context.Context, practiceID, coupleID int64) ([]Diagnosis, error) {
	out := []Diagnosis{}
	err := s.db.SelectContext(ctx, &out, `SELECT d.partner_id, d.code FROM diagnoses d JOIN couples c ON c.id = d.couple_id
		WHERE d.couple_id = $1 AND c.practice_id = $2 ORDER BY d.partner_id NULLS FIRST, d.code`, coupleID, practiceID)
	return out, pgerr.Map(err)
}

// SetDiagnoses replaces the couple's diagnosis codes.
func (s *Store) SetDiagnoses(ctx context.Context, practiceID, coupleID, setBy int64, list []Diagnosis) error {
	for _, d := range list {
		if !ValidICD10(d.Code) {
			return fault.InvalidField("code", "must be an ICD-10-CM code such as Z63.0")
		}
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockCouple(ctx, tx, practiceID, coupleID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM diagnoses WHERE couple_id = $1`, coupleID); err != nil {
			return err
		}
		for _, d := range list {
			res, err := tx.ExecContext(ctx, `INSERT INTO diagnoses (couple_id, partner_id, code, created_by)
				SELECT $1, $2, $3, $4 WHERE $2::bigint IS NULL
				   OR EXISTS (SELECT 1 FROM couple_partners WHERE couple_id = $1 AND user_id = $2)`,
				coupleID, d.PartnerID, d.Code, setBy)
			if err := expectOne(res, err); fault.ErrorCode(err) == fault.NotFound {
				return fault.InvalidField("partner_id", "must be a partner of this couple")
			} else if fault.ErrorCode(err) == fault.Conflict {
				return fault.InvalidField("code", "must be given once for each partner")
			} else if err != nil {
				return err
			}
		}
		return nil
	})
}

// Ledger entry kinds.
const (
	EntryCharge     = "charge"
	EntryPayment    = "payment"
	EntryRefund     = "refund"
	EntryWriteOff   = "write_off"
	EntryAdjustment = "adjustment"
	EntryReversal   = "reversal"
)

// Charge kinds: what an appointment is charged for.
const (
	ChargeSession    = "session"
	ChargeNoShow     = "no_show"
	ChargeLateCancel = "late_cancel"
)

// LedgerEntry is one line of the append-only ledger. AmountCents is its effect on what the payer
// owes: positive for charges and refunds, negative for payments and write-offs. CoupleID is nil
// on an entry of an erased couple (see Erased), which only the practice's LedgerExport lists.
type LedgerEntry struct {
	ID            int64   `db:"id" json:"id"`
	CoupleID      *int64  `db:"couple_id" json:"couple_id"`
	CoupleLabel   string  `db:"couple_label" json:"couple_label"`
	PayerID       *int64  `db:"payer_id" json:"payer_id"`
	PayerName     string  `db:"payer_name" json:"payer_name"`
	Kind          string  `db:"kind" json:"kind"`
	AmountCents   int64   `db:"amount_cents" json:"amount_cents"`
	PostedOn      string  `db:"posted_on" json:"posted_on"`
	AppointmentID *int64  `db:"appointment_id" json:"appointment_id"`
	ChargeKind    *string `db:"charge_kind" json:"charge_kind"`
	TherapistID   *int64  `db:"therapist_id" json:"therapist_id"`
	CPTCode       string  `db:"cpt_code" json:"cpt_code"`
	Description   string  `db:"description" json:"description"`
	Method        *string `db:"method" json:"method"`
	Reference     string  `db:"reference" json:"reference"`
	ReversesID    *int64  `db:"reverses_id" json:"reverses_id"`
	// Voided tells that a later reversal undid this entry.
	Voided    bool      `db:"voided" json:"voided"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Erased tells that the entry's couple was erased: the entry keeps its figures, date, therapist
// and codes for the practice's accounts, and names no couple, payer or appointment any more.
func (e LedgerEntry) Erased() bool { return e.CoupleID == nil }

const ledgerSelect = `SELECT e.id, e.couple_id, coalesce(c.label, '') AS couple_label, e.payer_id, coalesce(u.name, '') AS payer_name, e.kind,
		e.amount_cents, to_char(e.posted_on, 'YYYY-MM-DD') AS posted_on, e.appointment_id, e.charge_kind, e.therapist_id,
		e.cpt_code, e.description, e.method, e.reference, e.reverses_id,
		EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses_id = e.id) AS voided, e.created_at
	FROM ledger_entries e LEFT JOIN couples c ON c.id = e.couple_id LEFT JOIN users u ON u.id = e.payer_id`

// ChargeAppointment charges an appointment of the practice for kind (session, no_show or
// late_cancel) inside the caller's transaction tx, split between the couple's payers as their
// shares say. It is idempotent: an appointment already charged for kind returns the entries of
// that first charge (void or not) and charges nothing more. A session is charged the fee of the
// practice's session service; a missed appointment the practice's fee for it, and nothing when
// that fee is zero.
func ChargeAppointment(ctx context.Context, tx *sqlx.Tx, practiceID, appointmentID int64, kind string) ([]LedgerEntry, error) {
	var appt struct {
		CoupleID    int64  `db:"couple_id"`
		TherapistID int64  `db:"therapist_id"`
		Status      string `db:"status"`
		PostedOn    string `db:"posted_on"`
	}
	// Locking the appointment serialises charges of it, so two at once cannot both charge.
	err := tx.GetContext(ctx, &appt, `SELECT a.couple_id, a.therapist_id, a.status,
			to_char((a.starts_at AT TIME ZONE a.time_zone)::date, 'YYYY-MM-DD') AS posted_on
		FROM appointments a JOIN couples c ON c.id = a.couple_id WHERE a.id = $1 AND c.practice_id = $2 FOR UPDATE OF a`,
		appointmentID, practiceID)
	if err != nil {
		return nil, pgerr.Map(err)
	}
	ids := []int64{}
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM ledger_entries WHERE appointment_id = $1 AND charge_kind = $2 AND kind = 'charge'
		ORDER BY id`, appointmentID, kind); err != nil {
		return nil, pgerr.Map(err)
	}
	if len(ids) > 0 {
		return ledgerEntries(ctx, tx, practiceID, ids)
	}
	if kind == ChargeSession && appt.Status == AppointmentCancelled {
		return nil, fault.ConflictBecause("a cancelled appointment is not charged as a session")
	}
	var fee struct {
		Cents       int64  `db:"cents"`
		CPTCode     string `db:"cpt_code"`
		Description string `db:"description"`
	}
	err = tx.GetContext(ctx, &fee, `SELECT CASE $2 WHEN 'session' THEN coalesce(s.fee_cents, -1)
			WHEN 'no_show' THEN p.no_show_fee_cents ELSE p.late_cancel_fee_cents END AS cents,
		CASE $2 WHEN 'session' THEN coalesce(s.cpt_code, '') ELSE '' END AS cpt_code,
		CASE $2 WHEN 'session' THEN coalesce(s.description, '') WHEN 'no_show' THEN 'Missed appointment fee'
			ELSE 'Late cancellation fee' END AS description
		FROM billing_profiles p LEFT JOIN services s ON s.id = p.session_service_id AND s.active
		WHERE p.practice_id = $1`, practiceID, kind)
	if err != nil {
		return nil, pgerr.Map(err)
	}
	switch {
	case fee.Cents < 0:
		return nil, fault.ConflictBecause("the practice has no active service to charge sessions as; choose one in the billing profile")
	case fee.Cents == 0:
		return []LedgerEntry{}, nil
	}
	shares, err := billingShares(ctx, tx, practiceID, appt.CoupleID)
	if err != nil {
		return nil, err
	}
	payers := []*int64{nil}
	percents := []int{100}
	if len(shares) > 0 {
		payers, percents = payers[:0], percents[:0]
		for _, sh := range shares {
			payers = append(payers, &sh.PartnerID)
			percents = append(percents, sh.Percent)
		}
	}
	for i, amount := range SplitCents(fee.Cents, percents) {
		if amount == 0 {
			continue
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO ledger_entries (practice_id, couple_id, payer_id, kind, amount_cents, posted_on,
				appointment_id, charge_kind, therapist_id, cpt_code, description)
			VALUES ($1, $2, $3, 'charge', $4, $5, $6, $7, $8, $9, $10)
			RETURNING id`,
			practiceID, appt.CoupleID, payers[i], amount, appt.PostedOn, appointmentID, kind, appt.TherapistID,
			fee.CPTCode, fee.Description); err != nil {
			return nil, pgerr.Map(err)
		}
		ids = append(ids, id)
	}
	return ledgerEntries(ctx, tx, practiceID, ids)
}

// SplitCents divides cents by percents (summing to 100) into whole cents that add up to cents
// exactly; the cents rounding leaves over go to the largest shares first.
func SplitCents(cents int64, percents []int) []int64 {
	out := make([]int64, len(percents))
	left := cents
	for i, p := range percents {
		out[i] = cents * int64(p) / 100
		left -= out[i]
	}
	for i := 0; left > 0; i = (i + 1) % len(out) {
		out[i]++
		left--
	}
	return out
}

func ledgerEntries(ctx context.Context, q sqlx.QueryerContext, practiceID int64, ids []int64) ([]LedgerEntry, error) {
	out := []LedgerEntry{}
	err := sqlx.SelectContext(ctx, q, &out, ledgerSelect+` WHERE e.id = ANY($1) AND e.practice_id = $2 ORDER BY e.id`,
		pq.Int64Array(ids), practiceID)
	return out, pgerr.Map(err)
}

// ChargeAppointmentNow charges an appointment in a transaction of its own (see ChargeAppointment).
func (s *Store) ChargeAppointmentNow(ctx context.Context, practiceID, appointmentID int64, kind string) ([]LedgerEntry, error) {
	var out []LedgerEntry
	err := s.inTx(ctx, func(tx *sqlx.Tx) (err error) {
		out, err = ChargeAppointment(ctx, tx, practiceID, appointmentID, kind)
		return err
	})
	return out, err
}

// VoidCharge undoes an appointment's charge of kind with one reversing entry per payer, posted
// today in the practice's time zone; the charge itself stays in the ledger.
func (s *Store) VoidCharge(ctx context.Context, practiceID, appointmentID int64, kind string) ([]LedgerEntry, error) {
	var out []LedgerEntry
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		ids := []int64{}
		if err := tx.SelectContext(ctx, &ids, `INSERT INTO ledger_entries (practice_id, couple_id, payer_id, kind, amount_cents,
				posted_on, appointment_id, therapist_id, cpt_code, description, reverses_id)
			SELECT e.practice_id, e.couple_id, e.payer_id, 'reversal', -e.amount_cents, (now() AT TIME ZONE p.time_zone)::date,
				e.appointment_id, e.therapist_id, e.cpt_code, left('Void: ' || e.description, 200), e.id
			FROM ledger_entries e JOIN practices p ON p.id = e.practice_id
			WHERE e.appointment_id = $1 AND e.charge_kind = $2 AND e.kind = 'charge' AND e.practice_id = $3
			  AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses_id = e.id)
			ORDER BY e.id
			RETURNING id`, appointmentID, kind, practiceID); err != nil {
			return pgerr.Map(err)
		}
		if len(ids) == 0 {
			var charged bool
			if err := tx.GetContext(ctx, &charged, `SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE appointment_id = $1
				AND charge_kind = $2 AND kind = 'charge' AND practice_id = $3)`, appointmentID, kind, practiceID); err != nil {
				return pgerr.Map(err)
			}
			if charged {
				return fault.ConflictBecause("this charge is void already")
			}
			return fault.ErrNotFound
		}
		var err error
		out, err = ledgerEntries(ctx, tx, practiceID, ids)
		return err
	})
	return out, err
}

// NewEntry is a payment, refund, write-off or adjustment recorded by hand. AmountCents is what
// the payer paid, got back or was let off (positive); for an adjustment it is the change to
// what they owe (negative to credit them).
type NewEntry struct {
	CoupleID    int64
	PayerID     *int64
	Kind        string
	AmountCents int64
	Method      *string
	Reference   string
	PostedOn    string
	Description string
}

// balanceEffect is the sign an entry kind recorded by hand has on what the payer owes.
var balanceEffect = map[string]int64{EntryPayment: -1, EntryWriteOff: -1, EntryRefund: 1, EntryAdjustment: 1}

// RecordEntry adds a payment, refund, write-off or adjustment to the couple's ledger. The payer,
// when named, must be a partner of the couple; PostedOn defaults to today in the practice's time zone.
func (s *Store) RecordEntry(ctx context.Context, practiceID int64, in NewEntry) (LedgerEntry, error) {
	sign, ok := balanceEffect[in.Kind]
	if !ok {
		return LedgerEntry{}, fault.InvalidField("kind", "must be payment, refund, write_off or adjustment")
	}
	var out []LedgerEntry
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO ledger_entries (practice_id, couple_id, payer_id, kind, amount_cents, posted_on,
				method, reference, description)
			SELECT c.practice_id, c.id, $3, $4, $5, coalesce($6::date, (now() AT TIME ZONE p.time_zone)::date), $7, $8, $9
			FROM couples c JOIN practices p ON p.id = c.practice_id
			WHERE c.id = $2 AND c.practice_id = $1
			  AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM couple_partners WHERE couple_id = c.id AND user_id = $3))
			RETURNING id`,
			practiceID, in.CoupleID, in.PayerID, in.Kind, sign*in.AmountCents, optionalDate(in.PostedOn), in.Method,
			in.Reference, in.Description)
		if fault.ErrorCode(pgerr.Map(err)) == fault.NotFound {
			return fault.InvalidField("payer_id", "must be a partner of this couple")
		}
		if err != nil {
			return err
		}
		out, err = ledgerEntries(ctx, tx, practiceID, []int64{id})
		return err
	})
	if err != nil {
		return LedgerEntry{}, err
	}
	return out[0], nil
}

func optionalDate(day string) *string {
	if day == "" {
		return nil
	}
	return &day
}

// Balance is what one payer of a couple owes (negative: holds a credit). PayerID nil is the
// couple as a whole.
type Balance struct {
	PayerID      *int64 `db:"payer_id" json:"payer_id"`
	PayerName    string `db:"payer_name" json:"payer_name"`
	BalanceCents int64  `db:"balance_cents" json:"balance_cents"`
}

// CoupleLedger returns the couple's ledger in posting order and the balance of each payer.
func (s *Store) CoupleLedger(ctx context.Context, practiceID, coupleID int64) ([]LedgerEntry, []Balance, error) {
	entries := []LedgerEntry{}
	if err := s.db.SelectContext(ctx, &entries, ledgerSelect+` WHERE e.couple_id = $1 AND e.practice_id = $2
		ORDER BY e.posted_on, e.id`, coupleID, practiceID); err != nil {
		return nil, nil, pgerr.Map(err)
	}
	balances := []Balance{}
	err := s.db.SelectContext(ctx, &balances, `SELECT e.payer_id, coalesce(u.name, '') AS payer_name, sum(e.amount_cents) AS balance_cents
		FROM ledger_entries e LEFT JOIN users u ON u.id = e.payer_id WHERE e.couple_id = $1 AND e.practice_id = $2
		GROUP BY e.payer_id, u.name ORDER BY e.payer_id NULLS FIRST`, coupleID, practiceID)
	return entries, balances, pgerr.Map(err)
}

// StatementScope says whose entries a statement shows: a couple's (every payer of it) or one
// payer's in the practice.
type StatementScope struct {
	CoupleID int64
	PayerID  int64
}

// Totals sums ledger entries the way statements and reports show them: net charges (charges
// less their reversals), net payments (payments less refunds) and adjustments (write-offs and
// adjustments, as credits). A balance is always Charges - Payments - Adjustments.
type Totals struct {
	ChargesCents     int64 `json:"charges_cents"`
	PaymentsCents    int64 `json:"payments_cents"`
	AdjustmentsCents int64 `json:"adjustments_cents"`
}

// Add counts one entry into the totals.
func (t *Totals) Add(kind string, amountCents int64) {
	switch kind {
	case EntryCharge, EntryReversal:
		t.ChargesCents += amountCents
	case EntryPayment, EntryRefund:
		t.PaymentsCents -= amountCents
	default:
		t.AdjustmentsCents -= amountCents
	}
}

// BalanceCents is what the totals leave owing.
func (t Totals) BalanceCents() int64 { return t.ChargesCents - t.PaymentsCents - t.AdjustmentsCents }

// Statement is a scope's ledger over a date range: the balance before it, its entries, their
// totals and the balance at its end.
type Statement struct {
	From         string        `json:"from"`
	To           string        `json:"to"`
	OpeningCents int64         `json:"opening_balance_cents"`
	Entries      []LedgerEntry `json:"entries"`
	Totals
	ClosingCents int64 `json:"closing_balance_cents"`
}

// StatementOf returns the scope's statement for the days from..to (YYYY-MM-DD, both included).
func (s *Store) StatementOf(ctx context.Context, practiceID int64, scope StatementScope, from, to string) (Statement, error) {
	st := Statement{From: from, To: to, Entries: []LedgerEntry{}}
	const inScope = ` e.practice_id = $1 AND (($2::bigint <> 0 AND e.couple_id = $2) OR ($3::bigint <> 0 AND e.payer_id = $3))`
	if err := s.db.GetContext(ctx, &st.OpeningCents, `SELECT coalesce(sum(e.amount_cents), 0) FROM ledger_entries e WHERE`+inScope+
		` AND e.posted_on < $4::date`, practiceID, scope.CoupleID, scope.PayerID, from); err != nil {
		return st, pgerr.Map(err)
	}
	if err := s.db.SelectContext(ctx, &st.Entries, ledgerSelect+` WHERE`+inScope+
		` AND e.posted_on BETWEEN $4::date AND $5::date ORDER BY e.posted_on, e.id`,
		practiceID, scope.CoupleID, scope.PayerID, from, to); err != nil {
		return st, pgerr.Map(err)
	}
	for _, e := range st.Entries {
		st.Add(e.Kind, e.AmountCents)
	}
	st.ClosingCents = st.OpeningCents + st.BalanceCents()
	return st, nil
}

// LedgerExport returns every entry of the practice posted in from..to, for accounting, erased
// couples' de-identified entries included.
func (s *Store) LedgerExport(ctx context.Context, practiceID int64, from, to string) ([]LedgerEntry, error) {
	out := []LedgerEntry{}
	err := s.db.SelectContext(ctx, &out, ledgerSelect+` WHERE e.practice_id = $1 AND e.posted_on BETWEEN $2::date AND $3::date
		ORDER BY e.posted_on, e.id`, practiceID, from, to)
	return out, pgerr.Map(err)
}

// MonthTotals is one month of the practice's report; ClosingCents is what all its clients owed
// at the month's end.
type MonthTotals struct {
	Month string `json:"month"`
	Totals
	ClosingCents int64 `json:"closing_balance_cents"`
}

// TherapistMonth is one therapist's net charges in one month.
type TherapistMonth struct {
	Month         string `db:"month" json:"month"`
	TherapistID   int64  `db:"therapist_id" json:"therapist_id"`
	TherapistName string `db:"therapist_name" json:"therapist_name"`
	ChargesCents  int64  `db:"charges_cents" json:"charges_cents"`
}

// BillingReport is the practice's charges, payments, adjustments and balances by month, and its
// charges by month and therapist.
type BillingReport struct {
	From        string           `json:"from"`
	To          string           `json:"to"`
	Months      []MonthTotals    `json:"months"`
	Therapists  []TherapistMonth `json:"therapists"`
	Outstanding int64            `json:"outstanding_cents"`
}

// ReportOf builds the practice's billing report for the months from..to (YYYY-MM-DD days; whole
// months of the entries posted between them).
func (s *Store) ReportOf(ctx context.Context, practiceID int64, from, to string) (BillingReport, error) {
	r := BillingReport{From: from, To: to, Months: []MonthTotals{}, Therapists: []TherapistMonth{}}
	var opening int64
	if err := s.db.GetContext(ctx, &opening, `SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries
		WHERE practice_id = $1 AND posted_on < $2::date`, practiceID, from); err != nil {
		return r, pgerr.Map(err)
	}
	var rows []struct {
		Month  string `db:"month"`
		Kind   string `db:"kind"`
		Amount int64  `db:"amount"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT to_char(posted_on, 'YYYY-MM') AS month, kind, sum(amount_cents) AS amount
		FROM ledger_entries WHERE practice_id = $1 AND posted_on BETWEEN $2::date AND $3::date
		GROUP BY 1, 2 ORDER BY 1, 2`, practiceID, from, to); err != nil {
		return r, pgerr.Map(err)
	}
	balance := opening
	for _, row := range rows {
		if len(r.Months) == 0 || r.Months[len(r.Months)-1].Month != row.Month {
			r.Months = append(r.Months, MonthTotals{Month: row.Month})
		}
		m := &r.Months[len(r.Months)-1]
		m.Add(row.Kind, row.Amount)
		balance += row.Amount
		m.ClosingCents = balance
	}
	r.Outstanding = balance
	err := s.db.SelectContext(ctx, &r.Therapists, `SELECT to_char(e.posted_on, 'YYYY-MM') AS month, e.therapist_id,
			coalesce(u.name, '') AS therapist_name, sum(e.amount_cents) AS charges_cents
		FROM ledger_entries e JOIN users u ON u.id = e.therapist_id
		WHERE e.practice_id = $1 AND e.posted_on BETWEEN $2::date AND $3::date AND e.kind IN ('charge', 'reversal')
		GROUP BY 1, 2, 3 ORDER BY 1, 3, 2`, practiceID, from, to)
	return r, pgerr.Map(err)
}

// SuperbillFacts is what a superbill prints besides the statement: the practice, the client,
// their couple's diagnosis codes and then their own, and the licenses of the therapists who saw them.
type SuperbillFacts struct {
	Practice   string
	Profile    BillingProfile
	ClientName string
	Diagnoses  []string
	Licenses   []License
}

// SuperbillFactsOf gathers a superbill's facts for a client of the practice.
func (s *Store) SuperbillFactsOf(ctx context.Context, practiceID, clientID int64) (SuperbillFacts, error) {
	var f SuperbillFacts
	settings, err := s.BillingSettingsOf(ctx, practiceID)
	if err != nil {
		return f, err
	}
	f.Profile, f.Licenses = settings.Profile, settings.Licenses
	if err := s.db.GetContext(ctx, &f.Practice, `SELECT name FROM practices WHERE id = $1`, practiceID); err != nil {
		return f, pgerr.Map(err)
	}
	if err := s.db.GetContext(ctx, &f.ClientName, `SELECT u.name FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE u.id = $1 AND m.practice_id = $2 AND m.role = 'client'`, clientID, practiceID); err != nil {
		return f, pgerr.Map(err)
	}
	f.Diagnoses = []string{}
	err = s.db.SelectContext(ctx, &f.Diagnoses, `SELECT d.code FROM diagnoses d
		JOIN couple_partners cp ON cp.couple_id = d.couple_id JOIN couples c ON c.id = d.couple_id
		WHERE cp.user_id = $1 AND c.practice_id = $2 AND (d.partner_id IS NULL OR d.partner_id = $1)
		GROUP BY d.code ORDER BY bool_and(d.partner_id IS NOT NULL), d.code`,
		clientID, practiceID)
	return f, pgerr.Map(err)
}
