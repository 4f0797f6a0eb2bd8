#!/usr/bin/env bash
# Portti's benchmark suite (issue 8): builds release binaries, seeds a namespace with
# `portti import`, starts the server on an ephemeral port with a temporary store, drives it
# with wrk, and prints every figure beside its baseline measured in the same run.
# Not part of CI or scripts/test. See bench/README.md.
set -euo pipefail
# The whole script is one block, read before it runs: editing this file during a run
# cannot change what the run does.
{

usage() {
    cat <<'EOF'
usage: bench/run.sh [--store sqlite|postgres] [--users N] [--get-users N] [--duration S]
                    [--quick] [--rev REV] [--analyze] [--no-build] [--keep]

  --store S       sqlite (default: a file in a temporary directory) or postgres (a fresh
                  database on $BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432)
  --users N       users imported into the `bench` namespace (default 1000000): the list,
                  filter, import and memory figures are taken at this size
  --get-users N   how many of them GET user/{id} picks its random ids from (default 100000)
  --duration S    seconds of load per figure (default 15), after a 3 s warm-up
  --quick         --users 20000 --get-users 20000 --duration 5: a smoke run of a minute or two
  --rev REV       measure the committed tree of REV (e.g. HEAD), built from `git archive`
                  under bench/out/build/ with its own target dir, instead of the working tree
                  (which may hold others' uncommitted changes)
  --analyze       PostgreSQL: run ANALYZE after the import (timed apart from it), as
                  autovacuum would soon after; for servers with autovacuum off
  --no-build      use the binaries already built
  --keep          keep the temporary directory (data, logs) and the PostgreSQL databases

Environment: BENCH_STORE, BENCH_USERS, BENCH_GET_USERS, BENCH_DURATION, BENCH_WARMUP (3),
BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_POSTGRES, BENCH_TMPDIR (the temporary
directory's parent; default $TMPDIR or /tmp), CARGO_BUILD_JOBS (e.g. 1 on a busy machine).
Results: the table on stdout and under bench/out/<date>-<store>/ (with wrk's raw output).
EOF
}

STORE=${BENCH_STORE:-sqlite}
USERS=${BENCH_USERS:-1000000}
GET_USERS=${BENCH_GET_USERS:-100000}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
PG_BASE=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
BUILD=1
KEEP=0
REV=
ANALYZE=0
while [ $# -gt 0 ]; do
    case $1 in
        --store) STORE=${2:?--store needs a value}; shift ;;
        --store=*) STORE=${1#*=} ;;
        --users) USERS=${2:?--users needs a value}; shift ;;
        --users=*) USERS=${1#*=} ;;
        --get-users) GET_USERS=${2:?--get-users needs a value}; shift ;;
        --get-users=*) GET_USERS=${1#*=} ;;
        --duration) DURATION=${2:?--duration needs a value}; shift ;;
        --duration=*) DURATION=${1#*=} ;;
        --quick) USERS=20000 GET_USERS=20000 DURATION=5 ;;
        --rev) REV=${2:?--rev needs a value}; shift ;;
        --rev=*) REV=${1#*=} ;;
        --analyze) ANALYZE=1 ;;
        --no-build) BUILD=0 ;;
        --keep) KEEP=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case $STORE in sqlite | postgres) ;; *) echo "bench: --store must be sqlite or postgres" >&2; exit 2 ;; esac
for n in USERS GET_USERS DURATION WARMUP CONNECTIONS THREADS; do
    [[ ${!n} =~ ^[0-9]+$ ]] || { echo "bench: $n must be a whole number, not '${!n}'" >&2; exit 2; }
