#!/usr/bin/env bash
# The Debian packages, as scripts/test.sh's "packages" stage: `cpack -G DEB`
# from a tree configured as a package build (build-deb/), lintian with no
# error, then `dpkg --root` of all three into a clean Debian 12 root made by
# debootstrap (minbase plus what the packages depend on; cached in
# $SL_DEBOOTSTRAP_CACHE, default /var/cache/seatledger-test, and copied
# afresh for every run).  In that root: the postinst made the system user and
# the state directory and enabled the refresh timer, the packaged command
# records a snapshot as that user, examples/embed.c builds with nothing but
# cc and pkg-config against the root's installed packages (pkg-config's
# sysroot; the root has no compiler) and runs there, and remove/purge keep
# the ledger.
#
# Needs root.  Exit 0 when every check passed, 77 (with the reason) when a
# tool or the Debian root cannot be had here, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
BUILD=${DEB_BUILD_DIR:-$SRC/build-deb}
CACHE=${SL_DEBOOTSTRAP_CACHE:-/var/cache/seatledger-test}
SUITE=bookworm
NOW=2026-11-22T12:00:00Z
failures=0
checks=0

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_eq() { # NAME ACTUAL EXPECTED
  checks=$((checks + 1))
  [ "$2" = "$3" ] || fail "$1: got
---
$2
---
expected
---
$3
---"
}
expect_ok() { # NAME CMD...: the command exits 0 (its output shown when not)
  local name=$1 o; shift
  checks=$((checks + 1))
  o=$("$@" 2>&1) || fail "$name: '$*' failed: $o"
}
finish() {
  echo "$((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
  exit $?
}

[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg --root runs the maintainer scripts in a chroot)"
for tool in cpack dpkg-deb lintian debootstrap chroot; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/deps.sh lintian debootstrap)"
done

# --- build the packages -------------------------------------------------------
echo "building the packages in $BUILD"
mkdir -p "$BUILD"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DCMAKE_INSTALL_SYSCONFDIR=/etc -DSL_DEBIAN_LAYOUT=ON -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON \
  >"$BUILD/configure.log" 2>&1 || { cat "$BUILD/configure.log"; fail "configure"; finish; }
cmake --build "$BUILD" -j"$(nproc)" --target seatledger_cli seatledger_shared seatledger \
  manpages debian_changelog >"$BUILD/build.log" 2>&1 || { tail -n 40 "$BUILD/build.log"; fail "build"; finish; }
rm -f "$BUILD"/*.deb
(cd "$BUILD" && cpack -G DEB >cpack.log 2>&1) || { cat "$BUILD/cpack.log"; fail "cpack"; finish; }
VERSION=$(sed -n 's/^project(seatledger VERSION \([0-9.]*\) .*/\1/p' "$SRC/CMakeLists.txt")-1
ARCH=$(dpkg --print-architecture)
DEBS=("$BUILD/seatledger_${VERSION}_$ARCH.deb" "$BUILD/libseatledger0_${VERSION}_$ARCH.deb"
      "$BUILD/libseatledger-dev_${VERSION}_$ARCH.deb")
