-- +goose Up
-- Which instance carries a live session's media. The holder renews expires_at every few seconds;
-- once it lapses (the instance died), the next media_join on any instance takes the lease over.
-- Unlogged: after a database crash every lease is gone and the next join simply takes it again.
CREATE UNLOGGED TABLE media_leases (
    session_id  bigint PRIMARY KEY REFERENCES live_sessions(id) ON DELETE CASCADE,
    instance    text NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Media signalling on its way between instances: a frame of a participant connected to one
-- instance, for the lease holder, or the holder's answer back. A NOTIFY carries only the row's id
-- (session descriptions exceed NOTIFY's 8000 bytes); the addressee deletes the row as it reads
-- it, and rows nobody read are swept after a minute.
CREATE UNLOGGED TABLE media_relay (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id   bigint NOT NULL,
    to_instance  text NOT NULL,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_relay_created_idx ON media_relay (created_at);

-- +goose Down
DROP TABLE media_relay;
DROP TABLE media_leases;