done
[ "$GET_USERS" -le "$USERS" ] || GET_USERS=$USERS
[ "$USERS" -ge 1 ] || { echo "bench: --users must be at least 1" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
export BENCH_LUA=$BENCH/lua
PORTTI=${CARGO_TARGET_DIR:-$ROOT/target}/release/portti
SRC=$ROOT
if [ -n "$REV" ]; then
    REV_ID=$(git -C "$ROOT" rev-parse --verify --short "$REV^{commit}") || { echo "bench: unknown revision $REV" >&2; exit 2; }
    SRC=$BENCH/out/build/src-$REV_ID
    PORTTI=$BENCH/out/build/target/release/portti
fi
BASE_BIN=$BENCH/baselines/target/release
NS=bench

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- tools
need() {
    local tool=$1 package=${2:-$1}
    command -v "$tool" >/dev/null && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing $package (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null; } ||
            die "$tool is missing and 'apt-get install $package' failed"
    fi
    command -v "$tool" >/dev/null || die "$tool is missing: install the Debian package $package"
}
need wrk
need jq
need curl
need base64 coreutils
need cargo cargo
if [ "$STORE" = postgres ]; then need psql postgresql-client; fi

# ---------------------------------------------------------------- clean-up
TMP=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/portti-bench.XXXXXX")
PIDS=()
DATABASES=()
cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "$KEEP" = 1 ]; then
        log "kept $TMP${DATABASES[*]:+ and the databases ${DATABASES[*]}}"
    else
        for db in "${DATABASES[@]}"; do
            psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
        done
        rm -rf "$TMP"
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build
if [ "$BUILD" = 1 ]; then
    if [ -n "$REV" ]; then
        if [ ! -d "$SRC" ]; then
            mkdir -p "$SRC.tmp"
            git -C "$ROOT" archive "$REV_ID" | tar -x -C "$SRC.tmp" && mv "$SRC.tmp" "$SRC"
        fi
        log "building portti $REV_ID (release, committed tree in $SRC)"
        (cd "$SRC" && cargo build --release --quiet --bin portti --target-dir "$BENCH/out/build/target") ||
            die "cargo build of portti $REV_ID failed"
        echo "$REV_ID" >"$BENCH/out/build/built-rev"
    else
        log "building portti (release, working tree)"
        (cd "$ROOT" && cargo build --release --quiet --bin portti) || die "cargo build of portti failed"
    fi
    log "building the baselines (bench/baselines, release)"
    cargo build --release --quiet --manifest-path "$BENCH/baselines/Cargo.toml" \
        --target-dir "$BENCH/baselines/target" || die "cargo build of bench/baselines failed"
fi
if [ -n "$REV" ] && [ "$BUILD" = 0 ]; then
    built=$(cat "$BENCH/out/build/built-rev" 2>/dev/null || echo nothing)
    [ "$built" = "$REV_ID" ] || die "the portti under bench/out/build was built from $built, not $REV_ID (run without --no-build)"
fi
for bin in "$PORTTI" "$BASE_BIN/bare_http" "$BASE_BIN/raw_insert" "$BASE_BIN/gen_users"; do
    [ -x "$bin" ] || die "$bin is missing (run without --no-build)"
done
"$PORTTI" import --help >/dev/null 2>&1 || die "this portti has no 'import' command (issue 8, item 1), which seeding needs"

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=$BENCH/out/$STAMP-$STORE
mkdir -p "$OUT/raw"
if [ -n "$REV" ]; then
    COMMIT="$REV_ID (committed tree)"
else
    COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no -- crates Cargo.toml Cargo.lock 2>/dev/null)" ]; then
        COMMIT="$COMMIT + uncommitted changes of the working tree"
    fi
fi

# ---------------------------------------------------------------- store
# Only the stores made here: never a database or configuration from the caller's environment.
unset PORTTI_DATABASE_URL PORTTI_CONFIG PORTTI_PUBLIC_URL PORTTI_SMTP_URL PORTTI_SMS_WEBHOOK_URL
export PORTTI_BOOTSTRAP_CLIENT_ID=benchclient000000000001
export PORTTI_BOOTSTRAP_CLIENT_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '=+/\n')
export BENCH_AUTH=$(printf '%s:%s' "$PORTTI_BOOTSTRAP_CLIENT_ID" "$PORTTI_BOOTSTRAP_CLIENT_SECRET" | base64 -w0)
export PORTTI_DATA_DIR=$TMP/data
RAW_URL=sqlite://$TMP/raw/raw.db
if [ "$STORE" = postgres ]; then
    DB=portti_bench_$$_$(date +%s)
    psql -q -v ON_ERROR_STOP=1 "$PG_BASE/postgres" -c "CREATE DATABASE \"$DB\"" >/dev/null ||
        die "cannot create a database on $PG_BASE (set BENCH_POSTGRES)"
    DATABASES+=("$DB")
    psql -q -v ON_ERROR_STOP=1 "$PG_BASE/postgres" -c "CREATE DATABASE \"${DB}_raw\"" >/dev/null
    DATABASES+=("${DB}_raw")
    export PORTTI_DATABASE_URL=$PG_BASE/$DB
    RAW_URL=$PG_BASE/${DB}_raw
