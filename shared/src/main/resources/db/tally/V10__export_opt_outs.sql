-- A signed-in user's own choice not to have their events exported (setExportOptOut), kept apart
-- from the administrator's per-user values of telemetry-export (feature_flag_overrides), so that
-- neither undoes the other: a user opting back in deletes their own row here and nothing else.
-- Recording reads it in the query that reads the user's flags (joined by user_id).
CREATE TABLE export_opt_outs (
    user_id      bigint      PRIMARY KEY,
    opted_out_at timestamptz NOT NULL DEFAULT now()
);

-- Until now a user's opt-out was stored as their telemetry-export override set to false: the row
-- an administrator's `TallyAdmin set-flag telemetry-export false USER_ID` writes too, so the two
-- cannot be told apart. So that nobody's events start being exported because of this migration,
-- every such "off" becomes both: an opt-out of the user's (their events stay local as 'opt_out',
-- as before) and, left in place, the administrator's "off". A user who opts back in then removes
-- only the opt-out; their events are still not queued until an administrator removes the "off"
-- (TallyAdmin unset-flag telemetry-export USER_ID).
INSERT INTO export_opt_outs (user_id, opted_out_at)
SELECT user_id, updated_at
FROM feature_flag_overrides
WHERE flag_name = 'telemetry-export' AND NOT enabled;
