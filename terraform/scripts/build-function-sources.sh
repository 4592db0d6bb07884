#!/usr/bin/env bash
# Prepares the deployable of each function for Cloud Functions (Java 17, "deploy from a JAR"):
#
#   <out>/<function>/tally-<function>.jar   a jar holding only a manifest whose Class-Path names
#   <out>/<function>/lib/*.jar              the function's jar and its runtime dependencies
#   <out>/<function>.zip                    that directory zipped: what is uploaded and deployed
#
# With no pom.xml and exactly one top-level jar, the Cloud Functions Java buildpack runs the
# Functions Framework with --classpath <that jar>, and the JVM follows the manifest's Class-Path to
# lib/. No Maven build runs in Cloud Build, so the multi-module reactor needs nothing there.
# (functions-framework-api is `provided`: the runtime brings it.)
#
# Usage: terraform/scripts/build-function-sources.sh [--skip-maven] [OUT_DIR]
#   OUT_DIR defaults to terraform/build/functions (what examples/complete reads).
#   --skip-maven packages what the last `./mvnw package` left under functions/*/target.
#
# The jars are built with a fixed project.build.outputTimestamp, and each zip lists its files in
# name order with a fixed time and mode: the same commit yields byte-identical zips on any machine
# (same MD5, same object name, nothing redeployed), and a plan made in one place can be applied in
# another that built the same commit. The zips are written here, not by Terraform at plan time.
set -euo pipefail

skip_maven=false
if [[ "${1:-}" == "--skip-maven" ]]; then
  skip_maven=true
  shift
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$repo/terraform/build/functions}"
timestamp="2000-01-01T00:00:00Z"

if [[ "$skip_maven" == false ]]; then
  (cd "$repo" && ./mvnw -B -q -DskipTests -Dproject.build.outputTimestamp="$timestamp" package)
fi

for fn in record-event export gateway; do
  target="$repo/functions/$fn/target"
  classpath_file="$target/function-classpath.txt"
  jars=()
  while IFS= read -r jar; do
    jars+=("$jar")
  done < <(find "$target" -maxdepth 1 -name "tally-function-$fn-*.jar" \
    ! -name '*-sources.jar' ! -name '*-tests.jar' | sort)
  if [[ ${#jars[@]} -eq 0 || ! -f "$classpath_file" ]]; then
    echo "error: $target has no function jar or function-classpath.txt; run without --skip-maven" >&2
    exit 1
  fi
  if [[ ${#jars[@]} -gt 1 ]]; then
    # Several versions side by side: any one of them could be stale code. Refuse to guess.
    echo "error: $target holds ${#jars[@]} function jars (${jars[*]##*/}); run ./mvnw clean package (or delete the stale ones) so that exactly one is deployed" >&2
    exit 1
  fi
  fn_jar="${jars[0]}"

  dir="$out/$fn"
  rm -rf "$dir"
  mkdir -p "$dir/lib"

  entries=("$fn_jar")
  IFS=":" read -r -a deps < "$classpath_file" || true # no trailing newline: read reports EOF
  entries+=("${deps[@]}")

  manifest="$(mktemp)"
  {
    echo "Manifest-Version: 1.0"
    echo "Created-By: tally build-function-sources.sh"
    first=true
    for entry in "${entries[@]}"; do
      [[ -n "$entry" ]] || continue
      name="$(basename "$entry")"
      if [[ ! -f "$entry" ]]; then
        echo "error: $entry (on the classpath of $fn) is not a jar file" >&2
        exit 1
      fi
      if [[ -e "$dir/lib/$name" ]]; then
        echo "error: two dependencies of $fn are both named $name" >&2
        exit 1
      fi
      cp "$entry" "$dir/lib/$name"
      # Manifest lines stay short: one continuation line (leading space) per entry; the second
      # space separates the entries once the lines are joined.
      if [[ "$first" == true ]]; then
        echo "Class-Path: lib/$name"
        first=false
      else
        echo "  lib/$name"
      fi
    done
  } > "$manifest"

  jar --create --date="$timestamp" --file "$dir/tally-$fn.jar" --manifest "$manifest"
  rm -f "$manifest"
  find "$dir" -exec touch -h -d "$timestamp" {} +
  rm -f "$out/$fn.zip"
  # The files in name order, each with the fixed time (jar --date), no manifest of its own.
  files=()
  while IFS= read -r file; do
    files+=(-C "$dir" "$file")
  done < <(cd "$dir" && find . -type f | LC_ALL=C sort | sed 's|^\./||')
  jar --create --no-manifest --date="$timestamp" --file "$out/$fn.zip" "${files[@]}"
  echo "$out/$fn.zip: $(ls "$dir/lib" | wc -l) jars, md5 $(md5sum "$out/$fn.zip" | cut -c1-32)"
done
