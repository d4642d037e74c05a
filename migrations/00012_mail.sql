-- +goose Up
-- Mail. The job queue that sends it is River's (river_* tables), migrated by River's own migrator
-- right after these files (see migrations.go).

-- An appointment's version grows with every move or cancellation; a reminder carries the version it
-- was scheduled for and is dropped when the appointment has moved on.
ALTER TABLE appointments ADD COLUMN version integer NOT NULL DEFAULT 1;

-- How long before an appointment its reminders go out, in minutes (practice setting).
ALTER TABLE practices ADD COLUMN reminder_lead_minutes integer[] NOT NULL DEFAULT '{1440,120}'
    CHECK (cardinality(reminder_lead_minutes) <= 5 AND 0 < ALL (reminder_lead_minutes)
           AND 10080 >= ALL (reminder_lead_minutes));

-- What a person wants mail about, by address so that invitations to people without an account
-- can be declined too. No row means everything is on. Security mail is not optional.
CREATE TABLE mail_preferences (
    email        citext PRIMARY KEY CHECK (length(email) BETWEEN 3 AND 254),
    invitations  boolean NOT NULL DEFAULT true,
    reminders    boolean NOT NULL DEFAULT true,
    exercises    boolean NOT NULL DEFAULT true,
    digest       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Every message handed to the mail server (or, with none configured, kept here as the development
-- mailbox, bodies included). The Message-ID makes a retried job send nothing twice.
CREATE TABLE sent_mail (
    message_id   text PRIMARY KEY,
    practice_id  bigint REFERENCES practices(id) ON DELETE CASCADE,
    kind         text NOT NULL,
    recipient    citext NOT NULL,
    subject      text NOT NULL,
    text_body    text,
    html_body    text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sent_mail_practice_idx ON sent_mail (practice_id, created_at DESC);

-- The key that signs unsubscribe links, made once per database so every instance shares it.
CREATE TABLE mail_signing_key (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    key         bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO mail_signing_key (key)
VALUES (sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')));

-- +goose Down
DROP TABLE mail_signing_key;
DROP TABLE sent_mail;
DROP TABLE mail_preferences;
ALTER TABLE practices DROP COLUMN reminder_lead_minutes;
ALTER TABLE appointments DROP COLUMN version;
