#!/usr/bin/env bash
# A Docker engine and the images the container tests use.
#
#   scripts/docker-engine.sh start       start dockerd (installed from Debian if need be) unless an
#                                        engine already answers; prints the pid it started, or nothing
#   scripts/docker-engine.sh base        build the stand-in base image from Debian's packages
#   scripts/docker-engine.sh image TAG   build the action's image on that base
#   scripts/docker-engine.sh stop PID    stop the engine `start` started (nothing without a PID)
#
# No image registry is needed: the stand-in base is made with debootstrap. A base image of
# another name (TRACK_DEPLOYMENT_BASE_IMAGE, e.g. the pinned python image in CI) is pulled. The
# engine gets no bridge network; builds and runs use the host network and talk to 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STAND_IN=track-deployment-test-base:bookworm
BASE_IMAGE=${TRACK_DEPLOYMENT_BASE_IMAGE:-$STAND_IN}
STATE=${TRACK_DEPLOYMENT_DOCKER_STATE:-/tmp/track-deployment-docker}

log() { printf '%s\n' "$*" >&2; }

# need COMMAND PACKAGE: install PACKAGE from Debian when COMMAND is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "docker: $1 is missing and cannot be installed here (needs root and apt-get)"
    return 1
  fi
  log "docker: installing $2 (log: $STATE/apt.log)"
  mkdir -p "$STATE"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >"$STATE/apt.log" 2>&1 \
    || { apt-get update -q >>"$STATE/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >>"$STATE/apt.log" 2>&1; } \
    || { tail -n 20 "$STATE/apt.log" >&2; return 1; }
}

start() {
  if docker info >/dev/null 2>&1; then
    log "docker: using the engine that already runs"
    return 0
  fi
  need dockerd docker.io || return 1
  mkdir -p "$STATE"
  log "docker: starting dockerd (state in $STATE)"
  dockerd --bridge=none --iptables=false --data-root "$STATE/data" --exec-root "$STATE/exec" \
    --pidfile "$STATE/dockerd.pid" >"$STATE/dockerd.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      echo "$pid"
      return 0
    fi
    sleep 0.5
  done
  log "docker: dockerd did not start; its log:"
  tail -n 20 "$STATE/dockerd.log" >&2
  kill "$pid" 2>/dev/null || true
  return 1
}

base() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  case "$BASE_IMAGE" in
    track-deployment-test-base:*) ;;
    *)
      log "docker: pulling the base image $BASE_IMAGE"
      docker pull -q "$BASE_IMAGE" >/dev/null
      return
      ;;
  esac
  need debootstrap debootstrap || return 1
  mkdir -p "$STATE"
  local root="$STATE/rootfs"
  rm -rf "$root"
  log "docker: building the stand-in base $BASE_IMAGE with debootstrap (a few minutes, once; log: $STATE/debootstrap.log)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" \
    >"$STATE/debootstrap.log" 2>&1 || { tail -n 20 "$STATE/debootstrap.log" >&2; return 1; }
  # Package registries may sit behind a TLS proxy whose CA only the host's bundle has.
  cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$root/etc/ssl/certs/ca-certificates.crt"
  tar -C "$root" -c . | docker import \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
}

image() {
  local tag=${1:?usage: $0 image TAG}
  base || return 1
  mkdir -p "$STATE"
  local build_log="$STATE/build-${tag//[^A-Za-z0-9._-]/_}.log"
  log "docker: building the action's image $tag on $BASE_IMAGE"
  docker build --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$tag" "$ROOT" >"$build_log" 2>&1 \
    || { log "docker: the image build failed; its log:"; tail -n 30 "$build_log" >&2; return 1; }
}

stop() {
  local pid=${1:-}
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  base) base ;;
  image) image "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) log "usage: $0 start|base|image TAG|stop PID"; exit 2 ;;
esac
