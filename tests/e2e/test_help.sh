#!/usr/bin/env bash
# test_help.sh - every command and subcommand answers `--help` (anywhere
# among its arguments) and `help COMMAND [SUBCOMMAND]` with its own usage on
# stdout and exit 0, without opening a ledger; the list below, the one
# `seatledger help` prints and the headings of docs/cli.md agree.
source "$(dirname "$0")/lib.sh"

COMMANDS=(
  "keys generate" "keys trust" "keys list" "keys untrust" "keys instance-public"
  "license issue" "license verify" "license check" "license add" "license list" "license show"
  "license delete"
  "users import" "users list" "users count"
  "refresh" "history" "usage export" "usage chart" "usage report" "report verify" "status" "backup"
  "ledger verify"
  "clock confirm" "clock recover"
  "token create" "token list" "token revoke"
  "serve" "notify" "addons list" "seats assign" "seats unassign" "seats list" "seats history"
  "seats check" "settings list" "settings set" "projects import" "projects list"
  "help"
)
export SEATLEDGER_DB="$TMP/never/ledger.db"

# the usage of one command: first line "usage: seatledger CMD ...", a blank
# line, then what it does
check_usage() { # NAME CMD
  expect_eq "$1: stderr" "$err" ""
  expect_eq "$1: first line" "$(head -n1 <<<"$out" | cut -c1-$((18 + ${#2})))" "usage: seatledger $2"
  checks=$((checks + 1))
  [ "$(wc -l <<<"$out")" -ge 3 ] || fail "$1: no description: $out"
}

groups=()
for cmd in "${COMMANDS[@]}"; do
  # shellcheck disable=SC2086
  run 0 "$SL" $cmd --help
  check_usage "$cmd --help" "$cmd"
  first=$out
  # shellcheck disable=SC2086
  run 0 "$SL" help $cmd
  check_usage "help $cmd" "$cmd"
  expect_eq "help $cmd = $cmd --help" "$out" "$first"
  # --help wins wherever it stands, even after other arguments
  # shellcheck disable=SC2086
  run 0 "$SL" --db "$TMP/never/ledger.db" $cmd some-argument --help
  expect_eq "$cmd ARG --help" "$out" "$first"
  group=${cmd%% *}
  [ "$group" != "$cmd" ] && [[ " ${groups[*]} " != *" $group "* ]] && groups+=("$group")
done

# a group's help lists the usage of each of its subcommands
for group in "${groups[@]}"; do
  run 0 "$SL" "$group" --help
  expect_eq "$group --help: stderr" "$err" ""
  grouphelp=$out
  run 0 "$SL" help "$group"
  expect_eq "help $group = $group --help" "$out" "$grouphelp"
  for cmd in "${COMMANDS[@]}"; do
    case $cmd in "$group "*) expect_contains "$group --help lists $cmd" "$grouphelp" "seatledger $cmd" ;; esac
  done
done

# the top-level help lists exactly the commands above, and docs/cli.md has a
# heading for each
run 0 "$SL" help
top=$out
run 0 "$SL" --help
expect_eq "--help = help" "$out" "$top"
listed=$(sed -n 's/^  \([a-z][a-z]*\)\( \([a-z-]*\)\)\?\( .*\)\?$/\1 \3/p' <<<"$top" | sed 's/ *$//' | sort -u)
expected=$(printf '%s\n' "${COMMANDS[@]}" | sort -u)
expect_eq "commands listed by 'seatledger help'" "$listed" "$expected"
for cmd in "${COMMANDS[@]}"; do
  [ "$cmd" = help ] && continue
  checks=$((checks + 1))
  grep -q "^### .*\`$cmd\b" "$SRC/docs/cli.md" || fail "docs/cli.md has no heading for '$cmd'"
done

# help never opens (or creates) a ledger
checks=$((checks + 1))
[ -e "$TMP/never" ] && fail "a help run created '$TMP/never'"

# what is not a command stays a usage error, on stderr
run 2 "$SL" help frobnicate
expect_contains "help of an unknown command" "$err" "unknown command 'frobnicate'"
run 2 "$SL" help keys frobnicate
expect_contains "help of an unknown subcommand" "$err" "unknown keys subcommand 'frobnicate'"
run 2 "$SL" keys
expect_contains "group without a subcommand" "$err" "keys needs a subcommand: generate, trust, list, untrust"
run 2 "$SL" usage
expect_contains "usage without a subcommand" "$err" "usage needs a subcommand: export, chart, report"
run 2 "$SL"
expect_contains "no command" "$err" "usage: seatledger"

finish
