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
# The release demo reads a GitHub that examples/fake_github.py plays on 127.0.0.1, so it shows
# what the look-ups add (the pull request, the commits since v2.3.0, the run's jobs and their
# chart); the other demos make no look-up, and say so.
api= token= github=
if [ "$event" = release ]; then
  "$python" "$here/fake_github.py" > "$out/github" &
  github=$!
  trap 'kill "$github" 2>/dev/null' EXIT
  tries=0
  while [ ! -s "$out/github" ] && [ "$tries" -lt 100 ]; do sleep 0.05; tries=$((tries + 1)); done
  api=$(head -n 1 "$out/github")
  token=demo-token
fi
# The ref the runner sets for the event: a release's run is on its tag.
ref=refs/heads/main
[ "$event" = release ] && ref=refs/tags/v2.4.0
env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
  GITHUB_ACTIONS=true \
  GITHUB_EVENT_NAME="$event" \
  GITHUB_EVENT_PATH="$here/events/$event.json" \
  GITHUB_REPOSITORY=octo-org/shop \
  GITHUB_SERVER_URL=https://github.com \
  GITHUB_SHA=9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b \
  GITHUB_REF="$ref" \
  GITHUB_REF_NAME="${ref##*/}" \
  GITHUB_RUN_ID=12345678901 \
  GITHUB_RUN_NUMBER=42 \
  GITHUB_WORKFLOW="$workflow" \
  GITHUB_WORKFLOW_REF="octo-org/shop/.github/workflows/deploy.yml@$ref" \
  GITHUB_ACTOR_ID=583231 \
  GITHUB_OUTPUT="$out/output" \
  GITHUB_STEP_SUMMARY="$out/summary.md" \
  GITHUB_API_URL="$api" \
  RUNNER_NAME="GitHub Actions 2" \
  INPUT_DRY_RUN=true \
  INPUT_GITHUB_TOKEN="$token" \
  "$python" "$here/../entrypoint.py" > "$out/log" 2>&1 || status=$?
"$python" "$here/show.py" "$out/log" "$out/output" "$out/summary.md"
exit "${status:-0}"