fi
mkdir -p "$TMP/raw" "$TMP/data"

# ---------------------------------------------------------------- processes
# start NAME LOG COMMAND...: starts a server, waits for "listening on http://ADDR" in LOG,
# sets SERVER_PID and SERVER_URL.
start() {
    local name=$1 logfile=$2
    shift 2
    "$@" >"$logfile" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    local tries=0
    SERVER_URL=
    while [ -z "$SERVER_URL" ]; do
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$logfile" >&2; die "$name exited at start (log above)"; }
        [ $((tries += 1)) -le 600 ] || die "$name did not start within 60 s (see $logfile)"
        sleep 0.1
        SERVER_URL=$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$logfile" | head -1)
    done
}

stop() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local kept=()
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
    PIDS=("${kept[@]}")
}

# memory PID: "VmRSS VmHWM" in MB
memory() {
    awk '/^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 } END { printf "%.1f %.1f\n", rss / 1024, hwm / 1024 }' "/proc/$1/status"
}

api() { curl -fsS -H "Authorization: Basic $BENCH_AUTH" "$@"; }

# ---------------------------------------------------------------- wrk
# load NAME URL CONNECTIONS SCRIPT [SCRIPT ARGS...]: warm up, then a measured run; prints the
# BENCH line (JSON) and keeps wrk's whole output in raw/NAME.txt.
load() {
    local name=$1 url=$2 conns=$3 script=$4
    shift 4
    local threads=$THREADS
    [ "$conns" -ge "$threads" ] || threads=$conns
    if [ "$WARMUP" -gt 0 ]; then
        wrk -t"$threads" -c"$conns" -d"${WARMUP}s" --timeout 60s -s "$BENCH_LUA/$script" "$url" -- "$@" \
            >"$OUT/raw/$name.warmup.txt" 2>&1 || die "wrk failed (warm-up of $name): $(tail -3 "$OUT/raw/$name.warmup.txt")"
    fi
    wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 60s --latency -s "$BENCH_LUA/$script" "$url" -- "$@" \
        >"$OUT/raw/$name.txt" 2>&1 || die "wrk failed ($name): $(tail -3 "$OUT/raw/$name.txt")"
    local line
    line=$(sed -n 's/^BENCH //p' "$OUT/raw/$name.txt")
    [ -n "$line" ] || die "no result from wrk ($name), see $OUT/raw/$name.txt"
    local bad
    if [ -n "${ANY_STATUS:-}" ]; then
        bad=$(jq '.socket_errors' <<<"$line")
    else
        bad=$(jq '.non2xx + .socket_errors' <<<"$line")
    fi
    if [ "$bad" != 0 ]; then
        log "warning: $name: $(jq -r '"\(.non2xx) non-2xx answers, \(.socket_errors) socket errors of \(.requests)"' <<<"$line")"
    fi
    echo "$line"
}

