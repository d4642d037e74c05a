-- +goose Up
-- A live session: a moderated conversation of a couple with their therapist. state is the floor's
-- snapshot as of event seq; the events themselves are the session's log.
CREATE TABLE live_sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id  bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    couple_id    bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    created_by   bigint REFERENCES users(id) ON DELETE SET NULL,
    mode         text NOT NULL CHECK (mode IN ('turns', 'listener')),
    state        jsonb NOT NULL,
    seq          bigint NOT NULL DEFAULT 0 CHECK (seq >= 0),
    -- Says refused because it was not the partner's turn; their text is kept nowhere.
    blocked_a    integer NOT NULL DEFAULT 0,
    blocked_b    integer NOT NULL DEFAULT 0,
    status       text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'live', 'ended')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz
);
CREATE INDEX live_sessions_couple_idx ON live_sessions (couple_id, id DESC);

-- The session's events, numbered without gaps. payload is the event's wire JSON exactly as it was
-- encoded (json, not jsonb), so a replayed event is byte for byte the one sent live. actor_id has
-- no foreign key: checking it would lock the user's row on every utterance. client_msg_id is kept
-- on the last event a client command caused, so a resent command finds its ack.
CREATE TABLE session_events (
    session_id     bigint NOT NULL REFERENCES live_sessions(id) ON DELETE CASCADE,
    seq            bigint NOT NULL CHECK (seq > 0),
    kind           text NOT NULL,
    actor_id       bigint,
    actor_role     text NOT NULL CHECK (actor_role IN ('chair', 'a', 'b', 'system')),
    payload        json NOT NULL,
    client_msg_id  text CHECK (length(client_msg_id) BETWEEN 1 AND 64),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, seq),
    UNIQUE (session_id, actor_id, client_msg_id)
);

-- Who is connected to a session, counted per server instance and role. An instance refreshes
-- seen_at while it runs; rows of an instance that stopped without cleaning up go stale.
CREATE TABLE live_presence (
    session_id   bigint NOT NULL REFERENCES live_sessions(id) ON DELETE CASCADE,
    instance_id  text NOT NULL,
    role         text NOT NULL CHECK (role IN ('chair', 'a', 'b')),
    connections  integer NOT NULL CHECK (connections > 0),
    seen_at      timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, instance_id, role)
);
CREATE INDEX live_presence_instance_idx ON live_presence (instance_id);

ALTER TABLE notes ADD CONSTRAINT notes_live_session_fk
    FOREIGN KEY (live_session_id) REFERENCES live_sessions(id) ON DELETE SET NULL;

-- +goose Down
ALTER TABLE notes DROP CONSTRAINT notes_live_session_fk;
DROP TABLE live_presence;
DROP TABLE session_events;
DROP TABLE live_sessions;
