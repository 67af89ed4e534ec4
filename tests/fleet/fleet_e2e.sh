#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end tests of shmseq-mqtt (docs/fleet.md) against real brokers
# that the test starts on 127.0.0.1, on free ports, with a generated
# configuration in a temporary directory; every process it starts is
# stopped on every exit path (trap). Each run ends by reading the fleet
# database: every sample the sensor task published is there exactly once
# (the key is (region, seq): a duplicate would be refused, so the count
# and the range prove both), every value is the sim waveform's value for
# its sample number (check_csv), and the gaps table holds exactly what the
# bridge's summary counts.
#
#   basic        one board at 10 kHz for 10 s; with --format json, the
#                JSON copies equal the rows, the retained meta says the
#                width and channels, the retained status ends 'offline'
#                (read with fleet_peek, FLEET_PEEK)
#   broker-kill  the broker SIGKILLed for 3 s mid-stream, then restarted
#   spool-overflow  the broker away longer than a small spool holds: the
#                oldest batches are dropped and counted by the bridge; the
#                one gap in the database is one 'spool overflow' row over
#                exactly the missing samples, as many as the sub's
#                spool-overflow count, at most the bridge's (a dropped
#                batch may have been stored before the broker died with
#                its acknowledgement)
#   bridge-kill  the bridge SIGKILLed mid-stream and restarted 2 s later on
#                a small ring: it resumes from its spool and the ring, and
#                the one gap is the overrun its summary counts, one
#                'overrun' row
#   replaced     the region replaced by a writer of another width: the
#                bridge drains what it read, says so and exits 4
#   three        three boards (three regions, three bridges, own node
#                names) into one broker and one sub
#   tls          TLS with a CA and certificates made here (openssl) and a
#                password: data flows; a wrong password and an untrusted
#                CA each give one clear line and exit 1
#   two-subs     two subs on one database: one stores, the other stands by;
#                the storing one SIGKILLed mid-stream, the other takes over
#   nats         a three-node nats-server cluster (JetStream, MQTT
#                listener, replicas 3), one node SIGKILLed mid-stream
#
# usage: fleet_e2e.sh SENSOR_READER SHMSEQ_MQTT CHECK_CSV PART
# A server that is missing is a FAILURE naming the package to install
# (scripts/deps.sh installs them), never a skip.
set -u

