-- +goose Up
-- The cancellation window is scheduling's (practices.cancellation_window_hours): it decides what
-- counts as a late cancellation, and so what billing charges a late-cancel fee for. Billing's copy
-- was never read.
ALTER TABLE billing_profiles DROP COLUMN cancellation_window_hours;

-- A therapist's time off: whole days, first to last inclusive, read in the practice's time zone.
-- Open slots leave it out and booking into it is refused unless staff override. The reason is for
-- the practice's staff only.
CREATE TABLE time_off (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id   bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    therapist_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    first_day     date NOT NULL,
    last_day      date NOT NULL,
    reason        text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    created_by    bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (last_day >= first_day)
);
CREATE INDEX time_off_therapist_idx ON time_off (practice_id, therapist_id, last_day);

-- +goose Down
DROP TABLE time_off;
ALTER TABLE billing_profiles ADD COLUMN cancellation_window_hours integer NOT NULL DEFAULT 24
    CHECK (cancellation_window_hours BETWEEN 0 AND 168);
