#!/usr/bin/env bash
# Measures Tally against the machine's own limits and writes the figures to BENCHMARKS.md.
# Not part of the test suite: run it on an otherwise quiet machine.
#
# usage: emulator-scripts/benchmark.sh [--quick] [--cold-start] [--console] [--pipeline] [--export]
#                                      [--ingest] [--scale] [--fast-database] [--no-build]
#   --cold-start  measure only the cold starts and print them; BENCHMARKS.md is left as it is
#   --console     measure only the console's usage page over 10 million event_logs rows (1 million
#                 with --quick) and print it; BENCHMARKS.md is left as it is
#   --pipeline    measure only the live stack and the export and print them; the same
#   --export      measure only the export (export → gateway beside the direct paths) and print it;
#                 the same
#   --ingest      measure only the ingest rows and print them; the same
#   --scale       measure ingest, export, cleanup, erasure, retention and the usage page with
#                 event_logs and the export queue prefilled with 10 million rows each, beside the
#                 same on empty tables, and print them (long; not part of the default run)
#   --fast-database  run PostgreSQL with fsync and synchronous_commit off (the settings of the
#                 figures before issue 28) instead of Cloud SQL's durable ones
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
args=()
build=true
for arg in "$@"; do
  case "$arg" in
    --no-build) build=false ;;
    --quick | --cold-start | --console | --pipeline | --export | --ingest | --scale | --fast-database) args+=("$arg") ;;
    *)
      echo "unknown option: $arg" >&2
      exit 2
      ;;
  esac
done
if $build; then
  (cd "$root" && ./mvnw -q -B -DskipTests package)
fi
exec java -Dtally.root="$root" -cp "$here/target/classes:$(cat "$here/target/stack-classpath.txt")" \
  dev.tally.local.Benchmark "${args[@]}"