# ---------------------------------------------------------------- data
# busy_percent: how much of all CPUs others use, over 2 s (run while this script is idle).
busy_percent() {
    local a b
    a=$(head -1 /proc/stat)
    sleep 2
    b=$(head -1 /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN {
        n = split(a, x, " "); split(b, y, " "); total = 0
        for (i = 2; i <= n; i++) total += y[i] - x[i]
        idle = (y[5] - x[5]) + (y[6] - x[6])
        printf "%.0f", (total > 0) ? 100 * (total - idle) / total : 0 }'
}
BUSY_START=$(busy_percent)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$BUSY_START" -gt 25 ]; then
    log "warning: other processes use $BUSY_START % of the CPUs: figures will be low"
fi
log "store: $STORE; users: $USERS (GET over $GET_USERS); ${DURATION}s per figure; data in $TMP"
log "generating $USERS users"
"$BASE_BIN/gen_users" users --count "$USERS" --out "$TMP/users.ndjson" --samples "$TMP/samples" \
    --sample-size 10000 || die "gen_users failed"

log "creating the schema, the bootstrap client and the '$NS' namespace"
start portti "$OUT/portti-setup.log" "$PORTTI" serve --listen 127.0.0.1:0
api -X POST -H 'Content-Type: application/json' -d "{\"code\":\"$NS\",\"name\":\"Benchmark\"}" \
    "$SERVER_URL/api/rest/v1/namespace" >/dev/null || die "cannot create the namespace $NS"
stop "$SERVER_PID"

log "portti import of $USERS users"
t0=$(date +%s.%N)
"$PORTTI" import "$TMP/users.ndjson" --namespace "$NS" >"$OUT/import.log" 2>&1 ||
    { tail -20 "$OUT/import.log" >&2; die "portti import failed (log above)"; }
t1=$(date +%s.%N)
IMPORT_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
log "imported in ${IMPORT_S}s: $(tail -1 "$OUT/import.log")"
STATS_NOTE=
if [ "$STORE" = postgres ]; then
    AUTOVACUUM=$(psql -At "$PORTTI_DATABASE_URL" -c 'SHOW autovacuum')
    if [ "$ANALYZE" = 1 ]; then
        t0=$(date +%s.%N)
        psql -q -v ON_ERROR_STOP=1 "$PORTTI_DATABASE_URL" -c ANALYZE >/dev/null || die "ANALYZE failed"
        t1=$(date +%s.%N)
        STATS_NOTE="autovacuum is $AUTOVACUUM; the bench ran ANALYZE after the import ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, not in the import figure)."
    else
        STATS_NOTE="autovacuum is $AUTOVACUUM; no ANALYZE by the bench (--analyze), so the planner has the statistics Portti itself left."
        [ "$AUTOVACUUM" = on ] || log "warning: autovacuum is off on this PostgreSQL and Portti's tables may have no statistics (see --analyze)"
    fi
fi

log "starting portti"
start portti "$OUT/portti.log" "$PORTTI" serve --listen 127.0.0.1:0
PORTTI_PID=$SERVER_PID
PORTTI_URL=$SERVER_URL

ALL=$(jq -rn --arg f "nsCode eq \"$NS\"" '$f|@uri')
TOTAL=$(api "$PORTTI_URL/api/rest/v1/user?filter=$ALL&count=1" | jq '.totalResults')
[ "$TOTAL" = "$USERS" ] || die "the namespace holds $TOTAL users after the import, not $USERS"

# The ids for GET: pages of 500 at random places in the namespace (through the API, so
# that nothing here depends on the schema), then $GET_USERS of those ids at random.
log "collecting $GET_USERS user ids"
PAGES=$(((USERS + 499) / 500))
WANTED=$(((GET_USERS + 499) / 500))
: >"$TMP/ids.txt"
for page in $(shuf -i "0-$((PAGES - 1))" -n "$WANTED" --random-source=<(yes)); do
    api "$PORTTI_URL/api/rest/v1/user?filter=$ALL&count=500&startIndex=$((page * 500))" |
        jq -r '.resources[].id' >>"$TMP/ids.txt" || die "cannot list the users of $NS"
done
shuf -n "$GET_USERS" --random-source=<(yes) "$TMP/ids.txt" | sed 's|^|/api/rest/v1/user/|' >"$TMP/get.paths"
[ "$(wc -l <"$TMP/get.paths")" = "$GET_USERS" ] || die "could not collect $GET_USERS user ids"
USER_BYTES=$(api -o /dev/null -w '%{size_download}' "$PORTTI_URL$(head -1 "$TMP/get.paths")")
log "a user's JSON is $USER_BYTES bytes"

paths() { "$BASE_BIN/gen_users" paths --prefix '/api/rest/v1/user?filter=' --template "$1"; }
paths 'username eq "{}"' <"$TMP/samples/usernames.txt" >"$TMP/username.paths"
paths 'emails.address eq "{}"' <"$TMP/samples/emails.txt" >"$TMP/email.paths"
paths 'name.familyName co "{}"' <"$TMP/samples/co_terms.txt" >"$TMP/co.paths"
paths "nsCode eq \"$NS\"" <<<"x" >"$TMP/first-page.paths"

# ---------------------------------------------------------------- baselines
log "baseline: bare hyper, $USER_BYTES-byte JSON body"
start bare-http "$OUT/bare-http.log" "$BASE_BIN/bare_http" --listen 127.0.0.1:0 --body-size "$USER_BYTES"
BARE=$(load bare-get "$SERVER_URL" "$CONNECTIONS" paths.lua "$TMP/get.paths")
BARE_1=$(load bare-get-1conn "$SERVER_URL" 1 paths.lua "$TMP/get.paths")
read -r BARE_RSS BARE_HWM < <(memory "$SERVER_PID")
stop "$SERVER_PID"

log "baseline: raw sqlx inserts, one transaction each, 64 tasks ($STORE)"
RAW=$("$BASE_BIN/raw_insert" --url "$RAW_URL" --tasks 64 --seconds "$DURATION" --row-bytes "$USER_BYTES" 2>"$OUT/raw/raw-insert.err") ||
    die "raw_insert failed: $(cat "$OUT/raw/raw-insert.err")"
echo "$RAW" >"$OUT/raw/raw-insert.txt"
rm -rf "$TMP/raw"

# ---------------------------------------------------------------- figures
log "GET user/{id}, $CONNECTIONS connections"
GET=$(load get "$PORTTI_URL" "$CONNECTIONS" paths.lua "$TMP/get.paths")
# Two ceilings of the same server (no targets): what a request costs before it reads a user.
log "ceilings: an unknown path, and GET user/{id} of missing ids; $CONNECTIONS connections"
echo "/bench/no-such-endpoint" >"$TMP/unknown.paths"
seq 1 10000 | sed 's|^|/api/rest/v1/user/bench-missing-|' >"$TMP/missing.paths"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$PORTTI_URL/bench/no-such-endpoint")" = 404 ] ||
    die "an unknown path did not answer 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $BENCH_AUTH" \
    "$PORTTI_URL$(head -1 "$TMP/missing.paths")")" = 404 ] || die "GET of a missing user did not answer 404"