if [ $# -ne 4 ]; then
    echo "usage: $0 SENSOR_READER SHMSEQ_MQTT CHECK_CSV PART" >&2
    exit 2
fi
sensor=$1
mqtt=$2
check=$3
part=$4
peek=${FLEET_PEEK:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-fleet.XXXXXX") || exit 1
pids=""
regions=""
failed=0

cleanup() {
    local p
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    for r in $regions; do rm -f "/dev/shm/shmseq.$r"; done
    if [ "$failed" = 0 ]; then
        rm -rf "$tmp"
    else
        echo "fleet_e2e: logs kept in $tmp" >&2
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "fleet_e2e[$part]: FAIL: $*" >&2
    failed=1
}
note() { echo "fleet_e2e[$part]: $*"; }

# Start a command in the background; its pid is in $last.
bg() {
    "$@" &
    last=$!
    pids="$pids $last"
}

need() { # need PROGRAM PACKAGE
    if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$1" ]; then
        fail "$1 is not installed: apt-get install $2 (scripts/deps.sh installs it)"
        exit 1
    fi
}
need python3 python3
need sqlite3 sqlite3

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT SECONDS: until something accepts on 127.0.0.1:PORT.
wait_port() {
    local i=0
    while [ $i -lt $(( $2 * 20 )) ]; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

mosq() { command -v mosquitto 2>/dev/null || echo /usr/sbin/mosquitto; }

# start_mosquitto CONF PORT LOG: pid in $broker.
start_mosquitto() {
    bg "$(mosq)" -c "$1"
    broker=$last
    if ! wait_port "$2" 10; then
        fail "mosquitto did not start on port $2:"
        cat "$3" >&2
        exit 1
    fi
}

# sensor NAME RATE SECONDS CAPACITY: a sim sensor task; pid in $last.
sensor_start() {
    regions="$regions $1"
    bg "$sensor" -n "$1" -r "$2" -d "$3" -C "$4" -q
}

# published LOG: the sample count sensor_reader says it published.
published() {
    sed -n 's/^sensor_reader: published \([0-9]*\) samples.*/\1/p' "$1"
}

# verify DB NODE REGION PUBLISHED RATE [GAP [REASON]]: the database holds
# samples 0..PUBLISHED-1 of that stream exactly once, except GAP samples
# recorded as one gaps row of REASON (default overrun) over exactly the
# missing ones; every value checked against the sim waveform.
verify() {
    local db=$1 node=$2 region=$3 n=$4 rate=$5 gap=${6:-0}
    local reason=${7:-overrun} out
    out=$(python3 - "$db" "$node" "$region" "$tmp/$node-$region" <<'EOF'
import sqlite3, sys
db, node, region, base = sys.argv[1:5]
c = sqlite3.connect(db)
ids = [r[0] for r in c.execute(
    "SELECT id FROM regions WHERE node = ? AND name = ?", (node, region))]
if len(ids) != 1:
    print("regions rows for %s/%s: %d" % (node, region, len(ids)))
    sys.exit(0)
rid = ids[0]
cols = [r[1] for r in c.execute("PRAGMA table_info(samples)")][4:]
rows = c.execute("SELECT seq, ts_ns, epoch, %s FROM samples WHERE region = ? "
                 "ORDER BY seq" % ",".join('"%s"' % x for x in cols),
                 (rid,)).fetchall()
gaps = c.execute("SELECT first_seq, last_seq, reason FROM gaps WHERE region = ?"
                 " ORDER BY first_seq", (rid,)).fetchall()
# split at each gap so each part is consecutive for check_csv
parts, cur, prev = [], [], None
for r in rows:
    if prev is not None and r[0] != prev + 1:
        parts.append(cur)
        cur = []
    cur.append(r)
    prev = r[0]
parts.append(cur)
for i, p in enumerate(parts):
    with open("%s.%d.csv" % (base, i), "w") as f:
        f.write("seq,timestamp_ns,epoch," + ",".join("v%d" % k for k in range(len(cols))) + "\n")
        for r in p:
            f.write(",".join(str(x) for x in r[:3]) + "," + ",".join(repr(float(v)) for v in r[3:]) + "\n")
# the holes between the rows, to compare with the gaps rows' ranges
holes = [(a[0] + 1, b[0] - 1) for a, b in zip(rows, rows[1:]) if b[0] != a[0] + 1]
print("rows %d first %s last %s parts %d missing %d cover %s gaps %s" % (
    len(rows), rows[0][0] if rows else "-", rows[-1][0] if rows else "-",
    len(parts), sum(b - a + 1 for a, b in holes),
    "exact" if holes == [g[:2] for g in gaps] else "differs",
    ";".join("%d-%d:%s" % g for g in gaps) or "none"))
EOF
)
    note "$node/$region: $out"
    local want_rows=$(( n - gap ))
    case $out in
    "rows $want_rows first 0 last $(( n - 1 )) "*) ;;
    *) fail "$node/$region: want $want_rows rows, samples 0..$(( n - 1 )) (published $n, gap $gap): $out" ;;
    esac
    if [ "$gap" = 0 ]; then
        case $out in *"gaps none") ;; *) fail "$node/$region: gaps recorded: $out" ;; esac
    else
        case $out in
        *"parts 2 missing $gap cover exact gaps "*-*":$reason") ;;
        *) fail "$node/$region: want one '$reason' gap of $gap: $out" ;;
        esac
    fi
    for f in "$tmp/$node-$region".*.csv; do
        "$check" --rate "$rate" --tolerance 100 "$f" > "$f.check" 2>&1 ||
            { fail "$node/$region: values: $(cat "$f.check")"; }
    done
}

# mosquitto started as root drops to the user "mosquitto", which could not
# read this test's files: stay as the user who runs the test.
mosq_user() { [ "$(id -u)" = 0 ] && echo "user root"; }

# A broker configuration: plain listener, anonymous.
mosq_conf() { # DIR PORT
    mkdir -p "$1"
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nlog_dest file %s/broker.log\n%s\n' \
        "$2" "$1" "$(mosq_user)" > "$1/m.conf"
}

