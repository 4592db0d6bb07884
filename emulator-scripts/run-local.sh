#!/usr/bin/env bash
# Runs the whole Tally pipeline locally: PostgreSQL, the Pub/Sub emulator, and the record-event,
# gateway and export functions in the Functions Framework invoker, with export called every
# EXPORT_INTERVAL. Ctrl-C (or emulator-scripts/stop-local.sh with --detach) stops everything it
# started.
#
# usage: emulator-scripts/run-local.sh [--detach] [--no-build]
#
# Environment: RECORD_EVENT_PORT (8080), GATEWAY_PORT (8081), EXPORT_PORT (8082), PUBSUB_PORT
# (8085), POSTGRES_PORT (5433), EXPORT_INTERVAL (10s), DATABASE_URL (+ DATABASE_USER,
# DATABASE_PASSWORD) to use your own PostgreSQL instead of the embedded one, TALLY_LOCAL_DIR
# (emulator-scripts/.local) for state, logs and the env file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
detach=false
build=true
for arg in "$@"; do
  case "$arg" in
    --detach) detach=true ;;
    --no-build) build=false ;;
    -h | --help)
      sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "unknown option: $arg (see --help)" >&2
      exit 2
      ;;
  esac
done
local_dir="${TALLY_LOCAL_DIR:-$here/.local}"

if ! command -v java >/dev/null 2>&1; then
  echo "error: java is not on PATH; install a JDK 17 or newer" >&2
  exit 1
fi
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/ *java.specification.version = //p')"
if [ "${java_major%%.*}" -lt 17 ] 2>/dev/null; then
  echo "error: Java $java_major found; Tally needs Java 17 or newer" >&2
  exit 1
fi

emulator=""
for candidate in "${PUBSUB_EMULATOR_BIN:-}" \
  /usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator \
  /usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator \
  /opt/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator \
  "$HOME/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    emulator="$candidate"
    break
  fi
done
if [ -z "$emulator" ]; then
  cat >&2 <<'MSG'
error: the Pub/Sub emulator is not installed. Install it with one of:
  sudo apt-get install google-cloud-cli-pubsub-emulator      (Debian/Ubuntu with the Cloud SDK apt repository)
  gcloud components install pubsub-emulator                   (a gcloud installed from Google's archive)
or set PUBSUB_EMULATOR_BIN to its cloud-pubsub-emulator script.
MSG
  exit 1
fi

if [ -f "$local_dir/stack.pid" ] && kill -0 "$(cat "$local_dir/stack.pid")" 2>/dev/null; then
  echo "error: a local stack is already running (pid $(cat "$local_dir/stack.pid")); stop it with emulator-scripts/stop-local.sh" >&2
  exit 1
fi

if $build; then
  echo "building (./mvnw -DskipTests package) ..."
  (cd "$root" && ./mvnw -q -B -DskipTests package)
fi
classpath_file="$here/target/stack-classpath.txt"
if [ ! -f "$classpath_file" ]; then
  echo "error: $classpath_file is missing; build with ./mvnw -DskipTests package" >&2
  exit 1
fi
classpath="$here/target/classes:$(cat "$classpath_file")"
mkdir -p "$local_dir/logs"

if ! $detach; then
  exec java -Dtally.root="$root" -cp "$classpath" dev.tally.local.LocalStack
fi

rm -f "$local_dir/ready"
nohup java -Dtally.root="$root" -cp "$classpath" dev.tally.local.LocalStack --detached \
  >"$local_dir/logs/stack.log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 600); do
  if [ -f "$local_dir/ready" ]; then
    sed -n '/^Tally is running/,$p' "$local_dir/logs/stack.log"
    echo "Running in the background (pid $pid); stop it with emulator-scripts/stop-local.sh"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "error: the local stack did not start:" >&2
    cat "$local_dir/logs/stack.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "error: the local stack did not become ready within 120s; see $local_dir/logs/stack.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
