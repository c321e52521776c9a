# lib_npm.sh - the pinned npm packages of the end-to-end tests (sourced):
# installed once into a cache folder outside the tree (SL_NPM_CACHE, default
# ~/.cache/seatledger-npm), all of them together so that one install never
# prunes another's, under a lock so tests running at once do not race.
# Nothing else is downloaded at test time.  npm_ready returns 77 (skip) when
# node or npm is missing or the install fails.
SL_NPM_PACKAGES=(graphql@16.9.0 graphql-request@7.1.2 @graphql-typed-document-node/core@3.2.0
                 playwright-core@1.65.1 axe-core@4.14.1)
NPM_CACHE=${SL_NPM_CACHE:-$HOME/.cache/seatledger-npm}

npm_ready() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "skip: node or npm is not installed"; return 77
  fi
  mkdir -p "$NPM_CACHE"
  (
    flock 9
    if [ "$(cat "$NPM_CACHE/.installed" 2>/dev/null)" != "${SL_NPM_PACKAGES[*]}" ]; then
      rm -f "$NPM_CACHE/.installed"
      (cd "$NPM_CACHE" && npm install --no-audit --no-fund --no-save --silent "${SL_NPM_PACKAGES[@]}" \
         >"$NPM_CACHE/npm.log" 2>&1) || exit 1
      echo "${SL_NPM_PACKAGES[*]}" >"$NPM_CACHE/.installed"
    fi
  ) 9>"$NPM_CACHE/.lock" || { echo "skip: cannot install ${SL_NPM_PACKAGES[*]} (see $NPM_CACHE/npm.log)"; return 77; }
}
