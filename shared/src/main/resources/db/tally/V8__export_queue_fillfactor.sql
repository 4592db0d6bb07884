-- Every queued row is updated twice: claimed (lease and attempts) and then marked exported. With
-- room left on each page, the claim's new row version stays on its page and no index changes
-- (a HOT update: none of the claim's columns is indexed), instead of a copy on another page and an
-- entry in every index that covers the row. Applies to pages written from now on.
ALTER TABLE telemetry_events_export_queue SET (fillfactor = 60);
