#!/usr/bin/env bash
# End-to-end: `cmake --install` of this build, with --prefix and with
# DESTDIR: the files and their modes, the shared library's SONAME and links,
# the static archive, the pkg-config file, the man page (no groff or man
# warning), the systemd units (systemd-analyze verify, when there), and
# examples/embed.c built with nothing but
# `cc examples/embed.c $(pkg-config --cflags --libs seatledger)` against the
# installed tree, then run.
source "$(dirname "$0")/lib.sh"

BIN=${SL_BINARY_DIR:?}
command -v cmake >/dev/null || { echo "SKIP: cmake is not installed"; exit 77; }
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config is not installed"; exit 77; }
P=$TMP/prefix

run 0 cmake --install "$BIN" --prefix "$P"
files=$(cd "$P" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort)
# the docs: README.md, every docs/*.md and *.png, the Prometheus rules, the example
docs=$( { echo README.md; echo prometheus-rules.yml; echo examples/embed.c
          (cd "$SRC/docs" && ls ./*.md ./*.png | sed 's|^\./||'); } | sed 's|^|share/doc/seatledger/|')
expect_eq "installed files" "$files" "$( { printf '%s\n' bin/seatledger etc/cron.d/seatledger \
  etc/default/seatledger include/seatledger.h lib/libseatledger.a lib/libseatledger.so \
  lib/libseatledger.so.0 lib/libseatledger.so.0.1.0 lib/pkgconfig/seatledger.pc \
  lib/systemd/system/seatledger-refresh.service lib/systemd/system/seatledger-refresh.timer \
  lib/systemd/system/seatledger.service share/man/man1/seatledger.1.gz; echo "$docs"; } | sort)"
expect_eq "links" "$(readlink "$P/lib/libseatledger.so") $(readlink "$P/lib/libseatledger.so.0")" \
  "libseatledger.so.0 libseatledger.so.0.1.0"
expect_eq "SONAME" "$(readelf -d "$P/lib/libseatledger.so.0.1.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" \
  "libseatledger.so.0"
expect_eq "cron file mode" "$(stat -c %a "$P/etc/cron.d/seatledger")" 644
expect_contains "static archive holds the engine" "$(ar t "$P/lib/libseatledger.a")" "status.c.o"
# the files that name installed paths point into the prefix installed to
expect_contains "unit names the installed binary" "$(cat "$P/lib/systemd/system/seatledger.service")" \
  "ExecStart=$P/bin/seatledger --db /var/lib/seatledger/ledger.db serve \$SEATLEDGER_SERVE_ARGS"
expect_contains "cron names the installed binary" "$(cat "$P/etc/cron.d/seatledger")" \
  "0 12 * * * seatledger [ -d /run/systemd/system ] || $P/bin/seatledger --db /var/lib/seatledger/ledger.db refresh --source cron"

export PKG_CONFIG_PATH=$P/lib/pkgconfig
run 0 pkg-config --cflags --libs seatledger
expect_eq "pkg-config" "$(echo $out)" "-I$P/include -L$P/lib -lseatledger"
run 0 pkg-config --modversion seatledger
expect_eq "pkg-config version" "$out" "0.1.0"

# --- the embedding example, as an embedder builds it -------------------------
cc_extra=()
# a sanitized build's library needs the sanitizer runtimes at link time
grep -q '^SL_SANITIZE:BOOL=ON' "$BIN/CMakeCache.txt" 2>/dev/null && cc_extra=(-fsanitize=address,undefined)
# shellcheck disable=SC2046
run 0 cc "$SRC/examples/embed.c" $(pkg-config --cflags --libs seatledger) "${cc_extra[@]}" -o "$TMP/embed"
expect_contains "embed links the shared library" "$(readelf -d "$TMP/embed")" "[libseatledger.so.0]"
LD_LIBRARY_PATH=$P/lib run 0 "$TMP/embed" "$TMP/embedded.db" \
  "$SRC/fixtures/gitlab-license/public.pem" "$SRC/fixtures/gitlab-license/01_premium_basic.gitlab-license"
expect_eq "embed output" "$out" "license 1: premium, licensee Ada Lovelace
expires on 2099-12-31
seats 100
billable users 0
maximum users 0
users over license 0"
LD_LIBRARY_PATH=$P/lib run 1 "$TMP/embed" "$TMP/embedded.db" \
  "$SRC/fixtures/gitlab-license/public.pem" "$SRC/fixtures/gitlab-license/50_garbage_text.gitlab-license"
expect_contains "embed refuses a bad key" "$err" "embed: The license key is invalid."
# the CLI reads what the library wrote
run 0 "$P/bin/seatledger" --db "$TMP/embedded.db" --json license list
expect_contains "CLI sees the embedded import" "$out" '"plan":"premium"'

# --- the man page: no warning from groff or man -----------------------------
gunzip -c "$P/share/man/man1/seatledger.1.gz" >"$TMP/seatledger.1"
expect_eq "installed man page is the source" "$(cmp "$TMP/seatledger.1" "$SRC/docs/man/seatledger.1" && echo same)" same
run 0 env LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$TMP/seatledger.1"
expect_eq "groff -ww warnings" "$err" ""
run 0 env LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$P/share/man/man1/seatledger.1.gz"
expect_eq "man --warnings" "$err" ""
expect_contains "man page renders its sections" "$out" "NOTIFY"

# --- the systemd units ------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify needs the binary the units name; check them against this prefix
  # (the man page is checked above; verify would look for it in the system's)
  run 0 env SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
    "$P/lib/systemd/system/seatledger.service" "$P/lib/systemd/system/seatledger-refresh.service" \
    "$P/lib/systemd/system/seatledger-refresh.timer"
  expect_eq "systemd-analyze verify: no unknown key, no bad value" "$err" ""
fi
for u in seatledger.service seatledger-refresh.service; do
  unit=$(cat "$P/lib/systemd/system/$u")
  for d in User=seatledger ProtectSystem=strict StateDirectory=seatledger NoNewPrivileges=yes \
           PrivateTmp=yes ProtectHome=yes CapabilityBoundingSet= SystemCallFilter=@system-service; do
    expect_contains "$u hardened: $d" "$unit" "
$d"
  done
done

# --- DESTDIR staging: the files point at the prefix, not the stage -----------
run 0 env DESTDIR="$TMP/stage" cmake --install "$BIN" --prefix /opt/sl
expect_eq "staged pkg-config prefix" "$(sed -n 's/^prefix=//p' "$TMP/stage/opt/sl/lib/pkgconfig/seatledger.pc")" \
  "/opt/sl"
expect_contains "staged unit" "$(cat "$TMP/stage/opt/sl/lib/systemd/system/seatledger-refresh.service")" \
  "ExecStart=/opt/sl/bin/seatledger --db /var/lib/seatledger/ledger.db refresh --source cron"
finish
