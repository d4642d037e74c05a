-- +goose Up
-- Forms a practice writes itself: consents, intakes and other questionnaires. Like exercises, a
-- template's content lives in immutable versions; revising it adds a version. The built-in forms
-- live in the binary (server/library/forms.json) and are not stored here.
CREATE TABLE form_templates (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id      bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    current_version  int NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    created_by       bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX form_templates_practice_idx ON form_templates (practice_id);

CREATE TABLE form_template_versions (
    template_id  bigint NOT NULL REFERENCES form_templates(id) ON DELETE CASCADE,
    version      int NOT NULL CHECK (version >= 1),
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body         text NOT NULL DEFAULT '' CHECK (length(body) <= 20000),
    signature    boolean NOT NULL DEFAULT false,
    fields       jsonb NOT NULL CHECK (jsonb_typeof(fields) = 'array'),
    created_by   bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (template_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION form_template_versions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'form template versions never change; add a new version instead';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER form_template_versions_immutable
    BEFORE UPDATE OF template_id, version, title, body, signature, fields ON form_template_versions
    FOR EACH ROW EXECUTE FUNCTION form_template_versions_are_immutable();

-- A form sent to one partner: the content as it was sent (title, text, questions), the partner's
-- answers, and, for a consent, the signature. A signed form is frozen: the text rendered with the
-- answers and the signer (document), its SHA-256, the signer's typed name, time and address.
-- Visibility is the partner's choice of therapist or partner; safety-screening answers are read by
-- the care team only, whatever it is.
CREATE TABLE forms (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id       bigint NOT NULL REFERENCES practices(id) ON DELETE CASCADE,
    couple_id         bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    assignee_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    builtin_key       text,
    template_id       bigint REFERENCES form_templates(id) ON DELETE SET NULL,
    template_version  int,
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body              text NOT NULL DEFAULT '',
    signature         boolean NOT NULL,
    fields            jsonb NOT NULL CHECK (jsonb_typeof(fields) = 'array'),
    answers           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(answers) = 'object'),
    visibility        text NOT NULL DEFAULT 'therapist' CHECK (visibility IN ('therapist', 'partner')),
    status            text NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'in_progress', 'submitted', 'signed')),
    safety_flagged    boolean NOT NULL DEFAULT false,
    due_on            date,
    sent_by           bigint REFERENCES users(id) ON DELETE SET NULL,
    submitted_at      timestamptz,
    signed_name       text CHECK (length(signed_name) BETWEEN 1 AND 200),
    signed_at         timestamptz,
    signed_address    inet,
    document          text,
    document_sha256   bytea CHECK (length(document_sha256) = 32),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT forms_from_one_template CHECK ((builtin_key IS NULL) <> (template_version IS NULL)),
    CONSTRAINT forms_signed_whole CHECK ((status = 'signed') = (signed_at IS NOT NULL)
        AND (signed_at IS NULL) = (signed_name IS NULL)
        AND (signed_at IS NULL) = (document IS NULL)
        AND (signed_at IS NULL) = (document_sha256 IS NULL)
        AND (signed_at IS NULL OR signature))
);
CREATE INDEX forms_couple_idx ON forms (couple_id, created_at);

-- A signed form never changes, whatever path the change takes: every column but sent_by and
-- template_id (cleared when the sender's account or the template goes) is frozen. It is deleted
-- only with its couple's whole record (erasure), when the couple's row is already gone.
-- +goose StatementBegin
CREATE FUNCTION signed_forms_are_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.signed_at IS NOT NULL AND EXISTS (SELECT 1 FROM couples WHERE id = OLD.couple_id) THEN
            RAISE EXCEPTION 'a signed form is never deleted' USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'a signed form never changes' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER signed_forms_frozen
    BEFORE UPDATE OF id, practice_id, couple_id, assignee_id, builtin_key, template_version, title, body, signature,
        fields, answers, visibility, status, safety_flagged, due_on, submitted_at, signed_name, signed_at,
        signed_address, document, document_sha256, created_at, updated_at
    ON forms FOR EACH ROW EXECUTE FUNCTION signed_forms_are_frozen();
CREATE TRIGGER signed_forms_kept BEFORE DELETE ON forms
    FOR EACH ROW EXECUTE FUNCTION signed_forms_are_frozen();

-- Files added to a couple's record: a PDF or an image, its type read from its bytes, its SHA-256
-- kept beside it. Visibility works as for everything else an author writes.
CREATE TABLE documents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    couple_id     bigint NOT NULL REFERENCES couples(id) ON DELETE CASCADE,
    author_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg', 'image/gif', 'image/webp')),
    size          bigint NOT NULL CHECK (size > 0),
    sha256        bytea NOT NULL CHECK (length(sha256) = 32),
    content       bytea NOT NULL,
    visibility    text NOT NULL CHECK (visibility IN ('private', 'therapist', 'partner')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (size = octet_length(content))
);
CREATE INDEX documents_couple_idx ON documents (couple_id, created_at);

-- +goose Down
DROP TABLE documents;
DROP TRIGGER signed_forms_kept ON forms;
DROP TRIGGER signed_forms_frozen ON forms;
DROP FUNCTION signed_forms_are_frozen();
DROP TABLE forms;
DROP TABLE form_template_versions;
DROP FUNCTION form_template_versions_are_immutable();
DROP TABLE form_templates;
