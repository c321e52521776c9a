#!/usr/bin/env bash
# Installs the Debian packages seatledger needs to build and test, when any
# is missing.  Safe to run repeatedly; needs root (or sudo) only to install.
# An argument COMMAND=PACKAGE installs PACKAGE only when COMMAND is not on
# the PATH (node and npm may come from another repository than Debian's,
# whose nodejs then conflicts with Debian's npm package).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libsqlite3-dev libssl-dev libcsv-dev
      libcmocka-dev libjansson-dev libmicrohttpd-dev libjwt-dev libcurl4-openssl-dev
      sqlite3 curl python3 python3-gitlab python3-cryptography python3-jwt ruby "$@")
missing=()
for p in "${pkgs[@]}"; do
  case $p in
    *=*) command -v "${p%%=*}" >/dev/null 2>&1 || missing+=("${p#*=}"); continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
