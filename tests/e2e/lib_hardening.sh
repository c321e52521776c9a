# lib_hardening.sh - sourced by the hardening end-to-end tests (hostile
# input, access, concurrency, crash safety): a scratch directory, running the
# CLI with exit code and output captured, named cases with assertions and
# known failures, ledger fingerprints that are meaningful under WAL, and a
# `seatledger serve` on an ephemeral port.
# shellcheck shell=bash

set -u
SL=${SEATLEDGER:?SEATLEDGER must name the seatledger binary}
SRC=${SL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FIX=$SRC/fixtures/gitlab-license
KEYTOOL=$SRC/tests/e2e/keytool.py
# one fixed clock (the as_of date of the fixture verdicts)
export SEATLEDGER_NOW=${SEATLEDGER_NOW:-2026-11-22T12:00:00Z}
unset SEATLEDGER_DB
MSG_KEY_INVALID="The license key is invalid. Make sure it is exactly as you received it."

TMP=$(mktemp -d "${TMPDIR:-/tmp}/seatledger-e2e-XXXXXX")
BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    # KEEP_TMP=1 keeps the scratch directory for a post-mortem
    [ -n "${KEEP_TMP:-}" ] && { echo "kept $TMP"; return; }
    chmod -R u+rwX "$TMP" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
need_cmd() {
    local c
    for c; do command -v "$c" >/dev/null 2>&1 || skip "'$c' is not installed"; done
}
die() { echo "FATAL: $*" >&2; exit 1; }

# ---- running the CLI -------------------------------------------------------

# sl ARGS...: run the CLI with stdin from /dev/null; sets RC, output in
# $TMP/out and $TMP/err.  sl_in FILE ARGS...: the same with stdin from FILE.
sl() { "$SL" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null; RC=$?; }
sl_in() { local f=$1; shift; "$SL" "$@" >"$TMP/out" 2>"$TMP/err" <"$f"; RC=$?; }
# must ARGS...: run the CLI and stop the test unless it succeeds.
must() {
    sl "$@"
    [ "$RC" -eq 0 ] || die "setup step '$*' failed ($RC): $(cat "$TMP/err")"
}

# ---- ledger fingerprints -----------------------------------------------------

# The committed state of a ledger, byte for byte: checkpoint the WAL into the
# main file (TRUNCATE leaves the -wal empty), then hash the main file, any WAL
# bytes left over, and the logical dump.  An aborted transaction leaves no
# commit frame, so it cannot change this; a committed one always does.
ledger_state() {
    local db=$1
    if [ ! -e "$db" ]; then
        echo "absent"
        return
    fi
    sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1 || echo "checkpoint failed"
    sha256sum <"$db"
    if [ -s "$db-wal" ]; then
        echo "wal holds uncheckpointed bytes"
        sha256sum <"$db-wal"
    fi
    sqlite3 "$db" .dump 2>&1 | sha256sum
}

# ---- cases -------------------------------------------------------------------

NCASES=0
NPASSED=0
NFAILED=0
NXFAIL=0
CASE=""
CASE_KNOWN=""
CASE_ERRS=()
CASE_DB=""
CASE_STATE=""
FAILED_NAMES=()

# begin NAME [DB]: start a case; with DB, its state is remembered for
# expect_unchanged.  known_failure REASON (after begin) marks a case whose
# fix belongs to another module: it is run and reported, but only an
# unexpected pass is news.
begin() {
    CASE=$1
    CASE_DB=${2:-}
    CASE_KNOWN=""
    CASE_ERRS=()
    NCASES=$((NCASES + 1))
    CASE_STATE=""
    [ -n "$CASE_DB" ] && CASE_STATE=$(ledger_state "$CASE_DB")
    return 0
}
known_failure() { CASE_KNOWN=$1; }
flunk() { CASE_ERRS+=("$*"); }

expect_rc() {
    [ "$RC" -eq "$1" ] || flunk "exit code $RC, expected $1"
}
# expect_err TEXT: stderr contains TEXT (fixed string)
expect_err() {
    grep -qF -- "$1" "$TMP/err" || flunk "stderr lacks '$1'"
}
expect_out() {
    grep -qF -- "$1" "$TMP/out" || flunk "stdout lacks '$1'"
}
# every stderr line is a "seatledger: " message: nothing from a crash, an
# abort or a sanitizer, and the message is not empty
expect_clean_error() {
    if [ ! -s "$TMP/err" ]; then
        flunk "no error message"
    elif grep -qv '^seatledger: \|^Try .seatledger help. for usage\.$' "$TMP/err"; then
        flunk "stderr has lines that are not seatledger messages"
    elif grep -q '^seatledger: *$' "$TMP/err"; then
        flunk "empty error message"
    fi
}
expect_unchanged() {
    local now
    now=$(ledger_state "$CASE_DB")
    [ "$now" = "$CASE_STATE" ] || flunk "ledger '$CASE_DB' changed"
}

end() {
    local e
    if [ ${#CASE_ERRS[@]} -eq 0 ]; then
        if [ -n "$CASE_KNOWN" ]; then
            echo "XPASS $CASE (known failure now passes: drop the mark; was: $CASE_KNOWN)"
        else
            echo "ok    $CASE"
        fi
        NPASSED=$((NPASSED + 1))
        return 0
    fi
    if [ -n "$CASE_KNOWN" ]; then
        echo "XFAIL $CASE (known failure: $CASE_KNOWN)"
        NXFAIL=$((NXFAIL + 1))
    else
        echo "FAIL  $CASE"
        NFAILED=$((NFAILED + 1))
        FAILED_NAMES+=("$CASE")
    fi
    for e in "${CASE_ERRS[@]}"; do echo "      - $e"; done
    echo "      stderr: $(head -c 400 "$TMP/err" 2>/dev/null | tr '\n' '|')"
    return 0
}

# finish [MIN_CASES]: summary and exit status
finish() {
    local min=${1:-0}
    echo "$NCASES cases: $NPASSED passed, $NFAILED failed, $NXFAIL known failures"
    if [ "$NCASES" -lt "$min" ]; then
        echo "FAIL: only $NCASES cases ran, expected at least $min"
        exit 1
    fi
    if [ "$NFAILED" -gt 0 ]; then
        printf 'failed: %s\n' "${FAILED_NAMES[@]}"
        exit 1
    fi
    exit 0
}

# ---- keys and licenses -------------------------------------------------------

# fixture KEYNAME: path of a fixture key (fails the test when missing)
fixture() {
    local f=$FIX/$1.gitlab-license
    [ -f "$f" ] || die "fixture '$f' is missing"
    echo "$f"
}

# vendor_keys DIR: a fresh vendor key pair DIR/vendor.pem + DIR/vendor.pub.pem
vendor_keys() {
    must keys generate --private "$1/vendor.pem" --public "$1/vendor.pub.pem"
}

# forge PAYLOAD_FILE PRIVATE_PEM OUT: a key for exactly these payload bytes,
# written by keytool.py with the openssl command (not by the engine)
forge() {
    python3 "$KEYTOOL" forge "$1" "$2" >"$3" || die "keytool forge failed"
}

# ---- HTTP --------------------------------------------------------------------

# serve_start DB [ARGS...]: run `seatledger serve` on an ephemeral port of
# 127.0.0.1 in the background (stderr in $TMP/serve.err) and wait for its
# "listening on http://HOST:PORT" line.  Sets PORT and SERVE_PID.
serve_start() {
    local db=$1 waited=0
    shift
    : >"$TMP/serve.err"
    "$SL" --db "$db" serve --listen 127.0.0.1:0 "$@" >"$TMP/serve.out" 2>"$TMP/serve.err" &
    SERVE_PID=$!
    BG_PIDS+=("$SERVE_PID")
    PORT=""
    # generous: under valgrind the server starts slowly
    while [ -z "$PORT" ]; do
        PORT=$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$TMP/serve.err")
        [ -n "$PORT" ] && break
        kill -0 "$SERVE_PID" 2>/dev/null || die "serve exited: $(cat "$TMP/serve.err")"
        sleep 0.1
        waited=$((waited + 1))
        [ "$waited" -lt 1200 ] || die "serve did not start within 120 s"
    done
}
# serve_stop: SIGTERM and wait; SERVE_RC is the server's exit status
serve_stop() {
    kill "$SERVE_PID" 2>/dev/null
    wait "$SERVE_PID" 2>/dev/null
    SERVE_RC=$?
    forget_pid "$SERVE_PID"
    return 0
}
# forget_pid PID: a background process that has been reaped (its id may be
# reused, so cleanup must not signal it)
forget_pid() {
    local keep=() p
    for p in "${BG_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    BG_PIDS=("${keep[@]}")
}

# http METHOD PATH [CURL ARGS...]: one request to the server; sets STATUS,
# body in $TMP/body, headers in $TMP/headers.
http() {
    local method=$1 path=$2
    shift 2
    STATUS=$(curl -s -g -X "$method" -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
        --max-time 30 "$@" "http://127.0.0.1:$PORT$path") || STATUS=000
}
expect_status() {
    [ "$STATUS" = "$1" ] || flunk "HTTP status $STATUS, expected $1 (body: $(head -c 200 "$TMP/body"))"
}
expect_body() {
    local body
    body=$(cat "$TMP/body")
    [ "$body" = "$1" ] || flunk "body '$(head -c 200 "$TMP/body")', expected '$1'"
}
expect_body_has() {
    grep -qF -- "$1" "$TMP/body" || flunk "body lacks '$1': $(head -c 200 "$TMP/body")"
}
expect_server_alive() {
    kill -0 "$SERVE_PID" 2>/dev/null || flunk "the server died: $(tail -c 400 "$TMP/serve.err")"
}

# raw_http FILE: send FILE's bytes to the server on one connection and read
# until the server closes it or 5 s pass.  The reply is in $TMP/raw.reply;
# RAW_STATUSES lists its status lines joined by '|', RAW_END is "eof" when
# the server closed the connection, "open" when it kept it.
raw_http() {
    python3 - "$PORT" "$1" "$TMP/raw.reply" >"$TMP/raw.end" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(open(sys.argv[2], "rb").read())
reply, end = b"", "open"
try:
    while True:
        b = s.recv(65536)
        if not b:
            end = "eof"
            break
        reply += b
except socket.timeout:
    pass
except ConnectionResetError:
    end = "eof"
open(sys.argv[3], "wb").write(reply)
print(end)
PYEOF
    RAW_END=$(cat "$TMP/raw.end")
    RAW_STATUSES=$(grep -a -o 'HTTP/1\.[01] [0-9][0-9][0-9]' "$TMP/raw.reply" | paste -sd'|' -)
}