name="fleet-$$"

# broker_and_sub DIR: a plain mosquitto on a free port ($port, $broker)
# and a sub into DIR/fleet.db ($sub).
broker_and_sub() {
    need mosquitto mosquitto
    port=$(free_port)
    mosq_conf "$1" "$port"
    start_mosquitto "$1/m.conf" "$port" "$1/broker.log"
    bg "$mqtt" sub --db "$1/fleet.db" --port "$port" --status 0 2> "$1/sub.log"
    sub=$last
}

# stream_start REGION RATE SECONDS PORT [PUB OPTION...]: a sensor task and
# a pub of board1 reading it into DIR=$d/spool, stopping after SECONDS and
# lingering up to 30 s more for the acknowledgements ($sens, $pub).
stream_start() {
    local region=$1 rate=$2 secs=$3 bport=$4
    shift 4
    sensor_start "$region" "$rate" "$secs" 65536 2> "$d/sensor.log"
    sens=$last
    sleep 0.2
    bg "$mqtt" pub --node board1 --spool "$d/spool" --port "$bport" \
        --batch 100 --max-delay 50 --duration "$secs" --linger 30 --status 0 \
        "$@" "$region" 2> "$d/pub.log"
    pub=$last
}

# stop_sub PID: SIGTERM, and the sub must exit 0 (committed, closed).
stop_sub() {
    local rc
    kill -TERM "$1"
    wait "$1"
    rc=$?
    [ $rc = 0 ] || fail "sub exited $rc after SIGTERM"
}

# all_stored DIR PUB_LOG: the pub ended with everything acknowledged and
# nothing lost.
all_stored() {
    grep -q "unacknowledged 0 .*overrun 0, spool overflow 0" "$1/$2" ||
        fail "pub did not end with everything acknowledged and nothing lost"
}

run_basic() {
    local d=$tmp/basic rate=10000 secs=10 t=shmseq/board1/$name-b
    [ -x "$peek" ] || { fail "FLEET_PEEK (the fleet_peek test program) is not set"; return; }
    broker_and_sub "$d"
    sensor_start "$name-b" $rate $secs 65536 2> "$d/sensor.log"
    local sens=$last
    # what a dashboard reads: the meta and JSON topics
    bg "$peek" "$port" "$t/meta" 1 20 > "$d/meta.out"
    local pm=$last
    bg "$peek" "$port" "$t/json" 5 20 > "$d/json.out"
    local pj=$last
    sleep 0.2
    "$mqtt" pub --node board1 --spool "$d/spool" --port "$port" --batch 100 \
        --max-delay 50 --duration $secs --linger 20 --status 0 \
        --format json --channels ax,ay,az,t "$name-b" 2> "$d/pub.log"
    local rc=$?
    wait "$sens"
    stop_sub "$sub"
    wait "$pm" || fail "no meta message"
    wait "$pj" || fail "no JSON batches"
    "$peek" "$port" shmseq/board1/status 1 5 > "$d/status.out" ||
        fail "no retained status"
    cat "$d/pub.log" "$d/sub.log"
    [ $rc = 0 ] || fail "pub exited $rc"
    all_stored "$d" pub.log
    verify "$d/fleet.db" board1 "$name-b" "$(published "$d/sensor.log")" $rate
    grep -qx "1 shmseq/board1/status offline" "$d/status.out" ||
        fail "the retained status is not 'offline' after the bridge stopped: $(cat "$d/status.out")"
    # the meta and JSON messages against the database
    python3 - "$d" "$name-b" <<'EOF2' || fail "meta or JSON messages wrong"
import json, sqlite3, sys
d, region = sys.argv[1:3]
ok = True
meta = json.loads(open(d + "/meta.out").read().split(" ", 2)[2])
want = {"v": 1, "node": "board1", "region": region, "width": 4,
        "channels": ["ax", "ay", "az", "t"], "format": "bin+json"}
for k, v in want.items():
    if meta.get(k) != v:
        print("meta %s: %r, want %r" % (k, meta.get(k), v)); ok = False
c = sqlite3.connect(d + "/fleet.db")
cols = [r[1] for r in c.execute("PRAGMA table_info(samples)")][4:]
rid = c.execute("SELECT id FROM regions WHERE node = 'board1' AND name = ?",
                (region,)).fetchone()[0]
n = 0
for line in open(d + "/json.out"):
    b = json.loads(line.split(" ", 2)[2])
    for i, s in enumerate(b["samples"]):
        row = c.execute("SELECT ts_ns, %s FROM samples WHERE region = ? AND "
                        "seq = ?" % ",".join('"%s"' % x for x in cols),
                        (rid, b["first_seq"] + i)).fetchone()
        if row is None or list(row) != s:
            print("json seq %d: %r, database %r" % (b["first_seq"] + i, s, row))
            ok = False
        n += 1
print("meta ok, %d JSON samples equal to their rows" % n if ok else "")
sys.exit(0 if ok else 1)
EOF2
}

