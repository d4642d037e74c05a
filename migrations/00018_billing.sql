-- +goose Up
-- Billing: what a practice charges, who pays, and an append-only ledger of money owed and paid.
-- Amounts are integer cents throughout.

-- The fee schedule: services with their CPT code, length and fee. The practice adds its own and
-- changes fees; a service is retired (active = false), never removed, since charges name it.
CREATE TABLE services (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id       bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    cpt_code          text NOT NULL CHECK (cpt_code ~ '^[0-9]{4}[0-9A-Z]$'),
    description       text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    fee_cents         bigint NOT NULL CHECK (fee_cents BETWEEN 0 AND 100000000),
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (practice_id, cpt_code),
    UNIQUE (practice_id, id)
);

-- The practice's billing profile: what a superbill prints about it, and its policy on missed
-- appointments. session_service is what an attended appointment is charged as.
CREATE TABLE billing_profiles (
    practice_id                bigint PRIMARY KEY REFERENCES practices(id) ON DELETE CASCADE,
    name                       text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    address                    text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    npi                        text NOT NULL DEFAULT '' CHECK (npi = '' OR npi ~ '^[0-9]{10}$'),
    tax_id                     text NOT NULL DEFAULT '' CHECK (tax_id = '' OR tax_id ~ '^[0-9]{2}-[0-9]{7}$'),
    session_service_id         bigint,
    no_show_fee_cents          bigint NOT NULL DEFAULT 0 CHECK (no_show_fee_cents BETWEEN 0 AND 100000000),
    late_cancel_fee_cents      bigint NOT NULL DEFAULT 0 CHECK (late_cancel_fee_cents BETWEEN 0 AND 100000000),
    cancellation_window_hours  integer NOT NULL DEFAULT 24 CHECK (cancellation_window_hours BETWEEN 0 AND 168),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (practice_id, session_service_id) REFERENCES services (practice_id, id)
);

-- A therapist's license number, printed on the superbills of their sessions.
CREATE TABLE therapist_licenses (
    practice_id     bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    therapist_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    license_number  text NOT NULL CHECK (length(license_number) BETWEEN 1 AND 40),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, therapist_id)
);

-- Every practice starts with the four common psychotherapy codes and a profile charging
-- attended sessions as couples therapy with both partners.
-- +goose StatementBegin
CREATE FUNCTION seed_billing(practice bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO services (practice_id, cpt_code, description, duration_minutes, fee_cents) VALUES
        (practice, '90847', 'Family or couples psychotherapy, with the patient present', 50, 15000),
        (practice, '90846', 'Family or couples psychotherapy, without the patient present', 50, 14000),
        (practice, '90834', 'Psychotherapy, 45 minutes', 45, 12000),
        (practice, '90837', 'Psychotherapy, 60 minutes', 60, 16000);
    INSERT INTO billing_profiles (practice_id, session_service_id)
        SELECT practice, id FROM services WHERE practice_id = practice AND cpt_code = '90847';
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION seed_billing_of_new_practice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM seed_billing(NEW.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER practices_seed_billing AFTER INSERT ON practices
    FOR EACH ROW EXECUTE FUNCTION seed_billing_of_new_practice();

SELECT seed_billing(id) FROM practices;

-- Who pays a couple's charges: one partner (100) or a split between them summing to 100 (the
-- store checks the sum). A couple with no rows here is billed as a whole.
CREATE TABLE billing_shares (
    couple_id   bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    partner_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    percent     integer NOT NULL CHECK (percent BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (couple_id, partner_id)
);

-- ICD-10-CM diagnosis codes the care team sets, on the couple (partner_id NULL) or on one partner.
CREATE TABLE diagnoses (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id   bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    partner_id  bigint REFERENCES users(id) ON DELETE CASCADE,
    code        text NOT NULL CHECK (code ~ '^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$'),
    created_by  bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (couple_id, partner_id, code)
);

-- The ledger. amount_cents is the entry's effect on what its payer owes: charges and refunds
-- raise it, payments and write-offs lower it, adjustments go either way, and a reversal undoes
-- one earlier entry exactly. A payer of NULL is the couple as a whole. posted_on is the
-- date the entry belongs to (the session's date for a charge).
CREATE TABLE ledger_entries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id     bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    couple_id       bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    payer_id        bigint REFERENCES users(id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('charge', 'payment', 'refund', 'write_off', 'adjustment', 'reversal')),
    amount_cents    bigint NOT NULL CHECK (amount_cents <> 0 AND abs(amount_cents) <= 100000000),
    posted_on       date NOT NULL,
    appointment_id  bigint REFERENCES appointments(id) ON DELETE CASCADE,
    charge_kind     text CHECK (charge_kind IN ('session', 'no_show', 'late_cancel')),
    therapist_id    bigint REFERENCES users(id),
    cpt_code        text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    method          text CHECK (method IN ('cash', 'cheque', 'card')),
    reference       text NOT NULL DEFAULT '' CHECK (length(reference) <= 60),
    reverses_id     bigint UNIQUE REFERENCES ledger_entries(id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (CASE kind
        WHEN 'charge' THEN amount_cents > 0 AND appointment_id IS NOT NULL AND charge_kind IS NOT NULL
        WHEN 'refund' THEN amount_cents > 0
        WHEN 'payment' THEN amount_cents < 0
        WHEN 'write_off' THEN amount_cents < 0
        WHEN 'reversal' THEN reverses_id IS NOT NULL
        ELSE true END),
    CHECK ((kind IN ('payment', 'refund')) = (method IS NOT NULL))
);
CREATE INDEX ledger_entries_couple_idx ON ledger_entries (couple_id, posted_on, id);
CREATE INDEX ledger_entries_practice_idx ON ledger_entries (practice_id, posted_on, id);
CREATE INDEX ledger_entries_payer_idx ON ledger_entries (payer_id, posted_on, id);
-- One charge of each kind per appointment and payer: charging again finds the first.
CREATE UNIQUE INDEX ledger_entries_one_charge ON ledger_entries (appointment_id, charge_kind, payer_id) NULLS NOT DISTINCT
    WHERE kind = 'charge';

-- Nothing in the ledger is changed or removed: corrections are new entries. Only erasing a
-- couple's record (or a practice) takes its entries with it, through the cascade of that delete.
-- +goose StatementBegin
CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'ledger entries are never changed or removed; record a correcting entry'
        USING ERRCODE = 'P0001', HINT = 'ledger_append_only';
END $$;
-- +goose StatementEnd

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();

-- +goose Down
DROP TABLE ledger_entries;
DROP FUNCTION ledger_is_append_only();
DROP TABLE diagnoses;
DROP TABLE billing_shares;
DROP TRIGGER practices_seed_billing ON practices;
DROP FUNCTION seed_billing_of_new_practice();
DROP FUNCTION seed_billing(bigint);
DROP TABLE therapist_licenses;
DROP TABLE billing_profiles;
DROP TABLE services;
