#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller) for development and CI.
#
#   bash scripts/kafka.sh start    # fetch jars (once), format storage if new, start, wait until ready (KAFKA_FRESH=1: wipe data first)
#   bash scripts/kafka.sh stop     # stop the broker started by `start` (exit 0 if not running)
#   bash scripts/kafka.sh status   # exit 0 if 127.0.0.1:9092 accepts connections
#   bash scripts/kafka.sh logs     # print the tail of the broker log
#
# Everything at run time lives under <repo>/.kafka/ (libs/, data/, logs/, kafka.pid,
# server.properties). Jars come from Maven Central via scripts/kafka/pom.xml.
#
# Environment overrides:
#   KAFKA_START_TIMEOUT   seconds to wait for the broker to become ready (default 90)
#   KAFKA_STOP_TIMEOUT    seconds to wait after SIGTERM before SIGKILL (default 30)
#   KAFKA_HEAP_OPTS       JVM heap flags (default "-Xms256m -Xmx512m")
#   JAVA_HOME             used to locate java if set
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT_DIR="$(cd -- "$SCRIPT_DIR/.." && pwd -P)"

KAFKA_VERSION="4.1.1"
CONF_DIR="$SCRIPT_DIR/kafka"
POM="$CONF_DIR/pom.xml"
LOG4J_CONF="$CONF_DIR/log4j2.properties"
PROPS_TEMPLATE="$CONF_DIR/server.properties"

STATE_DIR="$ROOT_DIR/.kafka"
LIBS_DIR="$STATE_DIR/libs"
LIBS_MARKER="$LIBS_DIR/.complete-$KAFKA_VERSION"
DATA_DIR="$STATE_DIR/data"
LOG_DIR="$STATE_DIR/logs"
LOG_FILE="$LOG_DIR/kafka.log"
FORMAT_LOG="$LOG_DIR/format.log"
MVN_LOG="$LOG_DIR/mvn.log"
PID_FILE="$STATE_DIR/kafka.pid"
PROPS="$STATE_DIR/server.properties"
LOCK_FILE="$STATE_DIR/.lock"

HOST="127.0.0.1"
PORT=9092
CONTROLLER_PORT=9093
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
READY_MARKER="Kafka Server started"

log() { printf '[kafka.sh] %s\n' "$*"; }
err() { printf '[kafka.sh] ERROR: %s\n' "$*" >&2; }

# port_open PORT -> 0 if something accepts TCP connections on $HOST:PORT
port_open() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" >/dev/null 2>&1
}

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    err "java not found (install a JDK >= 17 or set JAVA_HOME)"
    return 1
  fi
}

# is_our_kafka PID -> 0 if PID is alive and is a kafka.Kafka JVM
is_our_kafka() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0 # cannot inspect; trust kill -0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka '
}

# current_pid -> prints the pid of the broker started by this script, if running
current_pid() {
  local pid=""
  if [[ -f "$PID_FILE" ]]; then
    pid="$(tr -dc '0-9' <"$PID_FILE" || true)"
    if [[ -n "$pid" ]] && is_our_kafka "$pid"; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  # Fallback (pid file lost): a JVM running exactly our rendered config file.
  if command -v pgrep >/dev/null 2>&1; then
    pid="$(pgrep -f -- "kafka\.Kafka $PROPS\$" | head -n1 || true)"
    if [[ -n "$pid" ]] && is_our_kafka "$pid"; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  return 1
}

print_log_tail() {
  local f
  for f in "$FORMAT_LOG" "$LOG_FILE"; do
    if [[ -s "$f" ]]; then
      echo "----- tail -n 60 $f -----" >&2
      tail -n 60 "$f" >&2 || true
      echo "----- end of $f -----" >&2
    fi
  done
}

fetch_libs() {
  if [[ -f "$LIBS_MARKER" ]] && compgen -G "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || { err "mvn not found; needed once to fetch the Kafka jars"; return 1; }
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS_DIR ..."
  local tmp="$STATE_DIR/libs.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  mkdir -p "$LOG_DIR"
  if ! mvn -B -q -Dstyle.color=never -f "$POM" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$MVN_LOG" 2>&1; then
    rm -rf "$tmp"
    err "maven failed to fetch the Kafka jars; output follows"
    tail -n 80 "$MVN_LOG" >&2 || true
    return 1
  fi
  if ! compgen -G "$tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null; then
    rm -rf "$tmp"
    err "maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing"
    return 1
  fi
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  touch "$LIBS_MARKER"
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars"
}

