#!/usr/bin/env sh
# Run the action's main job on a bundled event, as the runner would, without sending anything.
#   examples/dry-run.sh [release|push|pull_request|deployment|deployment_status|workflow_run|workflow_dispatch|schedule]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
event=${1:-release}
if [ ! -f "$here/events/$event.json" ]; then
  echo "no bundled event '$event'; choose one of: $(cd "$here/events" && ls | sed 's/.json$//' | tr '\n' ' ')" >&2
  exit 2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
  GITHUB_EVENT_NAME="$event" \
  GITHUB_EVENT_PATH="$here/events/$event.json" \
  GITHUB_REPOSITORY=octo-org/shop \
  GITHUB_SERVER_URL=https://github.com \
  GITHUB_SHA=9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b \
  GITHUB_REF=refs/heads/main \
  GITHUB_REF_NAME=main \
  GITHUB_RUN_ID=12345678901 \
  GITHUB_RUN_NUMBER=42 \
  GITHUB_WORKFLOW=Release \
  GITHUB_ACTOR_ID=583231 \
  GITHUB_OUTPUT="$out/output" \
  GITHUB_STEP_SUMMARY="$out/summary.md" \
  INPUT_DRY_RUN=true \
  INPUT_GITHUB_TOKEN= \
  "${PYTHON:-python3}" "$here/../entrypoint.py"
echo "--- outputs"
cat "$out/output"
echo "--- job summary"
cat "$out/summary.md"
