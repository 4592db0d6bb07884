#!/usr/bin/env bash
# Follows an event through the running local stack: recorded in event_logs, queued (redacted),
# exported (acknowledged by the gateway), published to Pub/Sub.
#
# usage: emulator-scripts/watch-event.sh [EVENT_ID]    (default: the newest recorded event)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
classpath_file="$here/target/stack-classpath.txt"
if [ ! -f "$classpath_file" ]; then
  echo "error: build first: ./mvnw -DskipTests package" >&2
  exit 1
fi
exec java -Dtally.root="$root" -cp "$here/target/classes:$(cat "$classpath_file")" \
  dev.tally.local.WatchEvent "$@"
