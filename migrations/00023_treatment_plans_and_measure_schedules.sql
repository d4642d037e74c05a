-- +goose Up
-- A couple's treatment plan, one row per version. The care team drafts a version, reviews it with
-- the couple and signs it; a signed version never changes (a trigger refuses it), and a revision
-- is a new version. At most one draft per couple at a time.
CREATE TABLE treatment_plans (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id   bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version >= 1),
    content     jsonb NOT NULL,
    created_by  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    signed_by   bigint REFERENCES users(id) ON DELETE SET NULL,
    signed_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (couple_id, version)
);
CREATE UNIQUE INDEX treatment_plans_one_draft_idx ON treatment_plans (couple_id) WHERE signed_at IS NULL;

-- +goose StatementBegin
CREATE FUNCTION treatment_plans_signed_never_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'treatment plan % is signed and never changes', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER treatment_plans_locked BEFORE UPDATE ON treatment_plans
    FOR EACH ROW EXECUTE FUNCTION treatment_plans_signed_never_change();

-- Each partner's acknowledgement of a signed version.
CREATE TABLE treatment_plan_acknowledgements (
    plan_id          bigint NOT NULL REFERENCES treatment_plans(id) ON DELETE CASCADE,
    user_id          bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    acknowledged_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, user_id)
);

-- A questionnaire each partner of a couple is asked to answer every N weeks, from starts_on.
CREATE TABLE measure_schedules (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id    bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    measure_key  text NOT NULL,
    every_weeks  integer NOT NULL CHECK (every_weeks BETWEEN 1 AND 52),
    starts_on    date NOT NULL,
    created_by   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (couple_id, measure_key)
);

-- +goose Down
DROP TABLE measure_schedules;
DROP TABLE treatment_plan_acknowledgements;
DROP TABLE treatment_plans;
DROP FUNCTION treatment_plans_signed_never_change();
