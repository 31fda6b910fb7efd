#!/usr/bin/env bash
# Local infrastructure without Docker: Kafka (KRaft, single node), mongo-java-server
# (MongoDB wire protocol, memory or H2 backend) and Redis, as plain background processes.
#
#   bash deploy/local/stack.sh up            # start what is not already answering, wait until ready
#   bash deploy/local/stack.sh status        # what answers, what this script started (exit 1 if something is down)
#   bash deploy/local/stack.sh down [--wipe] # stop only what `up` started; --wipe (or STACK_WIPE=1) deletes its data
#
# Env (ports are taken from these; a service already answering there is used, not started):
#   KAFKA_BOOTSTRAP_SERVERS  localhost:9092
#   KAFKA_CONTROLLER_PORT    9093
#   MONGODB_URL              mongodb://localhost:27017/?directConnection=true
#   REDIS_URL                redis://localhost:6379/0
#   STACK_DIR                <repo>/.stack    runtime data, logs, pid files
#   JOB_IMPORTER_CACHE       ~/.cache/job-importer    jars + binaries (see install.sh)
#   STACK_TIMEOUT            90    seconds to wait for each service
#   KAFKA_HEAP_OPTS          -Xms256m -Xmx1g
#   LOCAL_MONGO_BACKEND      memory    memory (fast, gone at `down`) | h2 (kept in .stack/mongo/)
#   LOCAL_MONGO_HEAP_OPTS    -Xms256m -Xmx8g    ~15 KB of heap per job document on the memory backend
set -euo pipefail

# Shared settings (versions, cache paths) and install_all.
source "$(dirname "${BASH_SOURCE[0]}")/install.sh"

REPO_ROOT="$(cd "$LOCAL_DIR/../.." && pwd)"
STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"
STARTED="$STACK_DIR/started"   # names of the services THIS script started, one a line
TIMEOUT="${STACK_TIMEOUT:-90}"

KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
MONGODB_URL="${MONGODB_URL:-mongodb://localhost:27017/?directConnection=true}"
REDIS_URL="${REDIS_URL:-redis://localhost:6379/0}"
export KAFKA_BOOTSTRAP_SERVERS MONGODB_URL REDIS_URL

# host:port of a URL: strips scheme, user:pass@, path/query; adds default port.
hostport() {
  local u="${1#*://}" def="$2"
  u="${u%%[/?,]*}"; u="${u##*@}"
  [[ "$u" == *:* ]] && echo "$u" || echo "$u:$def"
}
IFS=: read -r KAFKA_HOST KAFKA_PORT <<<"$(hostport "$KAFKA_BOOTSTRAP_SERVERS" 9092)"
IFS=: read -r MONGO_HOST MONGO_PORT <<<"$(hostport "$MONGODB_URL" 27017)"
IFS=: read -r REDIS_HOST REDIS_PORT <<<"$(hostport "$REDIS_URL" 6379)"
SERVICES=(kafka mongo redis)

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

