-- The administrators' console: each event's feature and action apart, daily rollups of
-- event_logs that keep the usage queries fast however large it grows, and the export runs.

-- A name is feature.action, and both may hold dots: the parts are kept apart from now on. Rows
-- recorded before have neither; the rollups count them under their name as the feature.
ALTER TABLE event_logs
    ADD COLUMN feature text,
    ADD COLUMN action  text;

-- How far the rollups have counted event_logs: every row whose id is at most rolled_up_to is in
-- them, and no row above it. Brought up to date when usage is read (dev.tally.usage.UsageRollup).
CREATE TABLE event_usage_rollup_state (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    rolled_up_to bigint      NOT NULL DEFAULT 0,
    refreshed_at timestamptz
);

INSERT INTO event_usage_rollup_state (singleton) VALUES (true);

-- Events per UTC day (of the event's timestamp), feature, action, client and client version.
CREATE TABLE event_usage_daily (
    day            date   NOT NULL,
    feature        text   NOT NULL,
    action         text   NOT NULL,
    -- event_logs.source: the client's name, or BACKEND.
    client         text   NOT NULL,
    -- The client's version, '' when it sent none.
    client_version text   NOT NULL,
    events         bigint NOT NULL,
    PRIMARY KEY (day, feature, action, client, client_version)
);

-- Who recorded what, and when last: one row per feature, action and user, where the user is
-- 'u:<user id>' (signed in) or 'a:<anonymous user id>', with the last UTC day they recorded it.
-- The distinct users of an event over the last N days are the rows whose last day is in them:
-- as small as the number of users, however many events they record. Events of unknown users
-- are not in it.
CREATE TABLE event_usage_users (
    feature  text NOT NULL,
    action   text NOT NULL,
    user_key text NOT NULL,
    last_day date NOT NULL,
    PRIMARY KEY (feature, action, user_key)
);

-- Each user's last UTC day with any event: daily, weekly and monthly active users.
CREATE TABLE event_usage_last_seen (
    user_key text PRIMARY KEY,
    last_day date NOT NULL
);

CREATE INDEX event_usage_last_seen_last_day ON event_usage_last_seen (last_day);

-- One row per export run, written by the run as it ends; the newest 1,000 are kept.
CREATE TABLE telemetry_export_runs (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    duration_ms bigint      NOT NULL,
    exported    integer     NOT NULL,
    failed      integer     NOT NULL,
    set_aside   integer     NOT NULL,
    -- Events waiting after the run; null when it could not be measured.
    backlog     bigint,
    -- The run's first error, if any.
    error       text
);
