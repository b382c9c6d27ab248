#!/usr/bin/env bash
# Start a Docker engine for the container tests and build the stand-in base image they use.
#
#   scripts/docker-engine.sh start   install (Debian) and start dockerd if none answers;
#                                    prints the pid it started, or nothing
#   scripts/docker-engine.sh base    build the stand-in base image from Debian's packages
#   scripts/docker-engine.sh stop PID
#
# No image registry is needed: the base is made with debootstrap. The engine gets no bridge
# network; builds and runs use the host network and talk to 127.0.0.1 only.
set -euo pipefail

STAND_IN=track-deployment-test-base:bookworm
BASE_IMAGE=${TRACK_DEPLOYMENT_BASE_IMAGE:-$STAND_IN}
STATE=${TRACK_DEPLOYMENT_DOCKER_STATE:-/tmp/track-deployment-docker}

log() { printf '%s\n' "$*" >&2; }

start() {
  if docker info >/dev/null 2>&1; then
    log "docker: an engine already answers"
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
      log "docker: no engine and no way to install one (needs root and apt-get)"
      return 1
    fi
    log "docker: installing docker.io and debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io debootstrap >"$STATE.apt.log" 2>&1 \
      || { apt-get update -q >>"$STATE.apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io debootstrap >>"$STATE.apt.log" 2>&1; }
  fi
  mkdir -p "$STATE"
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
    log "docker: base image $BASE_IMAGE exists"
    return 0
  fi
  if [ "$BASE_IMAGE" != "$STAND_IN" ]; then
    log "docker: pulling the base image $BASE_IMAGE"
    docker pull -q "$BASE_IMAGE" >/dev/null
    return
  fi
  local root="$STATE/rootfs"
  rm -rf "$root"
  log "docker: building the stand-in base $BASE_IMAGE with debootstrap"
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
  stop) stop "${2:-}" ;;
  *) log "usage: $0 start|base|stop PID"; exit 2 ;;
esac
