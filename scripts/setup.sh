#!/usr/bin/env bash
# Sets up this checkout: system packages (scripts/setup-system.sh) and the npm dependencies from the
# lockfile. `--test` adds what the whole test suite needs. Safe to run again: the npm install is
# skipped when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  ""|--test) ;;
  *) echo "setup: unknown option '$1' (expected --test or nothing)" >&2; exit 2 ;;
esac

if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js is not installed; install Node.js 20.19 or later (e.g. NodeSource's nodejs package)" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "setup: Node.js $(node --version) is too old; the station needs 20.19 or later" >&2
  exit 1
fi

bash scripts/setup-system.sh ${1:+"$1"}

# node-gyp builds pcsclite against the headers installed with Node, never downloading them.
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi

stamp=node_modules/.setup-lock-hash
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[setup] node_modules matches package-lock.json"
else
  # `npm install` from the committed lockfile, not `npm ci`: the registry this project installs from
  # lacks some other-platform optional packages (e.g. Biome's Windows and macOS binaries), so the
  # lockfile cannot list them, and npm 11's `ci` then refuses the lockfile as out of sync. `install`
  # still resolves exactly the locked versions for this platform and leaves the lockfile unchanged.
  echo "[setup] npm install (from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# The `station` command from any directory: a two-line launcher on PATH that runs this checkout's CLI
# (`npx station` only works inside the checkout; outside it npm looks for a registry package). Root
# gets /usr/local/bin; anyone else ~/.local/bin. A `station` there that is not ours is left alone.
if [ "$(id -u)" -eq 0 ]; then bindir=/usr/local/bin; else bindir="$HOME/.local/bin"; fi
launcher="$bindir/station"
marker='# cccd-station launcher'
if [ -e "$launcher" ] && ! grep -qF "$marker" "$launcher"; then
  echo "[setup] $launcher exists and is not ours; not replacing it (use 'npx station' in the checkout)" >&2
else
  mkdir -p "$bindir"
  checkout="$(pwd -P)"
  quoted="'$(printf '%s' "$checkout" | sed "s/'/'\\\\''/g")'"
  printf '#!/bin/sh\n%s, written by scripts/setup.sh: the station command of this checkout.\nexec node %s/station/cli/bin.mjs "$@"\n' \
    "$marker" "$quoted" > "$launcher.tmp"
  chmod 755 "$launcher.tmp"
  mv -f "$launcher.tmp" "$launcher"
  echo "[setup] 'station' command installed in $bindir"
  case ":$PATH:" in *":$bindir:"*) ;; *) echo "[setup] add $bindir to PATH to type 'station' anywhere" >&2 ;; esac
fi
