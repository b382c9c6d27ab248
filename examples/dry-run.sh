#!/usr/bin/env sh
# Run the action's main job on a bundled event, as the runner would, without sending anything,
# and show it as GitHub would: the log, the step's outputs and the job summary, rendered.
#   examples/dry-run.sh [release|push|pull_request|deployment|deployment_status|workflow_run|workflow_dispatch|schedule]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
event=${1:-release}
if [ ! -f "$here/events/$event.json" ]; then
  echo "no bundled event '$event'; choose one of: $(cd "$here/events" && ls | sed 's/.json$//' | tr '\n' ' ')" >&2
  exit 2
fi
# The workflow a run of this event belongs to: its name titles a run that names no pull request.
case "$event" in
  release) workflow=Release ;;
  schedule) workflow="Nightly deploy" ;;
  workflow_dispatch) workflow="Manual deploy" ;;
  *) workflow=Deploy ;;
esac
# Kept after the run, so the summary can be opened (a Markdown viewer shows it as GitHub does).
out="${TMPDIR:-/tmp}/track-deployment-demo/$event"
rm -rf "$out" && mkdir -p "$out"
python=${PYTHON:-python3}
env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
  GITHUB_ACTIONS=true \
  GITHUB_EVENT_NAME="$event" \
  GITHUB_EVENT_PATH="$here/events/$event.json" \
  GITHUB_REPOSITORY=octo-org/shop \
  GITHUB_SERVER_URL=https://github.com \
  GITHUB_SHA=9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b \
  GITHUB_REF=refs/heads/main \
  GITHUB_REF_NAME=main \
  GITHUB_RUN_ID=12345678901 \
  GITHUB_RUN_NUMBER=42 \
  GITHUB_WORKFLOW="$workflow" \
  GITHUB_ACTOR_ID=583231 \
  GITHUB_OUTPUT="$out/output" \
  GITHUB_STEP_SUMMARY="$out/summary.md" \
  INPUT_DRY_RUN=true \
  INPUT_GITHUB_TOKEN= \
  "$python" "$here/../entrypoint.py" > "$out/log" 2>&1 || status=$?
"$python" "$here/show.py" "$out/log" "$out/output" "$out/summary.md"
exit "${status:-0}"
