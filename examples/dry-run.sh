#!/usr/bin/env sh
# Run the action's main job on a bundled release event, as the runner would, without sending.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
  GITHUB_EVENT_NAME=release \
  GITHUB_EVENT_PATH="$here/release.json" \
  GITHUB_REPOSITORY=octo-org/shop \
  GITHUB_SERVER_URL=https://github.com \
  GITHUB_SHA=9f2c1e4b7a3d5e6f8091a2b3c4d5e6f708192a3b \
  GITHUB_REF=refs/tags/v2.4.0 \
  GITHUB_REF_NAME=v2.4.0 \
  GITHUB_RUN_ID=12345678901 \
  GITHUB_RUN_NUMBER=42 \
  GITHUB_WORKFLOW=Release \
  GITHUB_ACTOR_ID=583231 \
  GITHUB_OUTPUT="$out/output" \
  GITHUB_STEP_SUMMARY="$out/summary.md" \
  INPUT_DRY_RUN=true \
  INPUT_GITHUB_TOKEN= \
  "${PYTHON:-python3}" "$here/../entrypoint.py"
echo "--- outputs ($out/output)"
cat "$out/output"
echo "--- job summary ($out/summary.md)"
cat "$out/summary.md"