expect_eq "the three packages" "$(cd "$BUILD" && ls ./*.deb | sort)" \
  "$(for d in "${DEBS[@]}"; do echo "./${d##*/}"; done | sort)"

# --- lintian: no error --------------------------------------------------------
checks=$((checks + 1))
if lintian --fail-on error --display-level ">=warning" "${DEBS[@]}" >"$BUILD/lintian.log" 2>&1; then
  echo "lintian: no error ($(grep -c '^W:' "$BUILD/lintian.log") warnings, in $BUILD/lintian.log)"
else
  cat "$BUILD/lintian.log"
  fail "lintian reports errors"
fi

# --- a clean Debian 12 root -----------------------------------------------------
# what the packages need from Debian (libc6-dev: the -dev packages' "libc-dev"
# alternative, which debootstrap does not resolve by itself)
deps=$(for d in "${DEBS[@]}"; do dpkg-deb -f "$d" Depends; echo ","; done |
       tr ',' '\n' | sed 's/([^)]*)//; s/|.*//; s/ //g' | grep -v -e '^$' -e '^libseatledger' | sort -u)
include=$(echo $deps libc6-dev | tr ' ' ',')
key=$(echo "$SUITE $include" | sha256sum | cut -c1-12)
pristine=$CACHE/$SUITE-$key
if [ ! -x "$pristine/usr/bin/dpkg" ]; then
  # the mirror this machine's apt is set up with (Debian's main archive)
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [ -n "$mirror" ] || skip "no Debian mirror in this machine's apt sources for debootstrap"
  echo "making the Debian $SUITE root in $pristine (once; includes $include)"
  rm -rf "$pristine.tmp"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase --include="$include" "$SUITE" "$pristine.tmp" "$mirror" \
    >"$CACHE/debootstrap-$key.log" 2>&1 ||
    { tail -n 20 "$CACHE/debootstrap-$key.log"; rm -rf "$pristine.tmp"; skip "debootstrap of $SUITE failed (log above)"; }
  rm -rf "$pristine.tmp/var/cache/apt/archives"/*.deb
  mv "$pristine.tmp" "$pristine"
fi
R=$BUILD/root
rm -rf "$R"
cp -a "$pristine" "$R"
cleanup() { rm -rf "$R"; }
trap cleanup EXIT
in_root() { chroot "$R" "$@"; }

# --- install -------------------------------------------------------------------
if ! dpkg --root="$R" --force-not-root -i "${DEBS[@]}" >"$BUILD/dpkg.log" 2>&1; then
  cat "$BUILD/dpkg.log"
  fail "dpkg -i of the three packages"
  finish
fi
expect_eq "installed" "$(in_root dpkg-query -W -f '${Package} ${Status}\n' seatledger libseatledger0 libseatledger-dev)" \
  "libseatledger-dev install ok installed
libseatledger0 install ok installed
seatledger install ok installed"
user=$(in_root getent passwd seatledger)
expect_eq "system user" "$(cut -d: -f1,5-7 <<<"$user")" \
  "seatledger:seatledger license ledger,,,:/var/lib/seatledger:/usr/sbin/nologin"
uid=$(cut -d: -f3 <<<"$user")
checks=$((checks + 1))
[ -n "$uid" ] && [ "$uid" -lt 1000 ] || fail "the user is not a system user (uid '$uid')"
expect_eq "system group" "$(in_root getent group seatledger | cut -d: -f1)" seatledger
expect_eq "state directory" "$(in_root stat -c '%U %G %a' /var/lib/seatledger)" "seatledger seatledger 700"
expect_eq "refresh timer enabled" \
  "$(readlink "$R/etc/systemd/system/timers.target.wants/seatledger-refresh.timer")" \
  "/lib/systemd/system/seatledger-refresh.timer"
expect_eq "the server is not enabled by itself" \
  "$(ls "$R/etc/systemd/system/multi-user.target.wants/" 2>/dev/null | grep -c seatledger)" 0
expect_eq "conffiles" "$(in_root dpkg-query -W -f '${Conffiles}\n' seatledger | awk 'NF {print $1}')" \
  "/etc/cron.d/seatledger
/etc/default/seatledger"
expect_eq "the library is in ld.so's cache" \
  "$(in_root ldconfig -p | grep -c 'libseatledger.so.0 ')" 1
expect_eq "packaged command" "$(in_root seatledger --version)" "seatledger ${VERSION%-1}"
checks=$((checks + 1))
out=$(chroot --userspec=seatledger:seatledger "$R" env SEATLEDGER_NOW=$NOW \
      /usr/bin/seatledger --db /var/lib/seatledger/ledger.db refresh 2>&1) ||
  fail "refresh as the seatledger user: $out"
expect_eq "refresh as the seatledger user" "$out" "recorded 0 billable users at 2026-11-22 12:00:00 UTC"
expect_eq "the ledger is the user's, 0600" "$(in_root stat -c '%U %a' /var/lib/seatledger/ledger.db)" \
  "seatledger 600"

# --- the embedding example, against the installed packages --------------------
cp "$SRC/fixtures/gitlab-license/public.pem" "$SRC/fixtures/gitlab-license/01_premium_basic.gitlab-license" "$R/tmp/"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
export PKG_CONFIG_SYSROOT_DIR=$R
export PKG_CONFIG_LIBDIR=$R/usr/lib/$multiarch/pkgconfig:$R/usr/share/pkgconfig
expect_eq "pkg-config of the installed -dev package" "$(echo $(pkg-config --cflags --libs seatledger))" \
  "-I$R/usr/include -L$R/usr/lib/$multiarch -lseatledger"
# shellcheck disable=SC2046
expect_ok "embed.c builds with cc and pkg-config only" \
  cc "$R/usr/share/doc/libseatledger-dev/examples/embed.c" $(pkg-config --cflags --libs seatledger) -o "$R/tmp/embed"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
expect_eq "embed runs in the root" "$(in_root env SEATLEDGER_NOW=$NOW /tmp/embed /tmp/embed.db /tmp/public.pem \
  /tmp/01_premium_basic.gitlab-license 2>&1)" "license 1: premium, licensee Ada Lovelace
expires on 2099-12-31
seats 100
billable users 0
maximum users 0
users over license 0"

# --- reinstall, remove, purge --------------------------------------------------
expect_ok "reinstall" dpkg --root="$R" --force-not-root -i "${DEBS[0]}"
expect_ok "remove" dpkg --root="$R" --force-not-root -r seatledger
expect_ok "purge" dpkg --root="$R" --force-not-root -P seatledger
expect_eq "purge keeps the ledger (billing evidence)" "$(ls "$R/var/lib/seatledger")" "ledger.db"
expect_eq "purge removes the conffiles" "$(ls "$R/etc/cron.d/seatledger" "$R/etc/default/seatledger" 2>/dev/null)" ""
finish