run_broker_kill() {
    local d=$tmp/bk rate=10000 secs=9
    broker_and_sub "$d"
    stream_start "$name-k" $rate $secs "$port"
    sleep 3
    kill -9 "$broker"; wait "$broker" 2>/dev/null
    note "broker SIGKILLed; restarting it in 3 s"
    sleep 3
    start_mosquitto "$d/m.conf" "$port" "$d/broker.log"
    wait "$pub"
    local rc=$?
    wait "$sens"
    stop_sub "$sub"
    cat "$d/pub.log" "$d/sub.log"
    [ $rc = 0 ] || fail "pub exited $rc"
    grep -q "unreachable\|lost" "$d/pub.log" || fail "pub never saw the broker go"
    all_stored "$d" pub.log
    verify "$d/fleet.db" board1 "$name-k" "$(published "$d/sensor.log")" $rate
}

run_bridge_kill() {
    local d=$tmp/bridge rate=5000 secs=6 over
    broker_and_sub "$d"
    # 2048 slots at 5 kHz: 0.4 s of ring, so 2 s without the bridge overrun
    sensor_start "$name-r" $rate $secs 2048 2> "$d/sensor.log"
    local sens=$last
    sleep 0.2
    bg "$mqtt" pub --node board1 --spool "$d/spool" --port "$port" --batch 100 \
        --max-delay 50 --status 0 "$name-r" 2> "$d/pub1.log"
    sleep 2
    kill -9 "$last"; wait "$last" 2>/dev/null
    note "bridge SIGKILLed; restarting it in 2 s"
    sleep 2
    "$mqtt" pub --node board1 --spool "$d/spool" --port "$port" --batch 100 \
        --max-delay 50 --duration $(( secs - 4 )) --linger 20 --status 0 \
        "$name-r" 2> "$d/pub2.log"
    local rc=$?
    wait "$sens"
    stop_sub "$sub"
    cat "$d/pub1.log" "$d/pub2.log" "$d/sub.log"
    [ $rc = 0 ] || fail "restarted pub exited $rc"
    grep -q "of a previous run in the spool" "$d/pub2.log" ||
        fail "the restarted pub did not resume from its spool"
    over=$(sed -n "s/.*summary: .*lost: overrun \([0-9]*\), spool overflow 0;.*/\1/p" "$d/pub2.log")
    if [ -z "$over" ] || [ "$over" = 0 ]; then
        fail "the restarted pub counted no overrun (the ring should have wrapped): $over"
        return
    fi
    grep -q "unacknowledged 0 " "$d/pub2.log" || fail "not everything acknowledged"
    grep -q "gaps 1 ($over samples: overrun $over, spool overflow 0, not held 0)" \
        "$d/sub.log" || fail "the sub's summary does not count the gap as overrun $over"
    verify "$d/fleet.db" board1 "$name-r" "$(published "$d/sensor.log")" $rate "$over"
}

