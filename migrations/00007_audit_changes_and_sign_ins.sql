-- +goose Up
-- A setting a request changed (an item's visibility, say) is audited with its values before and after.
ALTER TABLE audit_log
    ADD COLUMN change_field text,
    ADD COLUMN change_from  text,
    ADD COLUMN change_to    text;

-- Sign-ins belong to no practice: each account reads its own, newest first.
CREATE INDEX audit_log_sign_ins_idx ON audit_log (object_id, id DESC)
    WHERE practice_id IS NULL AND object_type = 'user';

-- +goose Down
DROP INDEX audit_log_sign_ins_idx;
ALTER TABLE audit_log DROP COLUMN change_field, DROP COLUMN change_from, DROP COLUMN change_to;