UNKNOWN=$(ANY_STATUS=1 load unknown-path "$PORTTI_URL" "$CONNECTIONS" paths.lua "$TMP/unknown.paths")
MISSING=$(ANY_STATUS=1 load get-missing "$PORTTI_URL" "$CONNECTIONS" paths.lua "$TMP/missing.paths")
log "username eq, 1 connection"
BY_USERNAME=$(load username-eq "$PORTTI_URL" 1 paths.lua "$TMP/username.paths")
log "emails.address eq, 1 connection"
BY_EMAIL=$(load email-eq "$PORTTI_URL" 1 paths.lua "$TMP/email.paths")
log "first page with totalResults, 1 connection"
FIRST=$(load first-page "$PORTTI_URL" 1 paths.lua "$TMP/first-page.paths")
log "name.familyName co, 1 connection"
CO=$(load family-co "$PORTTI_URL" 1 paths.lua "$TMP/co.paths")
log "client_credentials grants, $CONNECTIONS connections"
TOKEN=$(load token "$PORTTI_URL" "$CONNECTIONS" token.lua)
log "create user, $CONNECTIONS connections"
WARMUP_SAVED=$WARMUP
WARMUP=0
CREATE=$(load create "$PORTTI_URL" "$CONNECTIONS" create.lua "$NS" "$STAMP")
WARMUP=$WARMUP_SAVED
read -r RSS HWM < <(memory "$PORTTI_PID")
stop "$PORTTI_PID"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_END=$(busy_percent)