run_three() {
    local d=$tmp/three rate=2000 secs=4 i sens="" pubs=""
    broker_and_sub "$d"
    for i in 1 2 3; do
        sensor_start "$name-t$i" $rate $secs 65536 2> "$d/sensor$i.log"
        sens="$sens $last"
    done
    sleep 0.2
    for i in 1 2 3; do
        bg "$mqtt" pub --node "node$i" --spool "$d/spool$i" --port "$port" \
            --batch 50 --max-delay 20 --duration $secs --linger 20 --status 0 \
            "$name-t$i" 2> "$d/pub$i.log"
        pubs="$pubs $last"
    done
    for i in $pubs; do wait "$i" || fail "a pub exited non-zero"; done
    for i in $sens; do wait "$i"; done
    stop_sub "$sub"
    cat "$d"/pub?.log "$d/sub.log"
    for i in 1 2 3; do
        verify "$d/fleet.db" "node$i" "$name-t$i" "$(published "$d/sensor$i.log")" $rate
    done
}

# refused WHAT PATTERN COMMAND...: COMMAND exits 1 with exactly one line
# on stderr, matching PATTERN.
refused() {
    local what=$1 pattern=$2 rc lines
    shift 2
    "$@" 2> "$tmp/refused.log"
    rc=$?
    lines=$(wc -l < "$tmp/refused.log")
    note "$what: exit $rc: $(cat "$tmp/refused.log")"
    [ $rc = 1 ] || fail "$what: exit $rc, want 1"
    [ "$lines" = 1 ] || fail "$what: want one line, got $lines"
    grep -q "$pattern" "$tmp/refused.log" || fail "$what: the line does not say so"
}

