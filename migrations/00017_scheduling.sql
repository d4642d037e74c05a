-- +goose Up
-- The front desk: books and moves appointments for the whole practice, never reads clinical work.
ALTER TABLE memberships DROP CONSTRAINT memberships_role_check;
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check CHECK (role IN ('admin', 'therapist', 'client', 'front_desk'));
ALTER TABLE invites DROP CONSTRAINT invites_role_check;
ALTER TABLE invites ADD CONSTRAINT invites_role_check CHECK (role IN ('admin', 'therapist', 'client', 'front_desk'));

-- A cancellation this close to the start is a late cancellation.
ALTER TABLE practices ADD COLUMN cancellation_window_hours integer NOT NULL DEFAULT 24
    CHECK (cancellation_window_hours BETWEEN 0 AND 168);

-- Rooms are a practice resource: an in-person appointment takes one, and a room is never booked twice.
CREATE TABLE rooms (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id  bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX rooms_name_key ON rooms (practice_id, lower(name));

-- A therapist's weekly working hours, as wall-clock times in time_zone (weekday 0 is Sunday).
CREATE TABLE working_hours (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id   bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    therapist_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    weekday       smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    starts        time NOT NULL,
    ends          time NOT NULL,
    time_zone     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (ends > starts)
);
CREATE INDEX working_hours_therapist_idx ON working_hours (practice_id, therapist_id, weekday);

-- A weekly or every-other-week series. Its occurrences are materialised as appointments, so the
-- exclusion constraints check every one of them exactly; the rule is kept for reading and for
-- rescheduling "this and the following".
CREATE TABLE appointment_series (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id         bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    therapist_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    interval_weeks    smallint NOT NULL CHECK (interval_weeks IN (1, 2)),
    time_zone         text NOT NULL,
    created_by        bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appointment_series_couple_idx ON appointment_series (couple_id);

ALTER TABLE appointments
    ADD COLUMN series_id bigint REFERENCES appointment_series(id) ON DELETE SET NULL,
    ADD COLUMN kind text NOT NULL DEFAULT 'in_person' CHECK (kind IN ('in_person', 'video', 'phone')),
    ADD COLUMN room_id bigint REFERENCES rooms(id) ON DELETE SET NULL,
    ADD COLUMN attendance text CHECK (attendance IN ('attended', 'no_show', 'late_cancel', 'cancelled')),
    ADD COLUMN attendance_recorded_at timestamptz,
    ADD COLUMN live_session_id bigint REFERENCES live_sessions(id) ON DELETE SET NULL,
    ADD CONSTRAINT appointments_attendance_recorded CHECK ((attendance IS NULL) = (attendance_recorded_at IS NULL)),
    ADD CONSTRAINT appointments_room_in_person CHECK (room_id IS NULL OR kind = 'in_person'),
    -- A couple is never booked twice at once, whoever the therapist, nor a room. All three
    -- no-double-booking constraints may be deferred to commit, so that moving a run of a series
    -- ("this and the following") is checked on its result, not occurrence by occurrence.
    DROP CONSTRAINT appointments_no_double_booking,
    ADD CONSTRAINT appointments_no_double_booking EXCLUDE USING gist
        (therapist_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'scheduled')
        DEFERRABLE INITIALLY IMMEDIATE,
    ADD CONSTRAINT appointments_no_couple_double_booking EXCLUDE USING gist
        (couple_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'scheduled')
        DEFERRABLE INITIALLY IMMEDIATE,
    ADD CONSTRAINT appointments_no_room_double_booking EXCLUDE USING gist
        (room_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'scheduled' AND room_id IS NOT NULL)
        DEFERRABLE INITIALLY IMMEDIATE;
CREATE INDEX appointments_series_idx ON appointments (series_id, starts_at) WHERE series_id IS NOT NULL;
CREATE INDEX appointments_therapist_idx ON appointments (therapist_id, starts_at);

-- A note may record one appointment's session.
ALTER TABLE notes ADD COLUMN appointment_id bigint REFERENCES appointments(id) ON DELETE SET NULL;
CREATE INDEX notes_appointment_idx ON notes (appointment_id) WHERE appointment_id IS NOT NULL;

-- A partner asks for a time from the therapist's open slots; the therapist accepts (which books
-- it) or declines.
CREATE TABLE appointment_requests (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id       bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    therapist_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    requested_by    bigint REFERENCES users(id) ON DELETE SET NULL,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    time_zone       text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('in_person', 'video', 'phone')),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
    appointment_id  bigint REFERENCES appointments(id) ON DELETE SET NULL,
    decided_by      bigint REFERENCES users(id) ON DELETE SET NULL,
    decided_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX appointment_requests_couple_idx ON appointment_requests (couple_id, created_at DESC);

-- +goose Down
DROP TABLE appointment_requests;
DROP INDEX notes_appointment_idx;
ALTER TABLE notes DROP COLUMN appointment_id;
DROP INDEX appointments_therapist_idx;
DROP INDEX appointments_series_idx;
ALTER TABLE appointments
    DROP CONSTRAINT appointments_no_double_booking,
    ADD CONSTRAINT appointments_no_double_booking EXCLUDE USING gist
        (therapist_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'scheduled'),
    DROP CONSTRAINT appointments_no_room_double_booking,
    DROP CONSTRAINT appointments_no_couple_double_booking,
    DROP CONSTRAINT appointments_room_in_person,
    DROP CONSTRAINT appointments_attendance_recorded,
    DROP COLUMN live_session_id,
    DROP COLUMN attendance_recorded_at,
    DROP COLUMN attendance,
    DROP COLUMN room_id,
    DROP COLUMN kind,
    DROP COLUMN series_id;
DROP TABLE appointment_series;
DROP TABLE working_hours;
DROP TABLE rooms;
ALTER TABLE practices DROP COLUMN cancellation_window_hours;
DELETE FROM invites WHERE role = 'front_desk';
DELETE FROM memberships WHERE role = 'front_desk';
ALTER TABLE invites DROP CONSTRAINT invites_role_check;
ALTER TABLE invites ADD CONSTRAINT invites_role_check CHECK (role IN ('admin', 'therapist', 'client'));
ALTER TABLE memberships DROP CONSTRAINT memberships_role_check;
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check CHECK (role IN ('admin', 'therapist', 'client'));
