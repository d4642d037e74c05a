-- +goose Up
-- A second factor for sign-in: a TOTP secret per person (pending until confirmed with a first
-- code), single-use recovery codes kept as hashes, the short-lived step between password and
-- code, and the practice setting that requires a factor of its administrators and therapists.

CREATE TABLE second_factors (
    user_id       bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    -- The base32 TOTP secret. Never returned by the API after enrolment, never logged.
    secret        text NOT NULL CHECK (length(secret) BETWEEN 16 AND 128),
    confirmed_at  timestamptz,
    -- The last TOTP time step accepted, so that a code is accepted once.
    last_step     bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recovery_codes (
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

-- Between a right password and a right code: the hash of a one-time token naming the account.
CREATE TABLE sign_in_challenges (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_challenges_expiry_idx ON sign_in_challenges (expires_at);

ALTER TABLE practices ADD COLUMN require_second_factor boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE practices DROP COLUMN require_second_factor;
DROP TABLE sign_in_challenges;
DROP TABLE recovery_codes;
DROP TABLE second_factors;
