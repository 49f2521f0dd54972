#!/usr/bin/env bash
# Sets up this checkout: system packages (scripts/setup-system.sh), the pinned Node.js runtime
# (scripts/setup-runtime.sh, under .runtime/), the npm dependencies from the lockfile with native
# addons built for that runtime, the compiled station in dist/ (npm run build), and the `station`
# command on PATH. `--test` adds what the whole test suite needs. Safe to run again: each step that is
# already done is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  ""|--test) ;;
  *) echo "setup: unknown option '$1' (expected --test or nothing)" >&2; exit 2 ;;
esac

# The system's Node.js and npm only bootstrap the pinned runtime; 18 is the oldest npm 10+ runs on.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: Node.js and npm are needed to bootstrap the station's runtime; install Node.js 18 or later with npm (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
  echo "setup: the system's Node.js $(node --version) is too old to bootstrap the station's runtime; install Node.js 18 or later" >&2
  exit 1
fi

bash scripts/setup-system.sh ${1:+"$1"}

runtime_bin="$(pwd -P)/$(bash scripts/setup-runtime.sh | tail -n 1)"
export PATH="$runtime_bin:$PATH"
runtime_version="$(node --version)"
# node-gyp compiles pcsclite (NAN, ABI-specific) against the headers of the runtime that will load
# it, never the system's and never downloaded. The other addons load N-API prebuilds.
npm_config_nodedir="$(dirname "$runtime_bin")"
export npm_config_nodedir

# node_modules is current when both the lockfile and the runtime it was built for are unchanged; a
# runtime change rebuilds every addon (npm ci starts from an empty node_modules).
stamp=node_modules/.setup-stamp
want="lock $(sha256sum package-lock.json | cut -d' ' -f1) node $runtime_version"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[setup] node_modules matches package-lock.json and Node.js $runtime_version"
else
  echo "[setup] npm ci (package-lock.json, native addons for Node.js $runtime_version)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# The station and the CLI run as JavaScript compiled into dist/ (tsc, no run-time TypeScript loader);
# built now unless dist/ is already newer than every source. `npm start` makes the same check.
npm run --silent build -- --if-stale

# The `station` command from any directory: a two-line launcher on PATH that runs this checkout's CLI
# (station/cli/bin.mjs: the build in dist/ when it is current, else the sources) on the pinned runtime
# (`npx station` only works inside the checkout; outside it npm looks for a registry package). Root
# gets /usr/local/bin, anyone else ~/.local/bin, STATION_BIN_DIR overrides both. A `station` there
# that is not ours is left alone.
if [ -n "${STATION_BIN_DIR:-}" ]; then bindir="$STATION_BIN_DIR"
elif [ "$(id -u)" -eq 0 ]; then bindir=/usr/local/bin
else bindir="$HOME/.local/bin"; fi
launcher="$bindir/station"
marker='# cccd-station launcher'
if [ -e "$launcher" ] && ! grep -qF "$marker" "$launcher"; then
  echo "[setup] $launcher exists and is not ours; not replacing it (use 'npx station' in the checkout)" >&2
else
  mkdir -p "$bindir"
  quoted="'$(pwd -P | sed "s/'/'\\\\''/g")'"
  printf '#!/bin/sh\n%s, written by scripts/setup.sh: the station command of this checkout.\nexec %s/scripts/with-runtime node %s/station/cli/bin.mjs "$@"\n' \
    "$marker" "$quoted" "$quoted" > "$launcher.tmp"
  chmod 755 "$launcher.tmp"
  mv -f "$launcher.tmp" "$launcher"
  echo "[setup] 'station' command installed in $bindir"
  case ":$PATH:" in *":$bindir:"*) ;; *) echo "[setup] add $bindir to PATH to type 'station' anywhere" >&2 ;; esac
fi