# ---------------------------------------------------------------- table
f() { jq -r ".$2" <<<"$1"; }
# ratio A B: A / B with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
# pass VALUE OP LIMIT
pass() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == "<") ? v < l : v >= l; print ok ? "pass" : "FAIL" }'; }
ok_count() { jq '.requests - .non2xx' <<<"$1"; }
per_second() { jq '(.requests - .non2xx) / .seconds | . * 10 | round / 10' <<<"$1"; }
# all_per_second: every answer counts (the ceilings answer 404 by design)
all_per_second() { jq '.requests / .seconds | . * 10 | round / 10' <<<"$1"; }

get_rps=$(per_second "$GET")
bare_rps=$(per_second "$BARE")
get_ratio=$(ratio "$get_rps" "$bare_rps")
unknown_rps=$(all_per_second "$UNKNOWN")
missing_rps=$(all_per_second "$MISSING")
create_rps=$(per_second "$CREATE")
raw_rps=$(f "$RAW" per_second)
token_rps=$(per_second "$TOKEN")
bare1_p50=$(f "$BARE_1" p50_ms)
raw_import_s=$(awk -v n="$USERS" -v r="$raw_rps" 'BEGIN { if (r == 0) print "-"; else printf "%.1f", n / r }')
import_target=$(awk -v n="$USERS" 'BEGIN { printf "%.1f", 60 * n / 1000000 }')
size() { awk -v n="$1" 'BEGIN { if (n >= 1000000 && n % 1000000 == 0) printf "%dM", n / 1000000; else if (n >= 1000 && n % 1000 == 0) printf "%dk", n / 1000; else print n }'; }
U=$(size "$USERS")
G=$(size "$GET_USERS")
co_terms=$(cut -f1 "$TMP/samples/co_terms.txt" | paste -sd, -)
co_hits=$(awk -F'\t' '{ s += $2; n++ } END { printf "%d", s / n }' "$TMP/samples/co_terms.txt")

STORE_VERSION=
if [ "$STORE" = postgres ]; then
    STORE_VERSION=" ($(psql -At "$PG_BASE/postgres" -c 'SHOW server_version' 2>/dev/null | cut -d' ' -f1))"
