#!/usr/bin/env bash
# Make sure every backing service the integration tests need is up:
#   - PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) with a database named `test`
#   - Redis on 127.0.0.1:6379
#   - Kafka on 127.0.0.1:9092 (via scripts/kafka.sh start)
#   - NATS with JetStream on 127.0.0.1:4222 (store /var/lib/nats-server)
#   - RabbitMQ on 127.0.0.1:5672 (guest/guest; started with `rabbitmq-server -detached`)
#   - Mosquitto (MQTT) on 127.0.0.1:1883 (with /etc/mosquitto/mosquitto.conf)
# Starts whatever is down, waits until it answers, and exits non-zero on any failure.
# Idempotent: running it again when everything is up only re-checks.
#
# Environment overrides:
#   SERVICES_WAIT_TIMEOUT   seconds to wait for PostgreSQL / Redis to answer (default 30)
#   RABBITMQ_WAIT_TIMEOUT   seconds to wait for RabbitMQ to boot (default 120)
#   PG_TEST_DB              name of the database to ensure (default test)
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
WAIT_TIMEOUT="${SERVICES_WAIT_TIMEOUT:-30}"
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
PG_TEST_DB="${PG_TEST_DB:-test}"
REDIS_HOST=127.0.0.1
REDIS_PORT=6379

log() { printf '[services.sh] %s\n' "$*"; }
die() {
  printf '[services.sh] ERROR: %s\n' "$*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"
}

# ---------------------------------------------------------------- PostgreSQL
pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" >/dev/null 2>&1 || return 1
  fi
  psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAqc 'select 1' >/dev/null 2>&1
}

ensure_postgres() {
  need psql "install the postgresql client"
  if pg_up; then
    log "PostgreSQL is up on $PG_HOST:$PG_PORT"
  else
    need pg_ctlcluster "install postgresql"
    [[ -d /etc/postgresql ]] || die "/etc/postgresql does not exist: PostgreSQL server is not installed"
    local versions
    versions="$(ls /etc/postgresql)"
    [[ -n "$versions" ]] || die "/etc/postgresql is empty: no PostgreSQL cluster configured"
    [[ "$versions" != *[[:space:]]* ]] || die "several PostgreSQL versions in /etc/postgresql ($versions); cannot pick one"
    log "PostgreSQL is down; starting cluster $versions/main ..."
    # shellcheck disable=SC2046 # exactly one version, checked above
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start ||
      log "pg_ctlcluster returned non-zero (it may already be starting); waiting for it anyway"
    local waited=0
    until pg_up; do
      ((waited < WAIT_TIMEOUT)) || die "PostgreSQL did not answer on $PG_HOST:$PG_PORT within ${WAIT_TIMEOUT}s (see /var/log/postgresql/)"
      sleep 1
      waited=$((waited + 1))
    done
    log "PostgreSQL is up on $PG_HOST:$PG_PORT (after ${waited}s)"
  fi

  local exists
  exists="$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAqc \
    "select 1 from pg_database where datname = '$PG_TEST_DB'")" ||
    die "could not query pg_database as user $PG_USER"
  if [[ "$exists" == "1" ]]; then
    log "database '$PG_TEST_DB' exists"
  else
    log "creating database '$PG_TEST_DB' ..."
    if ! psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qc "create database \"$PG_TEST_DB\"" >/dev/null; then
      # A concurrent run may have created it in the meantime.
      exists="$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAqc \
        "select 1 from pg_database where datname = '$PG_TEST_DB'" || true)"
      [[ "$exists" == "1" ]] || die "could not create database '$PG_TEST_DB'"
    fi
    log "database '$PG_TEST_DB' created"
  fi
  psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_TEST_DB" -tAqc 'select 1' >/dev/null ||
    die "cannot connect to database '$PG_TEST_DB' as $PG_USER"
}

# --------------------------------------------------------------------- Redis
redis_up() {
  [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
}

ensure_redis() {
  need redis-cli "install redis-tools"
  if redis_up; then
    log "Redis is up on $REDIS_HOST:$REDIS_PORT"
    return 0
  fi
  need redis-server "install redis-server"
  mkdir -p /var/lib/redis /var/log/redis
  log "Redis is down; starting it ..."
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log ||
    die "redis-server failed to start (see /var/log/redis/ci.log)"
  local waited=0
  until redis_up; do
    if ((waited >= WAIT_TIMEOUT)); then
      tail -n 20 /var/log/redis/ci.log >&2 2>/dev/null || true
      die "Redis did not answer PONG on $REDIS_HOST:$REDIS_PORT within ${WAIT_TIMEOUT}s (see /var/log/redis/ci.log)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "Redis is up on $REDIS_HOST:$REDIS_PORT (after ${waited}s)"
}

# --------------------------------------------------------------------- Kafka
ensure_kafka() {
  bash "$SCRIPT_DIR/kafka.sh" start || die "Kafka failed to start (scripts/kafka.sh start)"
}

# ---------------------------------------------------------- NATS JetStream
NATS_HOST=127.0.0.1
NATS_PORT=4222

# Up means: the server greets with INFO and has JetStream enabled.
nats_up() {
  local info
  info="$(timeout 3 bash -c "exec 3<>/dev/tcp/$NATS_HOST/$NATS_PORT && IFS= read -r -t 2 line <&3 && printf '%s' \"\$line\"" 2>/dev/null)" || true
  [[ "$info" == INFO* && "$info" == *'"jetstream":true'* ]]
}

