#!/usr/bin/env bash
# Run every test. Where a Docker engine can be started (root with apt-get), start one for the
# container tests and stop it afterwards; elsewhere those tests skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}

pid=""
if [ "${TRACK_DEPLOYMENT_DOCKER:-auto}" != "off" ]; then
  if pid=$(scripts/docker-engine.sh start); then
    scripts/docker-engine.sh base || echo "test.sh: the stand-in base image could not be built" >&2
  else
    echo "test.sh: no Docker engine; container tests will skip" >&2
  fi
fi
trap 'scripts/docker-engine.sh stop "$pid"' EXIT

"$BIN/python" -m pytest -n 2 --dist loadgroup "$@"
