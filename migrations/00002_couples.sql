-- +goose Up
CREATE TABLE couples (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id  bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    label        text NOT NULL CHECK (length(label) BETWEEN 1 AND 120),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'closed')),
    concerns     text[] NOT NULL DEFAULT '{}',
    created_by   bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX couples_practice_idx ON couples (practice_id, status);

-- The two partners of a couple, in seats a and b.
CREATE TABLE couple_partners (
    couple_id   bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seat        text NOT NULL CHECK (seat IN ('a', 'b')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (couple_id, seat),
    UNIQUE (couple_id, user_id)
);
CREATE INDEX couple_partners_user_idx ON couple_partners (user_id);

CREATE TABLE care_team (
    couple_id     bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    therapist_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (couple_id, therapist_id)
);
CREATE INDEX care_team_therapist_idx ON care_team (therapist_id);

ALTER TABLE invites ADD COLUMN seat text CHECK (seat IN ('a', 'b'));
ALTER TABLE invites ADD CONSTRAINT invites_couple_fk FOREIGN KEY (couple_id) REFERENCES couples(id) ON DELETE CASCADE;
ALTER TABLE invites ADD CONSTRAINT invites_client_has_couple CHECK ((role = 'client') = (couple_id IS NOT NULL AND seat IS NOT NULL));

-- +goose Down
ALTER TABLE invites DROP CONSTRAINT invites_client_has_couple;
ALTER TABLE invites DROP CONSTRAINT invites_couple_fk;
ALTER TABLE invites DROP COLUMN seat;
DROP TABLE care_team;
DROP TABLE couple_partners;
DROP TABLE couples;
