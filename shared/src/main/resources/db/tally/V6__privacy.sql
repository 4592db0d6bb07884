-- Privacy controls: which events were kept on the instance and why, and whose event each queued
-- row is, so that one person's events can be erased without decoding the whole queue.

-- Why an event was never queued for export, whatever the telemetry-export flag said:
--   gpc      the request carried Sec-GPC: 1 (Global Privacy Control), honoured by default;
--   dnt      the request carried DNT: 1 and the instance honours it;
--   opt_out  the signed-in user turned export of their own events off;
--   legacy   recorded by a pre-V2 mutation (logEvent, logEvents, logUserEvent): never exportable.
-- Null: the event was queued if export was on for its user, and kept here only if it was off.
ALTER TABLE event_logs ADD COLUMN kept_local_reason text;

-- NOT VALID: every existing row is null, so nothing needs scanning; new rows are checked.
ALTER TABLE event_logs ADD CONSTRAINT event_logs_kept_local_reason
    CHECK (kept_local_reason IN ('gpc', 'dnt', 'opt_out', 'legacy')) NOT VALID;

-- Whose event a queued row is, named as the usage rollups name users: 'u:<user id>' (signed in),
-- 'a:<anonymous user id>', or '' for an event of no known user. Null for rows queued before this
-- migration: erasure decodes their payloads to find a person's.
ALTER TABLE telemetry_events_export_queue ADD COLUMN user_key text;