run_tls() {
    need mosquitto mosquitto
    need mosquitto_passwd mosquitto
    need openssl openssl
    local d=$tmp/tls rate=1000 secs=2 rc
    mkdir -p "$d"
    port=$(free_port)
    (
        cd "$d" || exit 1
        ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        # shellcheck disable=SC2086
        openssl req -x509 $ec -keyout ca.key -out ca.crt -days 2 \
            -subj /CN=shmseq-test-ca &&
        openssl req -x509 $ec -keyout rogue.key -out rogue.crt -days 2 \
            -subj /CN=shmseq-rogue-ca &&
        openssl req $ec -keyout server.key -out server.csr \
            -subj /CN=127.0.0.1 &&
        printf 'subjectAltName=IP:127.0.0.1\n' > san.ext &&
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
            -CAcreateserial -out server.crt -days 2 -extfile san.ext &&
        mosquitto_passwd -c -b passwd board board-secret &&
        mosquitto_passwd -b passwd fleet fleet-secret
    ) > "$d/openssl.log" 2>&1 || { fail "making the certificates failed:"; cat "$d/openssl.log" >&2; return; }
    printf 'board\nboard-secret\n' > "$d/board.auth"
    printf 'board\nnot-the-password\n' > "$d/wrong.auth"
    chmod 600 "$d"/*.auth "$d"/*.key
    printf 'listener %s 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nallow_anonymous false\npassword_file %s\nlog_dest file %s\n%s\n' \
        "$port" "$d/ca.crt" "$d/server.crt" "$d/server.key" "$d/passwd" \
        "$d/broker.log" "$(mosq_user)" > "$d/m.conf"
    start_mosquitto "$d/m.conf" "$port" "$d/broker.log"
    SHMSEQ_MQTT_USERNAME=fleet SHMSEQ_MQTT_PASSWORD=fleet-secret \
        bg "$mqtt" sub --db "$d/fleet.db" --port "$port" --cafile "$d/ca.crt" \
        --status 0 2> "$d/sub.log"
    local sub=$last
    sensor_start "$name-s" $rate $secs 65536 2> "$d/sensor.log"
    local sens=$last
    sleep 0.2
    "$mqtt" pub --node board1 --spool "$d/spool" --port "$port" \
        --cafile "$d/ca.crt" --auth-file "$d/board.auth" --duration $secs \
        --linger 20 --status 0 "$name-s" 2> "$d/pub.log"
    rc=$?
    wait "$sens"
    stop_sub "$sub"
    cat "$d/pub.log" "$d/sub.log"
    [ $rc = 0 ] || fail "pub over TLS with a password exited $rc"
    verify "$d/fleet.db" board1 "$name-s" "$(published "$d/sensor.log")" $rate

    # A wrong password (the board's from a file, the fleet end's from the
    # environment) and an untrusted CA: each one clear line, exit 1.
    refused "wrong password" "refused the connection: \(bad username or password\|not authorised\)" \
        timeout 30 "$mqtt" pub --node board1 --spool "$d/spool-w" \
        --port "$port" --cafile "$d/ca.crt" --auth-file "$d/wrong.auth" \
        --status 0 "$name-s"
    SHMSEQ_MQTT_USERNAME=fleet SHMSEQ_MQTT_PASSWORD=nope \
        refused "wrong password (sub, environment)" "refused the connection" \
        timeout 30 "$mqtt" sub --db "$d/other.db" --port "$port" \
        --cafile "$d/ca.crt" --status 0
    refused "untrusted CA" "TLS handshake with broker .* failed.*certificate verify failed" \
        timeout 30 "$mqtt" pub --node board1 --spool "$d/spool-u" \
        --port "$port" --cafile "$d/rogue.crt" --auth-file "$d/board.auth" \
        --status 0 "$name-s"
}

run_nats() {
    need nats-server nats-server
    local d=$tmp/nats rate=2000 secs=8 n ports=() i rc
    mkdir -p "$d"
    for i in 1 2 3 4 5 6 7 8 9; do ports+=("$(free_port)"); done
    # ports: 0-2 clients, 3-5 cluster routes, 6-8 MQTT listeners
    for n in 1 2 3; do
        cat > "$d/n$n.conf" <<EOF2
server_name: n$n
listen: 127.0.0.1:${ports[$((n - 1))]}
jetstream { store_dir: "$d/js$n" }
cluster {
  name: fleet
  listen: 127.0.0.1:${ports[$((n + 2))]}
  routes: [ "nats-route://127.0.0.1:${ports[3]}", "nats-route://127.0.0.1:${ports[4]}", "nats-route://127.0.0.1:${ports[5]}" ]
}
mqtt { listen: 127.0.0.1:${ports[$((n + 5))]}, stream_replicas: 3 }
EOF2
        bg "$(command -v nats-server || echo /usr/sbin/nats-server)" -c "$d/n$n.conf"
        eval "nats$n=\$last"
    done 2> "$d/nats.log"
    for n in 1 2 3; do
        if ! wait_port "${ports[$((n + 5))]}" 20; then
            fail "nats-server n$n: no MQTT listener:"; cat "$d/nats.log" >&2; return
        fi
    done
    # JetStream serves once the cluster has elected its metadata leader.
    for i in $(seq 1 300); do
        grep -q "JetStream cluster new metadata leader" "$d/nats.log" && break
        sleep 0.1
    done
    # The board on node 1, the fleet end on node 2; node 3 dies mid-stream.
    bg "$mqtt" sub --db "$d/fleet.db" --port "${ports[7]}" --status 0 2> "$d/sub.log"
    local sub=$last
    stream_start "$name-n" $rate $secs "${ports[6]}" --linger 40
    # mid-stream: once the fleet end stores, and a second more
    for i in $(seq 1 300); do
        grep -q "storing" "$d/sub.log" && break
        sleep 0.1
    done
    sleep 1
    # shellcheck disable=SC2154 # set by the eval above
    kill -9 "$nats3"
    note "nats-server n3 SIGKILLed mid-stream"
    wait "$pub"
    rc=$?
    wait "$sens"
    stop_sub "$sub"
    cat "$d/pub.log" "$d/sub.log"
    [ $rc = 0 ] || fail "pub exited $rc"
    all_stored "$d" pub.log
    [ "$failed" = 0 ] || grep "ERR\|WRN" "$d/nats.log" | tail -20 >&2
    verify "$d/fleet.db" board1 "$name-n" "$(published "$d/sensor.log")" $rate
}

run_two_subs() {
    local d=$tmp/subs rate=5000 secs=8 sub2 rc i
    broker_and_sub "$d"
    bg "$mqtt" sub --db "$d/fleet.db" --port "$port" --status 0 2> "$d/sub2.log"
    sub2=$last
    stream_start "$name-d" $rate $secs "$port"
    # the sub that stores is killed; the one standing by takes over
    for i in $(seq 1 100); do
        grep -q "storing" "$d/sub.log" "$d/sub2.log" && break
        sleep 0.1
    done
    sleep 2
    if grep -q "storing" "$d/sub.log"; then
        kill -9 "$sub"; wait "$sub" 2>/dev/null; sub=$sub2
    else
        kill -9 "$sub2"; wait "$sub2" 2>/dev/null
    fi
    note "the storing sub SIGKILLed"
    wait "$pub"
    rc=$?
    wait "$sens"
    stop_sub "$sub"
    cat "$d/pub.log" "$d/sub.log" "$d/sub2.log"
    [ $rc = 0 ] || fail "pub exited $rc"
    grep -q "standing by" "$d/sub.log" "$d/sub2.log" ||
        fail "no sub stood by for the stream"
    grep -q "taken over" "$d/sub.log" "$d/sub2.log" ||
        fail "the standby sub did not take the stream over"
    all_stored "$d" pub.log
    verify "$d/fleet.db" board1 "$name-d" "$(published "$d/sensor.log")" $rate
}

run_replaced() {
    local d=$tmp/repl rate=1000 rc
    broker_and_sub "$d"
    sensor_start "$name-p" $rate 2 4096 2> "$d/sensor.log"
    local sens=$last
    sleep 0.2
    bg "$mqtt" pub --node board1 --spool "$d/spool" --port "$port" \
        --status 0 "$name-p" 2> "$d/pub.log"
    local pub=$last
    wait "$sens"
    sleep 0.5
    # another width: the writer removes the region and makes a new one
    "$sensor" -n "$name-p" -r $rate -d 1 -w 2 -C 4096 -R -q 2> "$d/sensor2.log"
    wait "$pub"
    rc=$?
    stop_sub "$sub"
    cat "$d/pub.log" "$d/sub.log"
    [ $rc = 4 ] || fail "pub exited $rc on a replaced region, want 4"
    grep -q "region '$name-p' was replaced by a new one" "$d/pub.log" ||
        fail "pub did not say the region was replaced"
    all_stored "$d" pub.log
    verify "$d/fleet.db" board1 "$name-p" "$(published "$d/sensor.log")" $rate
}

run_spool_overflow() {
    local d=$tmp/so rate=5000 secs=6 rc drop gap
    broker_and_sub "$d"
    # 256 KiB: four 64 KiB segments, about 0.8 s of samples at 5 kHz
    stream_start "$name-o" $rate $secs "$port" --spool-max 256k
    sleep 1.5
    kill -9 "$broker"; wait "$broker" 2>/dev/null
    note "broker SIGKILLed for 3 s: the spool overflows"
    sleep 3
    start_mosquitto "$d/m.conf" "$port" "$d/broker.log"
    wait "$pub"
    rc=$?
    wait "$sens"
    stop_sub "$sub"
    cat "$d/pub.log" "$d/sub.log"
    [ $rc = 0 ] || fail "pub exited $rc"
    drop=$(sed -n "s/.*summary: .*lost: overrun 0, spool overflow \([0-9]*\);.*/\1/p" "$d/pub.log")
    if [ -z "$drop" ] || [ "$drop" = 0 ]; then
        fail "the pub counted no spool overflow: '$drop'"
        return
    fi
    # Dropped unacknowledged is at most what is lost: some dropped batches
    # may have been stored before the broker died, their ack lost with it.
    gap=$(sed -n "s/.*summary: .*gaps 1 (\([0-9]*\) samples: overrun 0, spool overflow \1, not held 0).*/\1/p" "$d/sub.log")
    if [ -z "$gap" ] || [ "$gap" = 0 ] || [ "$gap" -gt "$drop" ]; then
        fail "the sub's gap '$gap' is not one spool-overflow gap of 1..$drop samples"
        return
    fi
    verify "$d/fleet.db" board1 "$name-o" "$(published "$d/sensor.log")" \
        $rate "$gap" "spool overflow"
}

case $part in
basic) run_basic ;;
spool-overflow) run_spool_overflow ;;
replaced) run_replaced ;;
two-subs) run_two_subs ;;
nats) run_nats ;;
tls) run_tls ;;
broker-kill) run_broker_kill ;;
bridge-kill) run_bridge_kill ;;
three) run_three ;;
*) echo "fleet_e2e: unknown part '$part'" >&2; exit 2 ;;
esac

if [ "$failed" = 0 ]; then
    note "OK"
fi
exit $failed
