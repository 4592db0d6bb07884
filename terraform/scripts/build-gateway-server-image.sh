#!/usr/bin/env bash
# Builds the container image of the native gRPC gateway server (dev.tally.gatewayfn.GatewayServer)
# from the gateway function's deployable, the same jars Cloud Functions runs, with Cloud Build,
# and prints its reference by digest as the line to keep in your configuration's tfvars
# (gateway_server_image of examples/complete, with native_grpc_enabled = true).
#
# Usage: terraform/scripts/build-gateway-server-image.sh --project PROJECT \
#          --service-account EMAIL --staging-dir gs://BUCKET/PREFIX \
#          --base-image IMAGE@sha256:DIGEST REPOSITORY
#   REPOSITORY       an Artifact Registry Docker repository, REGION-docker.pkg.dev/PROJECT/NAME
#                    (examples/complete: `terraform output -raw images_repository`)
#   --service-account the account the build runs as, instead of the project's default Cloud Build
#                    account (examples/complete: `terraform output -raw image_build_service_account`,
#                    which may read the staging dir, push to the repository and write logs, and
#                    nothing else); you need Service Account User on it (deployer_member)
#   --staging-dir    where the build context is uploaded, which that account may read
#                    (examples/complete: `terraform output -raw image_build_staging_dir`)
#   --base-image     the Java 17 runtime image, pinned by digest, so that a build takes exactly the
#                    base you reviewed; or TALLY_GATEWAY_SERVER_BASE_IMAGE. The image runs on
#                    gcr.io/distroless/java17-debian12:nonroot; get its current digest with
#                      gcloud container images describe gcr.io/distroless/java17-debian12:nonroot \
#                        --format='value(image_summary.digest)'
#                    and pass gcr.io/distroless/java17-debian12:nonroot@sha256:... (terraform/README.md).
#
# Run terraform/scripts/build-function-sources.sh first. The build's logs go to Cloud Logging only
# (a build as a chosen account cannot use the default logs bucket): reading them as the build runs
# needs Logs Viewer.
set -euo pipefail

project=""
repository=""
service_account=""
staging_dir=""
base_image="${TALLY_GATEWAY_SERVER_BASE_IMAGE:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --project)
      project="${2:-}"
      shift 2
      ;;
    --service-account)
      service_account="${2:-}"
      shift 2
      ;;
    --staging-dir)
      staging_dir="${2:-}"
      shift 2
      ;;
    --base-image)
      base_image="${2:-}"
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
if [[ -z "$project" || -z "$repository" || -z "$service_account" || -z "$staging_dir" ]]; then
  echo "usage: $0 --project PROJECT --service-account EMAIL --staging-dir gs://BUCKET/PREFIX" \
    "--base-image IMAGE@sha256:DIGEST REGION-docker.pkg.dev/PROJECT/REPOSITORY" >&2
  exit 2
fi
if [[ ! "$base_image" =~ ^[^@[:space:]]+@sha256:[0-9a-f]{64}$ ]]; then
  echo "error: --base-image (or TALLY_GATEWAY_SERVER_BASE_IMAGE) must be pinned by digest," \
    "IMAGE@sha256:<64 hex digits>, got '${base_image}'. Get the digest with: gcloud container" \
    "images describe gcr.io/distroless/java17-debian12:nonroot --format='value(image_summary.digest)'" >&2
  exit 2
fi
if [[ ! "$service_account" =~ ^[^@[:space:]]+@[^@[:space:]]+\.iam\.gserviceaccount\.com$ ]]; then
  echo "error: --service-account must be a service account's email, got '$service_account'" >&2
  exit 2
fi
if [[ ! "$staging_dir" =~ ^gs://[^/[:space:]]+(/[^[:space:]]*)?$ ]]; then
  echo "error: --staging-dir must be gs://BUCKET or gs://BUCKET/PREFIX, got '$staging_dir'" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
deployable="$root/terraform/build/functions/gateway"
if [[ ! -f "$deployable/tally-gateway.jar" ]]; then
  echo "error: $deployable has no tally-gateway.jar: run terraform/scripts/build-function-sources.sh first" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
context="$work/context"
mkdir "$context"
cp -a "$deployable/." "$context/"
cat > "$context/Dockerfile" <<'DOCKERFILE'
# The gateway function's jars, run as the native gRPC server. Cloud Run terminates TLS and speaks
# HTTP/2 without TLS (h2c) to PORT, which the server listens on.
DOCKERFILE
echo "FROM $base_image" >> "$context/Dockerfile"
cat >> "$context/Dockerfile" <<'DOCKERFILE'
WORKDIR /app
COPY tally-gateway.jar /app/
COPY lib/ /app/lib/
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75"
ENTRYPOINT ["java", "-cp", "/app/tally-gateway.jar", "dev.tally.gatewayfn.GatewayServer"]
DOCKERFILE

# The tag names the content, so that an unchanged build keeps its image and Cloud Run its revision.
tag="$(cd "$context" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
image="$repository/tally-gateway-server:$tag"
# A build config rather than --tag: it names the account the build runs as and sends the logs to
# Cloud Logging only, which a build as a chosen account needs (it cannot write to the default logs
# bucket). It stays outside the context, so that the tag names the image's content only.
cat > "$work/cloudbuild.yaml" <<CLOUDBUILD
steps:
  - name: gcr.io/cloud-builders/docker
    args: ["build", "--tag", "$image", "."]
images: ["$image"]
serviceAccount: projects/$project/serviceAccounts/$service_account
options:
  logging: CLOUD_LOGGING_ONLY
CLOUDBUILD
gcloud builds submit "$context" --project "$project" --config "$work/cloudbuild.yaml" \
  --gcs-source-staging-dir "${staging_dir%/}/source" --quiet
digest="$(gcloud artifacts docker images describe "$image" --project "$project" \
  --format='value(image_summary.digest)')"
echo "gateway_server_image = \"$repository/tally-gateway-server@$digest\""
