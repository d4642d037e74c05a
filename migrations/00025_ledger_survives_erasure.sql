-- +goose Up
-- Erasing a couple keeps its ledger entries for the practice's accounts, de-identified, instead of
-- deleting them: what was charged, paid and written off, when, by which therapist and under which
-- code stays, so past reports and exports keep their figures; what led to the people (couple,
-- payer, appointment, free text) goes.
--
-- How the append-only trigger tells erasure apart from every other change: the ledger's links to
-- the couple, its appointments and its partners are ON DELETE SET NULL, so deleting the couple
-- (its appointments go with it) makes PostgreSQL's own foreign-key actions update the entries.
-- The trigger lets such an update through only when all of these hold:
--   * it runs nested inside another trigger (pg_trigger_depth() > 1), which a statement sent to
--     the database never is: the foreign-key actions are triggers;
--   * the entry's couple no longer exists, which only deleting the couple brings about (a couple
--     id cannot be repointed: the same update would have to change it, and that is refused);
--   * the update does nothing but set one or more of those links to NULL.
-- It then completes the de-identification itself, whichever link's action came first: couple,
-- payer and appointment become NULL and description and reference are blanked. (A session setting
-- checked by the trigger could be set by any statement the application sends; a SECURITY DEFINER
-- function guards nothing while the application's role owns the table.) Deleting an appointment
-- or a partner account while the couple exists is therefore refused, as is every UPDATE and
-- DELETE sent directly, and a cascaded DELETE is let through only when the practice itself is
-- being deleted.
ALTER TABLE ledger_entries ALTER COLUMN couple_id DROP NOT NULL;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_couple_id_fkey,
    ADD CONSTRAINT ledger_entries_couple_id_fkey FOREIGN KEY (couple_id) REFERENCES couples(id) ON DELETE SET NULL;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_payer_id_fkey,
    ADD CONSTRAINT ledger_entries_payer_id_fkey FOREIGN KEY (payer_id) REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_appointment_id_fkey,
    ADD CONSTRAINT ledger_entries_appointment_id_fkey FOREIGN KEY (appointment_id) REFERENCES appointments(id) ON DELETE SET NULL;

-- A charge names its appointment while its couple exists; an erased entry names nobody.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_check,
    ADD CONSTRAINT ledger_entries_check CHECK (CASE kind
        WHEN 'charge' THEN amount_cents > 0 AND (appointment_id IS NOT NULL OR couple_id IS NULL) AND charge_kind IS NOT NULL
        WHEN 'refund' THEN amount_cents > 0
        WHEN 'payment' THEN amount_cents < 0
        WHEN 'write_off' THEN amount_cents < 0
        WHEN 'reversal' THEN reverses_id IS NOT NULL
        ELSE true END),
    ADD CONSTRAINT ledger_entries_erased_names_nobody CHECK (couple_id IS NOT NULL
        OR (payer_id IS NULL AND appointment_id IS NULL AND description = '' AND reference = ''));

-- One charge of each kind per appointment and payer; erased charges have no appointment and
-- must not collide with each other.
DROP INDEX ledger_entries_one_charge;
CREATE UNIQUE INDEX ledger_entries_one_charge ON ledger_entries (appointment_id, charge_kind, payer_id) NULLS NOT DISTINCT
    WHERE kind = 'charge' AND appointment_id IS NOT NULL;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unlinked ledger_entries;
BEGIN
    IF pg_trigger_depth() > 1 THEN
        IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM practices WHERE id = OLD.practice_id) THEN
            RETURN OLD;
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.couple_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM couples WHERE id = OLD.couple_id) THEN
            unlinked := OLD;
            unlinked.couple_id := NEW.couple_id;
            unlinked.payer_id := NEW.payer_id;
            unlinked.appointment_id := NEW.appointment_id;
            IF unlinked IS NOT DISTINCT FROM NEW AND NEW IS DISTINCT FROM OLD
               AND (NEW.couple_id IS NULL OR NEW.couple_id = OLD.couple_id)
               AND (NEW.payer_id IS NULL OR NEW.payer_id = OLD.payer_id)
               AND (NEW.appointment_id IS NULL OR NEW.appointment_id = OLD.appointment_id) THEN
                NEW.couple_id := NULL;
                NEW.payer_id := NULL;
                NEW.appointment_id := NULL;
                NEW.description := '';
                NEW.reference := '';
                RETURN NEW;
            END IF;
        END IF;
    END IF;
    RAISE EXCEPTION 'ledger entries are never changed or removed; record a correcting entry'
        USING ERRCODE = 'P0001', HINT = 'ledger_append_only';
END $$;
-- +goose StatementEnd

-- +goose Down
-- The earlier schema cannot hold an entry without a couple: the entries of couples erased since
-- are removed, as erasure did then. Their figures leave the practice's reports with them.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'ledger entries are never changed or removed; record a correcting entry'
        USING ERRCODE = 'P0001', HINT = 'ledger_append_only';
END $$;
-- +goose StatementEnd
ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
DELETE FROM ledger_entries WHERE couple_id IS NULL;
ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only;
DROP INDEX ledger_entries_one_charge;
CREATE UNIQUE INDEX ledger_entries_one_charge ON ledger_entries (appointment_id, charge_kind, payer_id) NULLS NOT DISTINCT
    WHERE kind = 'charge';
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_erased_names_nobody,
    DROP CONSTRAINT ledger_entries_check,
    ADD CONSTRAINT ledger_entries_check CHECK (CASE kind
        WHEN 'charge' THEN amount_cents > 0 AND appointment_id IS NOT NULL AND charge_kind IS NOT NULL
        WHEN 'refund' THEN amount_cents > 0
        WHEN 'payment' THEN amount_cents < 0
        WHEN 'write_off' THEN amount_cents < 0
        WHEN 'reversal' THEN reverses_id IS NOT NULL
        ELSE true END);
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_appointment_id_fkey,
    ADD CONSTRAINT ledger_entries_appointment_id_fkey FOREIGN KEY (appointment_id) REFERENCES appointments(id) ON DELETE CASCADE;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_payer_id_fkey,
    ADD CONSTRAINT ledger_entries_payer_id_fkey FOREIGN KEY (payer_id) REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_couple_id_fkey,
    ADD CONSTRAINT ledger_entries_couple_id_fkey FOREIGN KEY (couple_id) REFERENCES couples(id) ON DELETE CASCADE;
ALTER TABLE ledger_entries ALTER COLUMN couple_id SET NOT NULL;
