-- +goose Up
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Clinical notes: therapist-only. A signed note is locked; later changes are addenda.
-- live_session_id has no foreign key: live sessions arrive in a later migration.
CREATE TABLE notes (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id        bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    live_session_id  bigint,
    author_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    template         text NOT NULL CHECK (template IN ('soap', 'dap')),
    sections         jsonb NOT NULL,
    signed_at        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_couple_idx ON notes (couple_id, created_at);

CREATE TABLE note_addenda (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    note_id     bigint NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
    author_id   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX note_addenda_note_idx ON note_addenda (note_id, id);

-- Sessions on the calendar. A therapist is never booked twice at once: scheduled appointments of
-- the same therapist may not overlap.
CREATE TABLE appointments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id     bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    therapist_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    time_zone     text NOT NULL,
    status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    cancelled_at  timestamptz,
    created_by    bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CONSTRAINT appointments_no_double_booking EXCLUDE USING gist
        (therapist_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'scheduled')
);
CREATE INDEX appointments_couple_idx ON appointments (couple_id, starts_at);

-- A therapist's calendar feed: a revocable secret URL; only the token's hash is kept.
CREATE TABLE calendar_feeds (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id   bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    therapist_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE,
    revoked_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX calendar_feeds_active_key ON calendar_feeds (practice_id, therapist_id) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE calendar_feeds;
DROP TABLE appointments;
DROP TABLE note_addenda;
DROP TABLE notes;
