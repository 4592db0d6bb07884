#!/usr/bin/env bash
# Builds the container image of the native gRPC gateway server (dev.tally.gatewayfn.GatewayServer)
# from the gateway function's deployable, the same jars Cloud Functions runs, with Cloud Build,
# and prints its reference by digest as the line to keep in your configuration's tfvars
# (gateway_server_image of examples/complete, with native_grpc_enabled = true).
#
# Usage: terraform/scripts/build-gateway-server-image.sh --project PROJECT REPOSITORY
#   REPOSITORY is an Artifact Registry Docker repository, REGION-docker.pkg.dev/PROJECT/NAME
#   (examples/complete creates one: `terraform output -raw images_repository`).
#
# Run terraform/scripts/build-function-sources.sh first. The build runs as the project's Cloud
# Build service account, which needs roles/artifactregistry.writer on the repository.
set -euo pipefail

project=""
repository=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --project)
      project="${2:-}"
      shift 2
      ;;
    -*)
      echo "unknown option: $1" >&2
      exit 2
      ;;
    *)
      repository="$1"
      shift
      ;;
  esac
done
if [[ -z "$project" || -z "$repository" ]]; then
  echo "usage: $0 --project PROJECT REGION-docker.pkg.dev/PROJECT/REPOSITORY" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
deployable="$root/terraform/build/functions/gateway"
if [[ ! -f "$deployable/tally-gateway.jar" ]]; then
  echo "error: $deployable has no tally-gateway.jar: run terraform/scripts/build-function-sources.sh first" >&2
  exit 1
fi

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp -a "$deployable/." "$context/"
cat > "$context/Dockerfile" <<'DOCKERFILE'
# The gateway function's jars, run as the native gRPC server. Cloud Run terminates TLS and speaks
# HTTP/2 without TLS (h2c) to PORT, which the server listens on.
FROM gcr.io/distroless/java17-debian12:nonroot
WORKDIR /app
COPY tally-gateway.jar /app/
COPY lib/ /app/lib/
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
ENTRYPOINT ["java", "-cp", "/app/tally-gateway.jar", "dev.tally.gatewayfn.GatewayServer"]
DOCKERFILE

# The tag names the content, so that an unchanged build keeps its image and Cloud Run its revision.
tag="$(cd "$context" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
image="$repository/tally-gateway-server:$tag"
gcloud builds submit "$context" --project "$project" --tag "$image" --quiet
digest="$(gcloud artifacts docker images describe "$image" --project "$project" \
  --format='value(image_summary.digest)')"
echo "gateway_server_image = \"$repository/tally-gateway-server@$digest\""
