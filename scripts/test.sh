#!/usr/bin/env bash
# Run every test. The container tests need a Docker engine: one that already runs is used,
# else one is started where it can be (root with apt-get) and stopped afterwards. The action's
# image is built here, once, before the tests start. Where no engine can run, the container
# tests are left out, with the reason said once; TRACK_DEPLOYMENT_REQUIRE_DOCKER=1 (as in CI)
# makes that an error, and TRACK_DEPLOYMENT_DOCKER=off leaves them out on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export TRACK_DEPLOYMENT_IMAGE=${TRACK_DEPLOYMENT_IMAGE:-track-deployment:test}

pid=""
trap 'scripts/docker-engine.sh stop "$pid"' EXIT
without_docker=()
if [ "${TRACK_DEPLOYMENT_DOCKER:-auto}" = off ]; then
  echo "test.sh: container tests left out (TRACK_DEPLOYMENT_DOCKER=off)" >&2
  without_docker=(-m "not docker")
elif pid=$(scripts/docker-engine.sh start) && scripts/docker-engine.sh image "$TRACK_DEPLOYMENT_IMAGE"; then
  # tests/test_container.py uses this image as it is instead of building it again.
  export TRACK_DEPLOYMENT_IMAGE_BUILT="$TRACK_DEPLOYMENT_IMAGE"
elif [ "${TRACK_DEPLOYMENT_REQUIRE_DOCKER:-}" = 1 ]; then
  echo "test.sh: the container tests are required here, but Docker is not usable (see above)" >&2
  exit 1
else
  echo "test.sh: container tests left out: Docker is not usable here (see above)" >&2
  without_docker=(-m "not docker")
fi

"$BIN/python" -m pytest -n 2 --dist loadgroup ${without_docker[@]+"${without_docker[@]}"} "$@"