ensure_nats() {
  if nats_up; then
    log "NATS (JetStream) is up on $NATS_HOST:$NATS_PORT"
    return 0
  fi
  [[ -x /usr/sbin/nats-server ]] || die "/usr/sbin/nats-server not found (install nats-server)"
  mkdir -p /var/lib/nats-server
  log "NATS is down (or has no JetStream); starting it ..."
  # A pidfile of its own: matched by executable alone, start-stop-daemon would take any other
  # nats-server (a test's private one, another port) for this one and start nothing.
  start-stop-daemon --start --oknodo --background --pidfile /run/nats-server-services.pid --make-pidfile \
    --exec /usr/sbin/nats-server -- \
    -a "$NATS_HOST" -p "$NATS_PORT" -js -sd /var/lib/nats-server -l /var/log/nats-server.log ||
    die "nats-server failed to start (see /var/log/nats-server.log)"
  local waited=0
  until nats_up; do
    if ((waited >= WAIT_TIMEOUT)); then
      tail -n 20 /var/log/nats-server.log >&2 2>/dev/null || true
      die "NATS with JetStream did not answer on $NATS_HOST:$NATS_PORT within ${WAIT_TIMEOUT}s (see /var/log/nats-server.log)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "NATS (JetStream) is up on $NATS_HOST:$NATS_PORT (after ${waited}s)"
}

# ------------------------------------------------------------------ RabbitMQ
RABBITMQ_HOST=127.0.0.1
RABBITMQ_PORT=5672
RABBITMQ_WAIT_TIMEOUT="${RABBITMQ_WAIT_TIMEOUT:-120}"

rabbitmq_up() {
  # The AMQP port answers and the node reports that it finished booting.
  (exec 3<>"/dev/tcp/$RABBITMQ_HOST/$RABBITMQ_PORT") 2>/dev/null || return 1
  rabbitmqctl await_startup --timeout 10 >/dev/null 2>&1
}

ensure_rabbitmq() {
  need rabbitmqctl "install rabbitmq-server"
  if rabbitmq_up; then
    log "RabbitMQ is up on $RABBITMQ_HOST:$RABBITMQ_PORT"
    return 0
  fi
  need rabbitmq-server "install rabbitmq-server"
  log "RabbitMQ is down; starting it ..."
  rabbitmq-server -detached || die "rabbitmq-server -detached failed (see /var/log/rabbitmq/)"
  local waited=0
  until rabbitmq_up; do
    if ((waited >= RABBITMQ_WAIT_TIMEOUT)); then
      tail -n 20 /var/log/rabbitmq/*.log >&2 2>/dev/null || true
      die "RabbitMQ did not come up on $RABBITMQ_HOST:$RABBITMQ_PORT within ${RABBITMQ_WAIT_TIMEOUT}s (see /var/log/rabbitmq/)"
    fi
    sleep 2
    waited=$((waited + 2))
  done
  log "RabbitMQ is up on $RABBITMQ_HOST:$RABBITMQ_PORT (after ${waited}s)"
}

# ----------------------------------------------------------------- Mosquitto
MQTT_HOST=127.0.0.1
MQTT_PORT=1883
MOSQUITTO_CONF=/etc/mosquitto/mosquitto.conf

# A real MQTT round trip (CONNECT, PUBLISH at QoS 1, DISCONNECT), not just an open port.
mosquitto_up() {
  if command -v mosquitto_pub >/dev/null 2>&1; then
    mosquitto_pub -h "$MQTT_HOST" -p "$MQTT_PORT" -q 1 -t nest-dapr/services-check -n -i "services-sh-$$" >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/$MQTT_HOST/$MQTT_PORT") 2>/dev/null
  fi
}

ensure_mosquitto() {
  if mosquitto_up; then
    log "Mosquitto is up on $MQTT_HOST:$MQTT_PORT"
    return 0
  fi
  need mosquitto "install mosquitto (and mosquitto-clients)"
  [[ -f "$MOSQUITTO_CONF" ]] || die "$MOSQUITTO_CONF does not exist: Mosquitto is not configured"
  # The Debian config writes its pid, persistence and log files here; the package creates them, a fresh container may not.
  mkdir -p /run/mosquitto /var/lib/mosquitto /var/log/mosquitto
  if id mosquitto >/dev/null 2>&1; then chown mosquitto: /run/mosquitto /var/lib/mosquitto /var/log/mosquitto || true; fi
  log "Mosquitto is down; starting it ..."
  mosquitto -d -c "$MOSQUITTO_CONF" || die "mosquitto failed to start with $MOSQUITTO_CONF (see /var/log/mosquitto/mosquitto.log)"
  local waited=0
  until mosquitto_up; do
    if ((waited >= WAIT_TIMEOUT)); then
      tail -n 20 /var/log/mosquitto/mosquitto.log >&2 2>/dev/null || true
      die "Mosquitto did not answer on $MQTT_HOST:$MQTT_PORT within ${WAIT_TIMEOUT}s (see /var/log/mosquitto/mosquitto.log)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "Mosquitto is up on $MQTT_HOST:$MQTT_PORT (after ${waited}s)"
}

ensure_postgres
ensure_redis
ensure_kafka
ensure_nats
ensure_rabbitmq
ensure_mosquitto
log "all services are up"
