# Shell helpers of calibration/run: install the brokers from Debian's
# packages, start each on 127.0.0.1 on a high port with its data under
# calibration/.work/, and stop them by the PIDs recorded here.
# Sourced by calibration/run; expects CAL (calibration/) and WORK
# (calibration/.work) to be set.

REDIS_PORT=26379
PG_PORT=25432
RABBIT_PORT=25672
RABBIT_DIST_PORT=25673
EPMD_PORT=24369
NATS_PORT=24222

log() { printf '[calibration %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

pg_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/postgres" ] && { echo "$d"; return 0; }
    done
    return 1
}

# Debian package that provides each broker, and whether it is there.
pkg_of() {
    case "$1" in
        redis) echo redis-server ;;
        postgres) echo postgresql ;;
        rabbitmq) echo rabbitmq-server ;;
        nats) echo nats-server ;;
    esac
}
have_broker() {
    case "$1" in
        redis) [ -x /usr/bin/redis-server ] ;;
        postgres) pg_bin >/dev/null ;;
        rabbitmq) [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] ;;
        nats) [ -x /usr/sbin/nats-server ] ;;
    esac
}

# apt-get install what is missing. While installing, a policy-rc.d that
# returns 101 keeps the packages' postinst from starting system services
# (if the machine already has one, it is left as it is).
install_brokers() {
    local missing=() b
    for b in "$@"; do have_broker "$b" || missing+=("$(pkg_of "$b")"); done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "installing ${missing[*]} with apt-get"
    local made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# calibration/run: no service starts while it installs\nexit 101\n' \
            >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    local rc=0
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1; then
        log "apt-get install failed; running apt-get update and trying again"
        apt-get update -q >>"$WORK/apt.log" 2>&1 || true
        apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1 || rc=$?
    fi
    [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    if [ "$rc" != 0 ]; then
        log "apt-get install ${missing[*]} failed (see $WORK/apt.log)"
        tail -5 "$WORK/apt.log" >&2
        return 1
    fi
}

# The venv with the pinned clients; reinstalled when requirements.txt changes.
setup_venv() {
    local venv="$WORK/venv" stamp
    stamp=$(sha256sum "$CAL/requirements.txt" | cut -c1-16)
    if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    log "creating the venv $venv"
    rm -rf "$venv"
    local py=${PYTHON:-python3}
    if ! "$py" -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >>"$WORK/apt.log" 2>&1 || {
            apt-get update -q >>"$WORK/apt.log" 2>&1
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >>"$WORK/apt.log" 2>&1
        }
        py=/usr/bin/python3
        "$py" -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$CAL/requirements.txt" \
        >"$WORK/pip.log" 2>&1 || { tail -5 "$WORK/pip.log" >&2; return 1; }
    echo "$stamp" >"$venv/.stamp"
}

# PIDs this script started, stopped in reverse order on exit.
PIDS=()
PID_NAMES=()
remember() { PIDS+=("$1"); PID_NAMES+=("$2"); echo "$1" >"$WORK/pids/$2.pid"; }

stop_pid() { # pid name signal
    local pid=$1 name=$2 sig=${3:-TERM} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -"$sig" "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$WORK/pids/$name.pid"; return 0; }
        sleep 0.1
    done
    log "$name ($pid) still running after 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$WORK/pids/$name.pid"
}

stop_all() {
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        case "${PID_NAMES[$i]}" in
            postgres) stop_pid "${PIDS[$i]}" "${PID_NAMES[$i]}" INT ;;
            *) stop_pid "${PIDS[$i]}" "${PID_NAMES[$i]}" TERM ;;
        esac
    done
    PIDS=()
    PID_NAMES=()
}

