-- Indexes that find one person's rows, for erasure. Built CONCURRENTLY (Flyway runs this file
-- outside a transaction), so that recording goes on while they are built over a large event_logs.
-- A build that failed halfway leaves an invalid index behind: each is dropped before it is built,
-- so that running the file again repairs it.

DROP INDEX CONCURRENTLY IF EXISTS event_logs_user_id;
CREATE INDEX CONCURRENTLY event_logs_user_id
    ON event_logs (user_id)
    WHERE user_id IS NOT NULL;

DROP INDEX CONCURRENTLY IF EXISTS event_logs_anonymous_user_id;
CREATE INDEX CONCURRENTLY event_logs_anonymous_user_id
    ON event_logs (anonymous_user_id)
    WHERE anonymous_user_id <> 'unknown';

DROP INDEX CONCURRENTLY IF EXISTS telemetry_events_export_queue_user_key;
CREATE INDEX CONCURRENTLY telemetry_events_export_queue_user_key
    ON telemetry_events_export_queue (user_key)
    WHERE user_key <> '';

-- The rows queued before V6, which have no user_key: empty once export has sent and pruned them.
DROP INDEX CONCURRENTLY IF EXISTS telemetry_events_export_queue_no_user_key;
CREATE INDEX CONCURRENTLY telemetry_events_export_queue_no_user_key
    ON telemetry_events_export_queue (id)
    WHERE user_key IS NULL;

-- The usage rollup's rows of one person (its key starts with feature and action).
DROP INDEX CONCURRENTLY IF EXISTS event_usage_users_user_key;
CREATE INDEX CONCURRENTLY event_usage_users_user_key
    ON event_usage_users (user_key);
