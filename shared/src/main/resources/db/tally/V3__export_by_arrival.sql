-- Export order is arrival order. An event's ID is a UUIDv7 that the server generates when the
-- event arrives, so ordering by ID orders by arrival, whatever timestamp a client claimed.
DROP INDEX telemetry_events_export_queue_unexported;

CREATE INDEX telemetry_events_export_queue_unexported
    ON telemetry_events_export_queue (id)
    WHERE exported_at IS NULL AND set_aside_at IS NULL;