tcp_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# JVM command for Kafka CLI tools: quiet logging so stdout stays clean.
KAFKA_TOOL=(java -Xmx256m -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/tools-log4j2.properties" -cp "$KAFKA_LIBS/*")

# --- readiness probes: each does a real protocol round trip -----------------
probe_kafka() {
  tcp_open "$KAFKA_HOST" "$KAFKA_PORT" &&
    timeout 20 "${KAFKA_TOOL[@]}" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --list >/dev/null 2>&1
}
MONGO_TOOL=(java -Xmx64m -XX:TieredStopAtLevel=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$MONGO_CLASSPATH" LocalMongo)
probe_mongo() {
  # A MongoDB driver ping (works against a real MongoDB too).
  tcp_open "$MONGO_HOST" "$MONGO_PORT" && timeout 10 "${MONGO_TOOL[@]}" ping --url "$MONGODB_URL" >/dev/null 2>&1
}
probe_redis() {
  [[ "$(timeout 3 redis-cli -u "$REDIS_URL" ping 2>/dev/null)" == PONG ]]
}
svc_port_open() { local h p; read -r h p <<<"$(port_of "$1")"; tcp_open "$h" "$p"; }
port_of() { case $1 in kafka) echo "$KAFKA_HOST $KAFKA_PORT" ;; mongo) echo "$MONGO_HOST $MONGO_PORT" ;; redis) echo "$REDIS_HOST $REDIS_PORT" ;; esac; }

# --- pid bookkeeping -------------------------------------------------------
pidfile() { echo "$STACK_DIR/$1/$1.pid"; }
logfile() { echo "$STACK_DIR/$1/$1.log"; }
# Our process for service $1 if it is alive (guards against pid reuse by checking the command line).
our_pid() {
  local f pid marker; f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  case $1 in kafka) marker=kafka.Kafka ;; mongo) marker=LocalMongo ;; redis) marker=redis-server ;; esac
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' </proc/"$pid"/cmdline | grep -q "$marker" && echo "$pid"
}
# Running and not a zombie (here PID 1 reaps orphans only every ~2 s, and kill -0 succeeds on zombies).
alive() { local st; st="$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" && [[ -n "$st" && "$st" != Z ]]; }
started_by_us() { [[ -f "$STARTED" ]] && grep -qx "$1" "$STARTED"; }
mark_started() { started_by_us "$1" || echo "$1" >>"$STARTED"; }
unmark_started() { { grep -vx "$1" "$STARTED" || true; } >"$STARTED.tmp" && mv "$STARTED.tmp" "$STARTED"; }

# Start "$@" detached (own session, survives the calling terminal), log + pid in .stack/<svc>/.
spawn() {
  local svc=$1; shift
  mkdir -p "$STACK_DIR/$svc"
  echo "=== $(date -Is) stack.sh starting $svc" >>"$(logfile "$svc")"
  setsid "$@" >>"$(logfile "$svc")" 2>&1 </dev/null &
  echo $! >"$(pidfile "$svc")"
  mark_started "$svc"
}

# --- starting each service -------------------------------------------------
start_kafka() {
  local dir="$STACK_DIR/kafka" cfg="$STACK_DIR/kafka/server.properties"
  mkdir -p "$dir/data"
  # Regenerated each time from the env; the data dir (and its cluster id) is kept.
  cat >"$cfg" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://localhost:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  # Format only once: re-formatting would need a new cluster id and lose topics.
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local id; id="$("${KAFKA_TOOL[@]}" kafka.tools.StorageTool random-uuid)"
    "${KAFKA_TOOL[@]}" kafka.tools.StorageTool format -t "$id" -c "$cfg" >>"$(logfile kafka)" 2>&1 ||
      { tail -n 20 "$(logfile kafka)" >&2; die "kafka storage format failed"; }
    echo "$id" >"$dir/cluster.id"
  fi
  tcp_open localhost "$KAFKA_CONTROLLER_PORT" && die "controller port $KAFKA_CONTROLLER_PORT is taken (set KAFKA_CONTROLLER_PORT)"
  # shellcheck disable=SC2086  # KAFKA_HEAP_OPTS is a list of JVM flags
  spawn kafka java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$cfg"
}

start_mongo() {
  local backend="${LOCAL_MONGO_BACKEND:-memory}"
  mkdir -p "$STACK_DIR/mongo"
  # shellcheck disable=SC2086  # LOCAL_MONGO_HEAP_OPTS is a list of JVM flags
  spawn mongo java ${LOCAL_MONGO_HEAP_OPTS:--Xms256m -Xmx8g} -XX:+UseG1GC \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$MONGO_CLASSPATH" LocalMongo serve \
    --host "$(bind_addr "$MONGO_HOST")" --port "$MONGO_PORT" --backend "$backend" --file "$STACK_DIR/mongo/data.mv.db"
}

start_redis() {
  mkdir -p "$STACK_DIR/redis"
  # Private instance (not the Debian service): no persistence, log to stdout -> redis.log.
  spawn redis redis-server --port "$REDIS_PORT" --bind "$(bind_addr "$REDIS_HOST")" \
    --dir "$STACK_DIR/redis" --daemonize no --save "" --appendonly no --logfile ""
}

bind_addr() { [[ $1 == localhost ]] && echo 127.0.0.1 || echo "$1"; }

# --- subcommands -----------------------------------------------------------
cmd_up() {
  local t0; t0="$(now)"
  install_all # no-op when cached
  mkdir -p "$STACK_DIR"
  declare -A t_start=()

  for svc in "${SERVICES[@]}"; do
    if our_pid "$svc" >/dev/null; then
      # Ours from an earlier `up`: nothing to start; wait for it only if it is not answering yet.
      say "$svc: already started by stack.sh (pid $(our_pid "$svc"))"
      "probe_$svc" || t_start[$svc]="$(now)"
    elif "probe_$svc"; then
      say "$svc: already answering at $(port_of "$svc" | tr ' ' :) - using it"
    elif svc_port_open "$svc"; then
      die "$svc: port $(port_of "$svc" | tr ' ' :) is in use but does not answer like $svc"
    else
      say "$svc: starting (log: $(logfile "$svc"))"
      t_start[$svc]="$(now)"
      "start_$svc"
    fi
  done

  # All were started in parallel above; poll them round-robin until each really answers.
  local pending=() still deadline=$((SECONDS + TIMEOUT))
  for svc in redis mongo kafka; do [[ -n "${t_start[$svc]:-}" ]] && pending+=("$svc"); done # cheap probes first
  while ((${#pending[@]})); do
    still=()
    for svc in "${pending[@]}"; do
      if "probe_$svc"; then
        say "$svc: ready in $(since "${t_start[$svc]}")s"
      elif ! our_pid "$svc" >/dev/null || ((SECONDS >= deadline)); then
        tail -n 30 "$(logfile "$svc")" >&2
        our_pid "$svc" >/dev/null && die "$svc not ready after ${TIMEOUT}s (log: $(logfile "$svc"))"
        die "$svc exited during start-up (log: $(logfile "$svc"))"
      else
        still+=("$svc")
      fi
    done
    pending=("${still[@]}")
    if ((${#pending[@]})); then sleep 0.3; fi
  done
  say "up in $(since "$t0")s: KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS MONGODB_URL=$MONGODB_URL REDIS_URL=$REDIS_URL"
}

cmd_down() {
  local wipe="${STACK_WIPE:-0}" pid
  [[ "${1:-}" == --wipe ]] && wipe=1
  for svc in "${SERVICES[@]}"; do
    started_by_us "$svc" || continue
    if pid="$(our_pid "$svc")"; then
      local t; t="$(now)"
      kill -TERM "$pid"
      # Kafka needs a few seconds for a clean shutdown (avoids log recovery next time).
      for _ in $(seq 300); do alive "$pid" || break; sleep 0.1; done
      if alive "$pid"; then
        say "$svc: pid $pid did not stop in 30s, killing"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      say "$svc: stopped (pid $pid) in $(since "$t")s"
    else
      say "$svc: was not running"
    fi
    rm -f "$(pidfile "$svc")"
    unmark_started "$svc"
  done
  if [[ "$wipe" == 1 ]]; then
    for svc in "${SERVICES[@]}"; do
      # Never delete data under a process we did not start.
      if our_pid "$svc" >/dev/null; then say "$svc: still running, not wiping"; else rm -rf "${STACK_DIR:?}/$svc"; fi
    done
    say "wiped data in $STACK_DIR"
  fi
}

cmd_status() {
  local rc=0 pid state
  for svc in "${SERVICES[@]}"; do
    if "probe_$svc"; then state=up; else state=DOWN; rc=1; fi
    if pid="$(our_pid "$svc")"; then
      state+=" (started by stack.sh, pid $pid, log $(logfile "$svc"))"
    elif [[ $state == up ]]; then
      state+=" (external)"
    fi
    printf '%-9s %-22s %s\n' "$svc" "$(port_of "$svc" | tr ' ' :)" "$state"
  done
  return "$rc"
}

case "${1:-}" in
up) cmd_up ;;
down) shift; cmd_down "$@" ;;
status) cmd_status ;;
*) echo "usage: $0 up | down [--wipe] | status" >&2; exit 2 ;;
esac
