#!/usr/bin/env bash
# test_crash_safety.sh - SIGKILL at random points (fixed seed, bounded
# iterations) during a CRASH_USERS-user import (default 1,000,000), a refresh
# and a license add.  After every kill the ledger must open, pass
# PRAGMA integrity_check, accept the next write, and hold exactly the state
# before or exactly the state after the operation (users count, history,
# license list): never a mix.
source "$(dirname "$0")/lib_hardening.sh"
need_cmd sqlite3 awk

USERS=${CRASH_USERS:-1000000}
ITERATIONS=${CRASH_ITERATIONS:-4}
RANDOM=${CRASH_SEED:-20261122}   # bash's generator: the same kill points every run

BASE=$TMP/base.db
WORK=$TMP/work.db

# the directory to import: u1..uN, mixed states and roles so counting has work
awk -v n="$USERS" 'BEGIN {
    print "id,username,email,state,user_type,highest_role,guest_seat,last_activity_on"
    split("active active active blocked deactivated", st, " ")
    split("guest reporter developer maintainer owner minimal_access", ro, " ")
    for (i = 1; i <= n; i++)
        printf "u%d,user%d,user%d@example.com,%s,human,%s,false,2026-%02d-%02d\n",
            i, i, i, st[i % 5 + 1], ro[i % 6 + 1], i % 12 + 1, i % 28 + 1
}' >"$TMP/big.csv"
head -n 1001 "$TMP/big.csv" >"$TMP/small.csv"

# keys with room for every user (so no add is refused for its seats)
vendor_keys "$TMP"
issue() { # issue OUT STARTS: a premium key for 2,000,000 seats
    must license issue --private-key "$TMP/vendor.pem" --licensee-name "Crash Test" \
        --licensee-email crash@example.com --licensee-company "Crash Test Ltd" --plan premium \
        --users 2000000 --starts "$2" --expires 2099-01-01 --out "$1"
}
issue "$TMP/current.key" 2026-01-01
issue "$TMP/next.key" 2026-06-01
must --db "$BASE" keys trust "$TMP/vendor.pub.pem" --name vendor
must --db "$BASE" users import "$TMP/small.csv"
must --db "$BASE" license add "$TMP/current.key"
must --db "$BASE" refresh

# What a reader of the ledger sees, as one digest.
state_of() {
    local db=$1 part
    for part in "users count" "history" "license list"; do
        # shellcheck disable=SC2086
        "$SL" --db "$db" --json $part 2>&1 || echo "exit $?"
    done | sha256sum | cut -d' ' -f1
}
fresh_copy() {
    rm -f "$WORK" "$WORK-wal" "$WORK-shm"
    cp "$BASE" "$WORK"
}
sqlite3 "$BASE" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
BEFORE=$(state_of "$BASE")

# now_ms: a monotonic-enough clock for measuring an operation
now_ms() { date +%s%3N; }

crash_op() { # crash_op NAME ARGS...: the operation, uncut once, then killed ITERATIONS times
    local name=$1 t0 took after i delay pid verdict span
    shift
    fresh_copy
    t0=$(now_ms)
    "$SL" --db "$WORK" "$@" >/dev/null 2>"$TMP/err" || die "$name failed uncut: $(cat "$TMP/err")"
    took=$(($(now_ms) - t0))
    after=$(state_of "$WORK")
    [ "$after" != "$BEFORE" ] || die "$name changed nothing; the test would prove nothing"
    echo "      $name takes $took ms uncut"
    # kill points from start-up to a quarter past the uncut time (commit,
    # checkpoint and exit included), stratified: iteration i picks a random
    # point in the i-th of ITERATIONS equal slices
    span=$((took * 5 / 4 + ITERATIONS))
    for i in $(seq 1 "$ITERATIONS"); do
        delay=$((RANDOM * 32768 + RANDOM))
        delay=$(((i - 1) * span / ITERATIONS + delay % (span / ITERATIONS)))
        fresh_copy
        begin "$name: SIGKILL after $delay ms (of $took)"
        "$SL" --db "$WORK" "$@" >/dev/null 2>&1 &
        pid=$!
        BG_PIDS+=("$pid")
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        forget_pid "$pid"
        check=$(sqlite3 "$WORK" 'PRAGMA integrity_check;' 2>&1)
        [ "$check" = ok ] || flunk "integrity_check: $check"
        verdict=$(state_of "$WORK")
        if [ "$verdict" = "$BEFORE" ]; then
            echo "      state before"
        elif [ "$verdict" = "$after" ]; then
            echo "      state after"
        else
            flunk "the ledger holds neither the state before nor the state after"
            for part in "users count" "license list"; do
                # shellcheck disable=SC2086
                echo "      $part: $("$SL" --db "$WORK" --json $part 2>&1 | head -c 300)"
            done
        fi
        # the ledger is not left locked or read-only: the next write works
        sl --db "$WORK" refresh
        expect_rc 0
        end
    done
}

crash_op "users import of $USERS users" users import "$TMP/big.csv"
crash_op "refresh" refresh
crash_op "license add" license add "$TMP/next.key"

finish $((3 * ITERATIONS))
