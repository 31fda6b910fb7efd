#!/usr/bin/env bash
# Installs what the local stack (deploy/local/stack.sh) needs and fills the
# download/build cache, so that `stack.sh up` only has to start processes.
#
#   bash deploy/local/install.sh        # idempotent; ~1 s when everything is cached
#
# - redis-server (+ redis-cli), and java/maven/docker-compose/chromium if missing, from Debian (root for apt-get)
# - Apache Kafka jars from Maven Central -> $CACHE/kafka-<ver>/libs
# - FerretDB (SQLite backend) wrapper binary -> $CACHE/ferretdb-<ver>/ferretdb
#
# The cache lives OUTSIDE the repo (a fresh clone reuses it). Each entry has a
# .stamp with a hash of its inputs (pom.xml / go.mod+go.sum+main.go), so
# editing those files rebuilds the entry even when the version is unchanged.
#
# stack.sh sources this file for the shared settings and calls install_all.
set -euo pipefail

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

KAFKA_VERSION=4.1.1       # keep in sync with kafka/pom.xml
FERRETDB_VERSION=1.24.2   # keep in sync with ferretdb/go.mod

CACHE="${JOB_IMPORTER_CACHE:-$HOME/.cache/job-importer}"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
FERRETDB_HOME="$CACHE/ferretdb-$FERRETDB_VERSION"
FERRETDB_BIN="$FERRETDB_HOME/ferretdb"

log() { printf '[install] %s\n' "$*" >&2; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

# Hash of the files an artifact is built from.
inputs_hash() { cat "$@" | sha256sum | cut -c1-16; }

apt_install() {
  [[ $(id -u) == 0 ]] || die "need root to apt-get install $* (or install it yourself)"
  # apt-get update only once per run; the lists may be missing on a fresh machine.
  if [[ -z "${_APT_UPDATED:-}" ]]; then apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_os_packages() {
  local pkgs=()
  command -v redis-server >/dev/null || pkgs+=(redis-server)
  command -v redis-cli >/dev/null || pkgs+=(redis-tools)
  command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || pkgs+=(maven)
  # A compose client only to validate compose.yaml (tests/unit/test_deploy.py); no engine needed.
  command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || pkgs+=(docker-compose)
  # A browser only for the dashboard's end-to-end test (tests/e2e/test_dashboard.py).
  command -v chromium >/dev/null || pkgs+=(chromium)
  if ((${#pkgs[@]})); then
    log "apt-get install ${pkgs[*]}"
    apt_install "${pkgs[@]}"
  fi
}

install_kafka() {
  local want; want="$(inputs_hash "$LOCAL_DIR/kafka/pom.xml")"
  if [[ -f "$KAFKA_HOME/.stamp" && "$(cat "$KAFKA_HOME/.stamp")" == "$want" ]]; then return; fi

  local t=$SECONDS
  log "fetching Kafka $KAFKA_VERSION jars with Maven -> $KAFKA_LIBS"
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  # Maven's own repository stays in ~/.m2 (shared, also outside the repo).
  # Output kept quiet unless Maven fails.
  mvn -q -B -f "$LOCAL_DIR/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_HOME/mvn.log" 2>&1 ||
    { cat "$KAFKA_HOME/mvn.log" >&2; rm -rf "$tmp"; die "mvn dependency:copy-dependencies failed"; }
  # Swap in atomically so an interrupted run never leaves a half-filled libs/.
  rm -rf "$KAFKA_LIBS" && mv "$tmp" "$KAFKA_LIBS"
  echo "$want" >"$KAFKA_HOME/.stamp"
  log "Kafka jars ready in $((SECONDS - t))s"
}

install_ferretdb() {
  local src="$LOCAL_DIR/ferretdb"
  local want; want="$(inputs_hash "$src/go.mod" "$src/go.sum" "$src/main.go")"
  if [[ -x "$FERRETDB_BIN" && -f "$FERRETDB_HOME/.stamp" && "$(cat "$FERRETDB_HOME/.stamp")" == "$want" ]]; then return; fi

  local go=go
  command -v go >/dev/null || go=/usr/local/go/bin/go
  command -v "$go" >/dev/null || die "Go is not installed (need Go >= 1.24 to build FerretDB)"

  local t=$SECONDS
  log "building FerretDB $FERRETDB_VERSION (SQLite) -> $FERRETDB_BIN (takes ~1.5 min the first time)"
  mkdir -p "$FERRETDB_HOME"
  # Pure-Go SQLite (modernc.org/sqlite), so no cgo. GOMODCACHE/GOCACHE: Go's defaults, outside the repo.
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$go" build -trimpath -ldflags='-s -w' \
    -o "$FERRETDB_BIN.tmp" .) >&2 || die "go build of FerretDB failed"
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  echo "$want" >"$FERRETDB_HOME/.stamp"
  log "FerretDB built in $((SECONDS - t))s"
}

install_all() {
  mkdir -p "$CACHE"
  # One installer at a time per cache (e.g. two `stack.sh up` racing).
  (
    flock 8
    install_os_packages
    install_kafka
    install_ferretdb
  ) 8>"$CACHE/.install.lock"
}

# Run only when executed, not when sourced by stack.sh.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  start=$SECONDS
  install_all
  log "ok in $((SECONDS - start))s (cache: $CACHE)"
fi
