-- +goose Up
-- What a client command asked for (everything but its id), condensed to 64 bits and kept beside
-- client_msg_id: a command sent again under the same id is a resend only when it asks for the
-- same thing; another command under a used id is refused. Rows stored before this column have
-- none and are taken as resends, as they were.
ALTER TABLE session_events ADD COLUMN command_digest bigint;

-- +goose Down
ALTER TABLE session_events DROP COLUMN command_digest;
