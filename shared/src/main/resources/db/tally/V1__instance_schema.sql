-- The instance's storage: recorded events for admin analytics, the export queue, feature flags
-- and access tokens.

-- One row per recorded event, for admin analytics. Keeps private metadata: it never leaves the
-- instance from here.
CREATE TABLE event_logs (
    id                       bigserial PRIMARY KEY,
    event_id                 uuid        NOT NULL UNIQUE,
    name                     text        NOT NULL,
    timestamp                timestamptz NOT NULL,
    user_id                  bigint,
    anonymous_user_id        text        NOT NULL,
    source                   text        NOT NULL,
    client                   text,
    version                  text        NOT NULL,
    public_argument          jsonb       NOT NULL DEFAULT '{}',
    argument                 jsonb,
    feature_flags            jsonb,
    billing_product_category text,
    interaction_id           text,
    url                      text,
    first_source_url         text,
    last_source_url          text,
    referrer                 text,
    cohort_id                text,
    device_session_id        text,
    session_referrer         text,
    session_first_url        text
);

CREATE INDEX event_logs_timestamp ON event_logs (timestamp);
CREATE INDEX event_logs_name_timestamp ON event_logs (name, timestamp);

-- Redacted events waiting for export, as telemetrygateway.v1.Event protobuf bytes.
CREATE TABLE telemetry_events_export_queue (
    id               uuid PRIMARY KEY,
    timestamp        timestamptz NOT NULL,
    payload_pb       bytea       NOT NULL,
    exported_at      timestamptz,
    -- An exporter that claimed the row holds it until then; a released row waits until then.
    available_at     timestamptz,
    attempts         integer     NOT NULL DEFAULT 0,
    -- A row whose payload cannot be decoded is set aside instead of blocking the queue.
    set_aside_at     timestamptz,
    set_aside_reason text
);

-- Serves the export order: oldest unexported event first.
CREATE INDEX telemetry_events_export_queue_unexported
    ON telemetry_events_export_queue (timestamp)
    WHERE exported_at IS NULL;

-- Serves the admin listing (newest exported first) and the retention delete.
CREATE INDEX telemetry_events_export_queue_exported
    ON telemetry_events_export_queue (exported_at DESC, id DESC)
    WHERE exported_at IS NOT NULL;

CREATE TABLE feature_flags (
    name       text PRIMARY KEY,
    enabled    boolean     NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A user's own value of a flag, which wins over the instance-wide one.
CREATE TABLE feature_flag_overrides (
    flag_name  text        NOT NULL REFERENCES feature_flags (name) ON DELETE CASCADE,
    user_id    bigint      NOT NULL,
    enabled    boolean     NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (flag_name, user_id)
);

-- Access tokens: only the SHA-256 of a token is stored, never the token.
CREATE TABLE access_tokens (
    id           bigserial PRIMARY KEY,
    token_sha256 bytea       NOT NULL UNIQUE,
    user_id      bigint      NOT NULL,
    scopes       text[]      NOT NULL,
    note         text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    CHECK (octet_length(token_sha256) = 32)
);

CREATE INDEX access_tokens_user_id ON access_tokens (user_id);
