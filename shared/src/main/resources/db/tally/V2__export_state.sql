-- State shared by all exporter instances: when the export queue was last cleaned up, so that
-- cleanup runs at most once per interval however many exports run.
CREATE TABLE telemetry_export_state (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_cleanup_at timestamptz
);

INSERT INTO telemetry_export_state (singleton) VALUES (true);