fi
TABLE=$OUT/table.md
{
    echo "| figure | measured | baseline | ratio | target | result |"
    echo "| --- | ---: | ---: | ---: | --- | --- |"
    echo "| GET user/{id}, Basic auth, random ids over $G users, $CONNECTIONS conns | $get_rps req/s | $bare_rps req/s (bare hyper) | $get_ratio | ≥ 0.50 of baseline | $(pass "$get_ratio" '>=' 0.5) |"
    echo "| GET user/{id}, p99 latency, $CONNECTIONS conns | $(f "$GET" p99_ms) ms | $(f "$BARE" p99_ms) ms (bare hyper) | $(ratio "$(f "$GET" p99_ms)" "$(f "$BARE" p99_ms)") | < 5 ms | $(pass "$(f "$GET" p99_ms)" '<' 5) |"
    echo "| ceiling: GET of an unknown path (routing, the layers, a JSON 404; no auth, no store), $CONNECTIONS conns | $unknown_rps req/s | $bare_rps req/s (bare hyper) | $(ratio "$unknown_rps" "$bare_rps") | (none) | — |"
    echo "| ceiling: GET user/{id} of missing ids (Basic auth checked against the store, the user looked up, a JSON 404), $CONNECTIONS conns | $missing_rps req/s | $bare_rps req/s (bare hyper) | $(ratio "$missing_rps" "$bare_rps") | (none) | — |"
    echo "| username eq, $U users, p50 (1 conn) | $(f "$BY_USERNAME" p50_ms) ms | $bare1_p50 ms (bare hyper, 1 conn) | $(ratio "$(f "$BY_USERNAME" p50_ms)" "$bare1_p50") | < 5 ms | $(pass "$(f "$BY_USERNAME" p50_ms)" '<' 5) |"
    echo "| emails.address eq, $U users, p50 (1 conn) | $(f "$BY_EMAIL" p50_ms) ms | $bare1_p50 ms (bare hyper, 1 conn) | $(ratio "$(f "$BY_EMAIL" p50_ms)" "$bare1_p50") | < 5 ms | $(pass "$(f "$BY_EMAIL" p50_ms)" '<' 5) |"
    echo "| first page (100) of a $U-user namespace, exact totalResults, p50 (1 conn) | $(f "$FIRST" p50_ms) ms | $bare1_p50 ms (bare hyper, 1 conn) | $(ratio "$(f "$FIRST" p50_ms)" "$bare1_p50") | < 50 ms | $(pass "$(f "$FIRST" p50_ms)" '<' 50) |"
    echo "| name.familyName co, $U users, p50 (1 conn) | $(f "$CO" p50_ms) ms | $bare1_p50 ms (bare hyper, 1 conn) | $(ratio "$(f "$CO" p50_ms)" "$bare1_p50") | < 100 ms | $(pass "$(f "$CO" p50_ms)" '<' 100) |"
    echo "| create user without password, $CONNECTIONS conns, durable | $create_rps users/s | $raw_rps inserts/s (raw sqlx, 1 tx each) | $(ratio "$create_rps" "$raw_rps") | ≥ 5,000/s and > baseline | $(awk -v c="$create_rps" -v r="$raw_rps" 'BEGIN { print (c >= 5000 && c > r) ? "pass" : "FAIL" }') |"
    echo "| client_credentials grants, $CONNECTIONS conns | $token_rps req/s | $bare_rps req/s (bare hyper) | $(ratio "$token_rps" "$bare_rps") | ≥ 5,000/s | $(pass "$token_rps" '>=' 5000) |"
    echo "| portti import of $U users | $IMPORT_S s | $raw_import_s s (at the raw insert rate) | $(ratio "$IMPORT_S" "$raw_import_s") | < $import_target s | $(pass "$IMPORT_S" '<' "$import_target") |"
    echo "| resident memory after the run ($U users), VmHWM | $HWM MB | $BARE_HWM MB (bare hyper) | $(ratio "$HWM" "$BARE_HWM") | < 300 MB | $(pass "$HWM" '<' 300) |"
} >"$TABLE"
{
    echo
    echo "Store: $STORE$STORE_VERSION. Commit: $COMMIT. Date: $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo "Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r); temporary files on $(findmnt -no SOURCE,FSTYPE -T "$TMP" 2>/dev/null | tr -s ' ' || echo '?')."
    echo "Users: $U in one namespace (GET over $G of them); a user's JSON: $USER_BYTES bytes; ${DURATION}s of load per figure after ${WARMUP}s of warm-up; wrk with $THREADS threads."
    echo "Latency figures are taken with 1 connection (service time, no queueing). VmRSS at the end: $RSS MB."
    echo "Other processes' CPU use, over 2 s: $BUSY_START % before the run, $BUSY_END % after it; load average (1, 5, 15 min) before: $LOAD_START, after: $LOAD_END."
    echo "Import: $(tail -1 "$OUT/import.log")"
    [ -z "$STATS_NOTE" ] || echo "PostgreSQL: $STATS_NOTE"
    echo "co terms: $co_terms (each matches $co_hits users on average)."
    echo "Requests that did not answer 2xx: GET $(f "$GET" non2xx), username $(f "$BY_USERNAME" non2xx), email $(f "$BY_EMAIL" non2xx), first page $(f "$FIRST" non2xx), co $(f "$CO" non2xx), token $(f "$TOKEN" non2xx), create $(f "$CREATE" non2xx) (not counted in the rates)."
    echo "Create latency at $CONNECTIONS conns: p50 $(f "$CREATE" p50_ms) ms, p99 $(f "$CREATE" p99_ms) ms; raw insert baseline p50 $(f "$RAW" p50_ms) ms, p99 $(f "$RAW" p99_ms) ms."
} >"$OUT/notes.md"
echo
cat "$TABLE" "$OUT/notes.md"
echo
log "results in $OUT"
exit 0
}
