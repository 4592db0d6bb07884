#!/usr/bin/env bash
# Stops a local stack started with emulator-scripts/run-local.sh --detach: the stack process
# stops the functions, the Pub/Sub emulator and the embedded PostgreSQL it started.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
local_dir="${TALLY_LOCAL_DIR:-$here/.local}"
pid_file="$local_dir/stack.pid"

if [ ! -f "$pid_file" ]; then
  echo "no local stack is running (no $pid_file)"
  exit 0
fi
pid="$(cat "$pid_file")"
if ! kill -0 "$pid" 2>/dev/null; then
  echo "no local stack is running (stale pid $pid)"
  rm -f "$pid_file" "$local_dir/ready"
  exit 0
fi
kill -TERM "$pid"
for _ in $(seq 1 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "stopped the local stack (pid $pid)"
    exit 0
  fi
  sleep 0.1
done
echo "the local stack (pid $pid) did not stop within 30s; killing it" >&2
kill -KILL "$pid" 2>/dev/null || true
rm -f "$pid_file" "$local_dir/ready"
