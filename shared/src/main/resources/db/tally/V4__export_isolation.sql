-- One bad event never blocks the export: leases carry their owner, and an event the gateway
-- refuses on its own is counted, then set aside for an admin instead of being retried forever.

ALTER TABLE telemetry_events_export_queue
    -- The export run that claimed the row (a token per run); only that run may mark or release it.
    ADD COLUMN lease_owner uuid,
    -- Times the gateway refused the event when it was sent alone (attempts counts claims).
    ADD COLUMN failures    integer NOT NULL DEFAULT 0,
    -- Why it failed the last time.
    ADD COLUMN last_error  text;

-- Serves the admin listing of set-aside events, newest first.
CREATE INDEX telemetry_events_export_queue_set_aside
    ON telemetry_events_export_queue (set_aside_at DESC, id DESC)
    WHERE set_aside_at IS NOT NULL;
