-- +goose Up
-- The cancellation window is scheduling's (practices.cancellation_window_hours): it decides what
-- counts as a late cancellation, and so what billing charges a late-cancel fee for. Billing's copy
-- was never read.
ALTER TABLE billing_profiles DROP COLUMN cancellation_window_hours;

-- +goose Down
ALTER TABLE billing_profiles ADD COLUMN cancellation_window_hours integer NOT NULL DEFAULT 24
    CHECK (cancellation_window_hours BETWEEN 0 AND 168);
