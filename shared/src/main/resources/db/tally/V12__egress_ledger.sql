-- The egress ledger: what left the instance, counted where export marks events exported (in the
-- same transaction, so that it never disagrees with the queue). Names and counts only, never a
-- value and never a person: erasure and retention leave it as it is.

-- What recording withheld from each queued event (field paths such as privateMetadata.query,
-- marketingTracking.url, metadata.x), and the version of the event catalog it was judged under
-- (NULL: none). Rows queued before this migration have neither: they count as withholding nothing
-- and as catalog version 0.
ALTER TABLE telemetry_events_export_queue
    ADD COLUMN withheld        text[],
    ADD COLUMN catalog_version integer;

-- One row per UTC day of export, event name and catalog version (0: no catalog in force).
CREATE TABLE egress_ledger (
    day             date    NOT NULL,
    feature         text    NOT NULL,
    action          text    NOT NULL,
    catalog_version integer NOT NULL,
    events          bigint  NOT NULL,
    -- The exported payloads' bytes (the protobuf each event was sent as).
    bytes           bigint  NOT NULL,
    PRIMARY KEY (day, feature, action, catalog_version)
);

-- Per field path of those events: how many carried it out, and how many it was withheld from.
CREATE TABLE egress_ledger_fields (
    day             date    NOT NULL,
    feature         text    NOT NULL,
    action          text    NOT NULL,
    catalog_version integer NOT NULL,
    field           text    NOT NULL,
    left_events     bigint  NOT NULL DEFAULT 0,
    withheld_events bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (day, feature, action, catalog_version, field)
);
