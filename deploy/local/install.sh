#!/usr/bin/env bash
# Installs what the local stack (deploy/local/stack.sh) needs and fills the
# download/build cache, so that `stack.sh up` only has to start processes.
#
#   bash deploy/local/install.sh        # idempotent; ~1 s when everything is cached
#
# - redis-server (+ redis-cli), and java/maven/docker-compose/chromium if missing, from Debian (root for apt-get)
# - Apache Kafka jars from Maven Central -> $CACHE/kafka-<ver>/libs
# - mongo-java-server jars from Maven Central + the compiled launcher -> $CACHE/mongo-java-server-<ver>/
# - kustomize, built from its Go module -> $CACHE/bin/kustomize (renders deploy/k8s in the tests)
# - bubblewrap, to run the services as their pods do (tests/deploy: numeric user, read-only root)
# - the image's runtime set (requirements.lock, wheels only) -> $CACHE/runtime-venv-<hash>, the
#   /opt/venv those pods run
#
# The cache lives OUTSIDE the repo (a fresh clone reuses it). Each entry has a
# .stamp with a hash of its inputs (pom.xml, LocalMongo.java), so
# editing those files rebuilds the entry even when the version is unchanged.
#
# stack.sh sources this file for the shared settings and calls install_all.
set -euo pipefail

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

KAFKA_VERSION=4.1.1       # keep in sync with kafka/pom.xml
MONGO_JAVA_SERVER_VERSION=1.47.0   # keep in sync with mongo/pom.xml
KUSTOMIZE_VERSION=v5.8.2   # the newest whose go.mod accepts Go 1.26 (v5.8.3 needs 1.27)

CACHE="${JOB_IMPORTER_CACHE:-$HOME/.cache/job-importer}"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
MONGO_HOME="$CACHE/mongo-java-server-$MONGO_JAVA_SERVER_VERSION"
MONGO_CLASSPATH="$MONGO_HOME/classes:$MONGO_HOME/libs/*"
KUSTOMIZE="$CACHE/bin/kustomize"

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
  command -v javac >/dev/null || pkgs+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null || pkgs+=(maven)
  # A compose client only to validate compose.yaml (tests/unit/test_deploy.py); no engine needed.
  command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || pkgs+=(docker-compose)
  # A browser only for the dashboard's end-to-end test (tests/e2e/test_dashboard.py).
  command -v chromium >/dev/null || pkgs+=(chromium)
  # Runs each service as its Deployment does, without a container engine (tests/deploy).
  command -v bwrap >/dev/null || pkgs+=(bubblewrap)
  if ((${#pkgs[@]})); then
    log "apt-get install ${pkgs[*]}"
    apt_install "${pkgs[@]}"
  fi
}

# Maven dependency:copy-dependencies of $1/pom.xml into $2/libs, swapped in atomically so an
# interrupted run never leaves a half-filled libs/. Maven's own repository stays in ~/.m2.
maven_libs() {
  local pom_dir=$1 home=$2 tmp="$2/libs.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  mvn -q -B -f "$pom_dir/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$home/mvn.log" 2>&1 ||
    { cat "$home/mvn.log" >&2; rm -rf "$tmp"; die "mvn dependency:copy-dependencies failed ($pom_dir)"; }
  rm -rf "$home/libs" && mv "$tmp" "$home/libs"
}

install_kafka() {
  local want; want="$(inputs_hash "$LOCAL_DIR/kafka/pom.xml")"
  if [[ -f "$KAFKA_HOME/.stamp" && "$(cat "$KAFKA_HOME/.stamp")" == "$want" ]]; then return; fi
  local t=$SECONDS
  log "fetching Kafka $KAFKA_VERSION jars with Maven -> $KAFKA_LIBS"
  mkdir -p "$KAFKA_HOME"
  maven_libs "$LOCAL_DIR/kafka" "$KAFKA_HOME"
  echo "$want" >"$KAFKA_HOME/.stamp"
  log "Kafka jars ready in $((SECONDS - t))s"
}

install_mongo() {
  local src="$LOCAL_DIR/mongo"
  local want; want="$(inputs_hash "$src/pom.xml" "$src/LocalMongo.java")"
  if [[ -f "$MONGO_HOME/.stamp" && "$(cat "$MONGO_HOME/.stamp")" == "$want" ]]; then return; fi
  local t=$SECONDS
  log "fetching mongo-java-server $MONGO_JAVA_SERVER_VERSION with Maven, compiling its launcher -> $MONGO_HOME"
  mkdir -p "$MONGO_HOME"
  maven_libs "$src" "$MONGO_HOME"
  rm -rf "$MONGO_HOME/classes"
  javac -nowarn -d "$MONGO_HOME/classes" -cp "$MONGO_HOME/libs/*" "$src/LocalMongo.java" ||
    die "javac of LocalMongo.java failed"
  echo "$want" >"$MONGO_HOME/.stamp"
  log "mongo-java-server ready in $((SECONDS - t))s"
}

# kustomize from its Go module (pinned), with Go's module and build caches in the project cache,
# so a fresh clone rebuilds nothing. Tests call $KUSTOMIZE; `kubectl kustomize` may differ in version.
install_kustomize() {
  local stamp="$CACHE/bin/.kustomize-stamp"
  if [[ -x "$KUSTOMIZE" && -f "$stamp" && "$(cat "$stamp")" == "$KUSTOMIZE_VERSION" ]]; then return; fi
  local t=$SECONDS go; go="$(command -v go || echo /usr/local/go/bin/go)"
  [[ -x "$go" ]] || die "kustomize is built with Go >= 1.26, which this machine lacks"
  log "building kustomize $KUSTOMIZE_VERSION with $($go version | cut -d' ' -f3) -> $KUSTOMIZE"
  mkdir -p "$CACHE/bin"
  GOBIN="$CACHE/bin" GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-modcacherw \
    "$go" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >"$CACHE/bin/kustomize.log" 2>&1 ||
    { cat "$CACHE/bin/kustomize.log" >&2; die "go install kustomize failed"; }
  echo "$KUSTOMIZE_VERSION" >"$stamp"
  log "kustomize ready in $((SECONDS - t))s"
}

# What the image's build stage installs, to run the services as their pods do (tests/deploy).
# Keyed by the lock's hash: worktrees with different locks do not rebuild each other's.
install_runtime_venv() {
  local lock="$LOCAL_DIR/../../requirements.lock"
  local venv; venv="$CACHE/runtime-venv-$(inputs_hash "$lock")"
  if [[ -f "$venv/.stamp" ]]; then return; fi
  local t=$SECONDS python="${PYTHON:-python3.11}"
  command -v "$python" >/dev/null || die "$python is needed for the runtime venv"
  log "installing requirements.lock (wheels only, as the image does) -> $venv"
  rm -rf "$venv" && "$python" -m venv --without-pip "$venv"
  "$python" -m pip --python "$venv/bin/python" install -q --disable-pip-version-check --only-binary=:all: \
    -r "$lock" ||
    { rm -rf "$venv"; die "pip install -r requirements.lock failed"; }
  touch "$venv/.stamp"
  log "runtime venv ready in $((SECONDS - t))s"
}

install_all() {
  mkdir -p "$CACHE"
  # One installer at a time per cache (e.g. two `stack.sh up` racing).
  (
    flock 8
    install_os_packages
    install_kafka
    install_mongo
    install_kustomize
    install_runtime_venv
  ) 8>"$CACHE/.install.lock"
}

# Run only when executed, not when sourced by stack.sh.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  start=$SECONDS
  install_all
  log "ok in $((SECONDS - start))s (cache: $CACHE)"
fi
