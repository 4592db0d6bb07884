/**
 * The event catalog as a file kept in git: reading it (YAML or JSON), checking it against the
 * published JSON Schema and the rules an applied catalog must follow, and writing the draft that
 * {@code catalog pull} gives from the observed catalog. Never on the recording path: recording
 * reads applied versions, already checked, with {@link dev.tally.catalog.Catalog#fromJson}.
 */
package dev.tally.catalogfile;