# 22-character base64url id (16 random bytes), not starting with '-' (CLI would read it as an option).
new_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    if [[ ${#id} -eq 22 && "$id" != -* && "$id" != "AAAAAAAAAAAAAAAAAAAAAA" ]]; then
      printf '%s\n' "$id"
      return 0
    fi
  done
}

# wait_ready PID -> waits for the ready log line and the port; 0 on success
wait_ready() {
  local pid="$1" waited=0
  while ((waited < START_TIMEOUT)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      err "Kafka process $pid exited during startup"
      return 1
    fi
    if grep -q "$READY_MARKER" "$LOG_FILE" 2>/dev/null && port_open "$PORT"; then
      return 0
    fi
    sleep 1
    waited=$((waited + 1))
  done
  err "Kafka did not become ready within ${START_TIMEOUT}s"
  return 1
}

cmd_start() {
  mkdir -p "$STATE_DIR"
  # Serialise concurrent `start`/`stop` calls from the same checkout.
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || { err "could not acquire $LOCK_FILE"; return 1; }

  if port_open "$PORT"; then
    local running
    running="$(current_pid || true)"
    log "Kafka is already listening on $HOST:$PORT${running:+ (pid $running)}; nothing to do"
    return 0
  fi

  local pid
  if pid="$(current_pid)"; then
    # Started by an earlier call but not ready yet: wait for it instead of starting a second one.
    log "Kafka (pid $pid) is already starting; waiting for it ..."
    if wait_ready "$pid"; then
      log "Kafka is ready on $HOST:$PORT (pid $pid)"
      return 0
    fi
    print_log_tail
    return 1
  fi

  if port_open "$CONTROLLER_PORT"; then
    err "port $CONTROLLER_PORT (controller listener) is in use by another process; cannot start Kafka"
    return 1
  fi

  local java started_at
  java="$(java_bin)"
  started_at=$SECONDS
  fetch_libs

  mkdir -p "$LOG_DIR"
  rm -f "$PID_FILE"
  # Data survives stop/start (a broker restart must not lose acknowledged messages);
  # KAFKA_FRESH=1 wipes it for a clean broker.
  if [[ "${KAFKA_FRESH:-0}" == "1" ]]; then rm -rf "$DATA_DIR"; fi
  mkdir -p "$DATA_DIR"
  local esc_data
  esc_data="$(printf '%s' "$DATA_DIR" | sed -e 's/[\/&|]/\\&/g')"
  sed -e "s|@LOG_DIRS@|$esc_data|g" "$PROPS_TEMPLATE" >"$PROPS"

  local -a jvm_opts
  # shellcheck disable=SC2206 # word splitting of HEAP_OPTS is intended
  jvm_opts=($HEAP_OPTS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$LOG4J_CONF")

  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    # Already formatted: keep the data and its cluster id.
    log "reusing formatted storage in $DATA_DIR"
  else
    local cluster_id
    cluster_id="$(new_cluster_id)"
    log "formatting storage in $DATA_DIR (cluster id $cluster_id) ..."
    if ! "$java" -Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        "-Dlog4j2.configurationFile=$LOG4J_CONF" -cp "$LIBS_DIR/*" \
        kafka.tools.StorageTool format --config "$PROPS" --cluster-id "$cluster_id" \
        --standalone >"$FORMAT_LOG" 2>&1; then
      err "kafka.tools.StorageTool format failed"
      print_log_tail
      return 1
    fi
  fi

  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  : >"$LOG_FILE"

  log "starting Kafka $KAFKA_VERSION on $HOST:$PORT (controller $HOST:$CONTROLLER_PORT) ..."
  # The inner shell writes its own pid and then execs java, so the pid file holds the JVM's pid
  # even when setsid has to fork. setsid detaches the broker from the caller's process group/session.
  # fd 9 (the lock) is closed for the child, otherwise the broker would hold the lock forever.
  local -a launcher=(nohup)
  command -v setsid >/dev/null 2>&1 && launcher=(setsid nohup)
  "${launcher[@]}" bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    "$java" "${jvm_opts[@]}" -cp "$LIBS_DIR/*" kafka.Kafka "$PROPS" \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &

  local waited=0
  while [[ ! -s "$PID_FILE" ]] && ((waited < 50)); do sleep 0.1; waited=$((waited + 1)); done
  pid="$(tr -dc '0-9' <"$PID_FILE" 2>/dev/null || true)"
  if [[ -z "$pid" ]]; then
    err "could not determine the Kafka pid"
    print_log_tail
    return 1
  fi

  if wait_ready "$pid"; then
    log "Kafka is ready on $HOST:$PORT (pid $pid, $((SECONDS - started_at))s); log: $LOG_FILE"
    return 0
  fi
  print_log_tail
  # Do not leave a half-started broker behind.
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    sleep 3
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  return 1
}

cmd_stop() {
  mkdir -p "$STATE_DIR"
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || { err "could not acquire $LOCK_FILE"; return 1; }

  local pid
  if ! pid="$(current_pid)"; then
    rm -f "$PID_FILE"
    if port_open "$PORT"; then
      log "Kafka was not started by this script, but something listens on $HOST:$PORT; leaving it alone"
    else
      log "Kafka is not running"
    fi
    return 0
  fi

  log "stopping Kafka (pid $pid) ..."
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT * 2)); do
    sleep 0.5
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < 20)); do sleep 0.5; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      err "Kafka (pid $pid) did not die"
      return 1
    fi
  fi
  rm -f "$PID_FILE"
  log "Kafka stopped"
}

cmd_status() {
  local pid
  pid="$(current_pid || true)"
  if port_open "$PORT"; then
    log "Kafka is up on $HOST:$PORT${pid:+ (pid $pid)}"
    return 0
  fi
  if [[ -n "$pid" ]]; then
    log "Kafka process $pid is running but $HOST:$PORT is not answering (yet)"
  else
    log "Kafka is not running"
  fi
  return 1
}

cmd_logs() {
  if [[ -f "$LOG_FILE" ]]; then
    tail -n "${1:-100}" "$LOG_FILE"
  else
    log "no log at $LOG_FILE"
  fi
}

usage() {
  echo "usage: $0 {start|stop|status|logs [N]}" >&2
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    restart) cmd_stop && cmd_start ;;
    logs) cmd_logs "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage
      return 2
      ;;
  esac
}

main "$@"
