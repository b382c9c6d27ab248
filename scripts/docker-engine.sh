#!/usr/bin/env bash
# A Docker engine and the images the container tests use.
#
#   scripts/docker-engine.sh start       start dockerd (installed from Debian if need be) unless an
#                                        engine already answers; prints the pid it started, or nothing
#   scripts/docker-engine.sh base        build the stand-in base image from Debian's packages
#   scripts/docker-engine.sh image TAG   build the action's image on that base
#   scripts/docker-engine.sh stop PID    stop the engine `start` started (nothing without a PID)
#   scripts/docker-engine.sh clean       remove what these commands made for this checkout (`make clean`)
#
# What `start`, `base` and `image` make is written down in .cache/docker-built of the checkout:
# `clean` removes exactly that (the images, and the state folder of an engine it started, after
# stopping that engine if it still runs), so a clone's `make clean` never touches another's.
# No image registry is needed: the stand-in base is made with debootstrap. A base image of
# another name (TRACK_DEPLOYMENT_BASE_IMAGE, e.g. the pinned python image in CI) is pulled. The
# engine gets no bridge network; builds and runs use the host network and talk to 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STAND_IN=track-deployment-test-base:bookworm
BASE_IMAGE=${TRACK_DEPLOYMENT_BASE_IMAGE:-$STAND_IN}
STATE=${TRACK_DEPLOYMENT_DOCKER_STATE:-/tmp/track-deployment-docker}

BUILT="$ROOT/.cache/docker-built"

log() { printf '%s\n' "$*" >&2; }

# record KIND VALUE: note something made here for `clean` (once).
record() {
  mkdir -p "$(dirname "$BUILT")"
  grep -qxF "$1 $2" "$BUILT" 2>/dev/null || printf '%s %s\n' "$1" "$2" >>"$BUILT"
}

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
  record state "$STATE"
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
      record image "$BASE_IMAGE"
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
  record image "$BASE_IMAGE"
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
  record image "$tag"
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

# The dockerd that `start` started with this state folder, if it still runs: its pid, else nothing.
engine_of() {
  local pid
  pid=$(cat "$1/dockerd.pid" 2>/dev/null) || return 0
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  # Only a dockerd of this very folder: a reused pid or another engine is left alone.
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--data-root $1/data "; then
    echo "$pid"
  fi
}

clean() {
  [ -f "$BUILT" ] || return 0
  local kind value pid images=()
  while read -r kind value; do
    case "$kind" in
      state)
        pid=$(engine_of "$value")
        if [ -n "$pid" ]; then
          log "docker: stopping the engine the tests started (pid $pid)"
          stop "$pid"
        fi
        if [ -d "$value" ]; then
          log "docker: removing the tests' engine state $value (its images with it)"
          rm -rf "$value" || { log "docker: could not remove $value (still mounted? see: mount | grep $value)"; return 1; }
        fi
        ;;
      image) images+=("$value") ;;
    esac
  done <"$BUILT"
  # An engine that ran before the tests keeps the images they built in it.
  if [ ${#images[@]} -gt 0 ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    for value in "${images[@]}"; do
      if docker image inspect "$value" >/dev/null 2>&1; then
        log "docker: removing the image $value"
        docker image rm "$value" >/dev/null
      fi
    done
  fi
  rm -f "$BUILT"
}

case "${1:-}" in
  start) start ;;
  base) base ;;
  image) image "${2:-}" ;;
  stop) stop "${2:-}" ;;
  clean) clean ;;
  *) log "usage: $0 start|base|image TAG|stop PID|clean"; exit 2 ;;
esac
