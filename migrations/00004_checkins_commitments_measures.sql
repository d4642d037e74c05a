-- +goose Up
-- A partner's daily check-in: one per partner per day, the day counted in the practice's time zone.
CREATE TABLE checkins (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id   bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    author_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day         date NOT NULL,
    trust       smallint NOT NULL CHECK (trust BETWEEN 0 AND 10),
    safety      smallint NOT NULL CHECK (safety BETWEEN 0 AND 10),
    feeling     text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
    visibility  text NOT NULL DEFAULT 'therapist' CHECK (visibility IN ('private', 'therapist', 'partner')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (couple_id, author_id, day)
);
CREATE INDEX checkins_couple_day_idx ON checkins (couple_id, day);

-- A concrete commitment a partner states; the other partner records each period as kept or missed.
CREATE TABLE commitments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id   bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    author_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    cadence     text NOT NULL CHECK (cadence IN ('daily', 'weekly')),
    starts_on   date NOT NULL,
    ended_on    date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ended_on IS NULL OR ended_on >= starts_on)
);
CREATE INDEX commitments_couple_idx ON commitments (couple_id, created_at);

-- One record per commitment and period (the day, or the Monday of the week).
CREATE TABLE commitment_checks (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    commitment_id  bigint NOT NULL REFERENCES commitments(id) ON DELETE CASCADE,
    period_start   date NOT NULL,
    kept           boolean NOT NULL,
    note           text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    recorded_by    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (commitment_id, period_start)
);

-- A validated questionnaire a partner answered, with its score.
CREATE TABLE measures (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id    bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    author_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    measure_key  text NOT NULL,
    answers      jsonb NOT NULL,
    score        integer NOT NULL,
    visibility   text NOT NULL DEFAULT 'therapist' CHECK (visibility IN ('private', 'therapist', 'partner')),
    taken_at     timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX measures_couple_idx ON measures (couple_id, taken_at);

-- +goose Down
DROP TABLE measures;
DROP TABLE commitment_checks;
DROP TABLE commitments;
DROP TABLE checkins;
