-- +goose Up
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE practices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    time_zone   text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX practices_name_key ON practices (lower(name));

CREATE TABLE users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          citext NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    name           text NOT NULL DEFAULT '',
    password_hash  text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- A user holds one or more roles in a practice; a client membership is tied to one couple
-- (the couple_partners table, added with couples, holds that tie).
CREATE TABLE memberships (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id  bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('admin', 'therapist', 'client')),
    disabled_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (practice_id, user_id, role)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE auth_sessions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    address       text NOT NULL DEFAULT '',
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    idle_expires_at timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);

CREATE TABLE invites (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE,
    practice_id  bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    email        citext NOT NULL,
    role         text NOT NULL CHECK (role IN ('admin', 'therapist', 'client')),
    couple_id    bigint,
    invited_by   bigint REFERENCES users(id) ON DELETE SET NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invites_practice_idx ON invites (practice_id, created_at DESC);

-- Append-only: the application role never updates or deletes rows here.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id  bigint REFERENCES practices(id) ON DELETE SET NULL,
    actor_id     bigint,
    action       text NOT NULL,
    object_type  text NOT NULL,
    object_id    bigint,
    outcome      text NOT NULL CHECK (outcome IN ('allowed', 'denied', 'failed')),
    address      text NOT NULL DEFAULT '',
    request_id   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_practice_idx ON audit_log (practice_id, id DESC);

-- +goose StatementBegin
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_is_append_only();
DROP TABLE invites;
DROP TABLE auth_sessions;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE practices;