# A leftover broker of an earlier run that was killed before its trap ran:
# stop it by the PID it recorded, if that process is still the broker.
stop_leftovers() {
    local f pid name
    for f in "$WORK"/pids/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        name=$(basename "$f" .pid)
        # ours if its command line, working directory or environment names
        # this work dir (redis rewrites its command line and environment)
        if [ -n "$pid" ] && { grep -qa -- "$WORK" "/proc/$pid/cmdline" 2>/dev/null ||
                              case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in "$WORK"/*) true ;; *) false ;; esac ||
                              tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx -- "WORK=$WORK"; }; then
            log "stopping the $name ($pid) a killed run left"
            stop_pid "$pid" "$name" "$([ "$name" = postgres ] && echo INT || echo TERM)"
        fi
        rm -f "$f"
    done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port name pid seconds
    local i
    for i in $(seq 1 $(($4 * 10))); do
        port_open "$1" && return 0
        kill -0 "$3" 2>/dev/null || { log "$2 exited while starting"; return 1; }
        sleep 0.1
    done
    log "$2 did not open port $1 in $4 s"
    return 1
}

start_redis() {
    local d="$WORK/redis"
    rm -rf "$d"; mkdir -p "$d"
    # No snapshots (save "") so a background save never forks during a run.
    /usr/bin/redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$d" \
        --save "" --appendonly no --daemonize no --logfile "$d/redis.log" \
        >/dev/null 2>&1 &
    remember $! redis
    wait_port "$REDIS_PORT" redis $! 20
}

start_postgres() {
    local d="$WORK/postgres" bin
    bin=$(pg_bin)
    rm -rf "$d"; mkdir -p "$d/sock"
    chown -R postgres:postgres "$d"
    setpriv --reuid=postgres --regid=postgres --init-groups \
        "$bin/initdb" -D "$d/data" -A trust -U postgres --no-sync >"$WORK/postgres-initdb.log" 2>&1 \
        || { log "initdb failed"; tail -5 "$WORK/postgres-initdb.log" >&2; return 1; }
    setpriv --reuid=postgres --regid=postgres --init-groups \
        "$bin/postgres" -D "$d/data" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
        -c unix_socket_directories="$d/sock" >"$d/postgres.log" 2>&1 &
    remember $! postgres
    wait_port "$PG_PORT" postgres $! 30
}

start_rabbitmq() {
    local d="$WORK/rabbitmq"
    rm -rf "$d"; mkdir -p "$d/home" "$d/mnesia" "$d/log"
    cat >"$d/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$RABBIT_PORT
loopback_users.guest = true
EOF
    : >"$d/enabled_plugins"
    chown -R rabbitmq:rabbitmq "$d"
    # epmd on a high port, loopback only, in the foreground so its PID is ours.
    ERL_EPMD_ADDRESS=127.0.0.1 setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
        epmd -port "$EPMD_PORT" >"$d/log/epmd.log" 2>&1 &
    remember $! epmd
    wait_port "$EPMD_PORT" epmd $! 10 || return 1
    env HOME="$d/home" ERL_EPMD_PORT="$EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
        RABBITMQ_NODENAME=calibration@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
        RABBITMQ_NODE_PORT="$RABBIT_PORT" RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT" \
        RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
        RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" \
        RABBITMQ_PID_FILE="$d/rabbitmq.pid" RABBITMQ_CTL_DIST_PORT_MIN=25674 \
        RABBITMQ_CTL_DIST_PORT_MAX=25684 \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
        /usr/lib/rabbitmq/bin/rabbitmq-server >"$d/log/stdout.log" 2>&1 &
    remember $! rabbitmq
    wait_port "$RABBIT_PORT" rabbitmq $! 90
}

start_nats() {
    local d="$WORK/nats"
    rm -rf "$d"; mkdir -p "$d"
    /usr/sbin/nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$d" -l "$d/nats.log" &
    remember $! nats
    wait_port "$NATS_PORT" nats $! 20
}

broker_version() {
    case "$1" in
        redis) /usr/bin/redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/' ;;
        postgres) "$(pg_bin)/postgres" --version | awk '{print $3}' ;;
        rabbitmq) dpkg-query -W -f='${Version}' rabbitmq-server ;;
        nats) /usr/sbin/nats-server --version | awk '{print $2}' ;;
    esac
}
