-- The event catalog: its applied versions, the events it holds back, what it did or would do to
-- each recorded event, and the observed catalog learned from event_logs.

-- Every applied version of the catalog; the highest is in force. Never updated or deleted: the
-- versions are the catalog's history.
CREATE TABLE event_catalog_versions (
    version    integer     PRIMARY KEY,
    applied_at timestamptz NOT NULL,
    -- Who applied it: 'user:<id>' through the API, 'tally-admin:<os user>' from the command line.
    applied_by text        NOT NULL,
    -- The catalog as parsed (canonical JSON), and the file as given (comments included).
    document   jsonb       NOT NULL,
    source     text        NOT NULL,
    -- The replay preview of this version against the one before it, computed when applied.
    diff       jsonb       NOT NULL,
    -- Held events queued for export because this version approved them.
    released   bigint      NOT NULL DEFAULT 0
);

-- Events held back by the catalog (event_logs.kept_local_reason = 'unplanned'), as built and
-- before redaction, so that a later version that approves them can queue them redacted by the
-- rules then in force. Erasure deletes a person's by user_key; retention by arrival, as it deletes
-- event_logs (the server-made UUIDv7 event_id below the cutoff's, served by the primary key).
CREATE TABLE held_events (
    event_id   uuid        PRIMARY KEY,
    timestamp  timestamptz NOT NULL,
    feature    text        NOT NULL,
    action     text        NOT NULL,
    -- Whose event it is, named as in telemetry_events_export_queue.user_key.
    user_key   text        NOT NULL,
    payload_pb bytea       NOT NULL
);

CREATE INDEX held_events_feature_action ON held_events (feature, action);
CREATE INDEX held_events_user_key ON held_events (user_key);

-- 'unplanned': held by the catalog until a version approves the event's entry.
ALTER TABLE event_logs DROP CONSTRAINT event_logs_kept_local_reason;
ALTER TABLE event_logs ADD CONSTRAINT event_logs_kept_local_reason
    CHECK (kept_local_reason IN ('gpc', 'dnt', 'opt_out', 'legacy', 'unplanned')) NOT VALID;

-- What the catalog in force did or would do to an event that could be exported, by key name,
-- never a value: {"version": 3, "event": "held"|"would_hold",
-- "metadata": {"key": "dropped"|"would_drop"}, "private": {"key": "dropped"|"would_drop"}}.
-- Null when it did nothing and would do nothing.
ALTER TABLE event_logs ADD COLUMN catalog_outcome jsonb;

-- The observed catalog, rolled up from event_logs with the usage rollups (counted once, in the
-- same chunks): per V2 event name, each metadata key, private-metadata key and billing
-- product:category seen, with the events that carried it and the first and last day.
CREATE TABLE event_catalog_keys (
    feature   text   NOT NULL,
    action    text   NOT NULL,
    -- 'metadata', 'private' or 'billing'.
    kind      text   NOT NULL,
    key       text   NOT NULL,
    events    bigint NOT NULL,
    first_day date   NOT NULL,
    last_day  date   NOT NULL,
    PRIMARY KEY (feature, action, kind, key)
);

-- The catalog's counters per day, from event_logs.catalog_outcome: events held or that would be
-- (kind 'event', key ''), and keys dropped or that would be (kind 'metadata' or 'private').
CREATE TABLE event_catalog_outcomes (
    day     date   NOT NULL,
    feature text   NOT NULL,
    action  text   NOT NULL,
    kind    text   NOT NULL,
    key     text   NOT NULL,
    outcome text   NOT NULL,
    events  bigint NOT NULL,
    PRIMARY KEY (day, feature, action, kind, key, outcome)
);
