#!/usr/bin/env bash
# Installs the CCCD station as a system service on Debian 12, from a checkout where `npm run setup`
# has run (the runtime in .runtime/, node_modules/, the build in dist/). Run as root. Safe to run
# again: an update is the same command from the newer checkout (deploy/GUIDE.en.md, "Update").
#
#   deploy/install.sh [--kiosk] [--url URL] [--no-start] [--app DIR] [--root DIR]
#
#   --kiosk      also install and enable the kiosk screen (cccd-kiosk.service: cage + Chromium on tty1)
#   --url URL    the station URL the kiosk opens and its policy allows (default: from the configuration,
#                server.host, server.port and server.tls; a wildcard host becomes loopback)
#   --no-start   install and enable, but do not (re)start the station
#   --app DIR    the checkout to install (default: the one holding this script)
#   --root DIR   install into DIR as the file system root (an image being prepared, or the tests):
#                users go into DIR/etc/passwd, nothing is started or reloaded
#
# What goes where:
#   /opt/cccd-station/releases/<version>-<id>/   the application, read-only, root's; `current` links
#                                                to the one in use, the previous one is kept for a rollback
#   /etc/cccd-station/                           station.config.json (written once from
#                                                deploy/station.config.example.json, never overwritten),
#                                                tls/, kiosk.env; root:cccd-station 0750, files 0640
#   /var/lib/cccd-station/                       the data folder (dataDir): cccd-station's, 0700
#   /etc/systemd/system/cccd-station.service     the service (and cccd-kiosk.service with --kiosk)
#   /usr/lib/sysusers.d/cccd-station.conf        the users cccd-station and cccd-kiosk
#   /etc/udev/rules.d/70-cccd-station.rules      device nodes for the group cccd-station
#   /etc/modules-load.d/cccd-station.conf        the device families' drivers, loaded at boot
#   /etc/systemd/journald.conf.d/cccd-station.conf   log retention (the station logs to the journal)
#   /etc/chromium/policies/managed/cccd-station.json the kiosk's managed policy
#   /usr/local/bin/cccd-kiosk                    the kiosk launcher
#   /usr/local/bin/cccd-station                  the `station` CLI as the service user with the service's config
#   /media/cccd-export/                          where a USB stick is mounted for outbox exports
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd -P)"
app="$(cd "$here/.." && pwd -P)"
root=/
kiosk=no
url=
start=yes

die() { echo "install: $*" >&2; exit 1; }
say() { printf '[install] %s\n' "$*"; }

while [ "$#" -gt 0 ]; do
  case "$1" in
    --kiosk) kiosk=yes ;;
    --no-start) start=no ;;
    --url) [ "$#" -ge 2 ] || die "--url needs a value"; url="$2"; shift ;;
    --app) [ "$#" -ge 2 ] || die "--app needs a value"; app="$(cd "$2" && pwd -P)"; shift ;;
    --root) [ "$#" -ge 2 ] || die "--root needs a value"; root="$(cd "$2" && pwd -P)"; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "install: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || die "run as root (it creates users, installs units and udev rules)"
live=no
[ "$root" = / ] && live=yes
# The target path of an absolute path inside the root.
t() { if [ "$live" = yes ]; then printf '%s' "$1"; else printf '%s%s' "$root" "$1"; fi; }

# The application must be built: the service runs dist/ on the pinned runtime, with no TypeScript loader.
for need in dist/station/main.js dist/.build-stamp.json scripts/with-runtime scripts/runtime.env scripts/build.mjs \
  node_modules package.json; do
  [ -e "$app/$need" ] || die "$app/$need is missing: run 'npm run setup' in $app first"
done
runtime_version="$(sed -n 's/^NODE_RUNTIME_VERSION=//p' "$app/scripts/runtime.env")"
[ -x "$app/.runtime/node-v$runtime_version/bin/node" ] ||
  die "$app/.runtime/node-v$runtime_version/bin/node is missing: run 'npm run setup' in $app first"
node() { "$app/scripts/with-runtime" node "$@"; }
# A build older than its sources would install code older than the checkout (scripts/build.mjs decides).
# shellcheck disable=SC2016 # JavaScript, not shell
build_state="$(node -e '
  import(require("node:url").pathToFileURL(process.argv[1])).then(({ buildState }) => {
    const s = buildState();
    process.stdout.write(s.state === "stale" ? `stale: ${s.file} changed after the build` : s.state);
  })' "$app/scripts/build.mjs")" || die "cannot read the build state from $app/scripts/build.mjs"
[ "$build_state" = current ] || die "the build in $app/dist is not current ($build_state): run 'npm run build' in $app first"

# --- users --------------------------------------------------------------------------------------------
install -d -m 0755 "$(t /etc)" "$(t /usr/lib/sysusers.d)"
install -m 0644 "$here/sysusers.d/cccd-station.conf" "$(t /usr/lib/sysusers.d/cccd-station.conf)"
if command -v systemd-sysusers >/dev/null 2>&1; then
  if [ "$live" = yes ]; then systemd-sysusers "$(t /usr/lib/sysusers.d/cccd-station.conf)"
  else systemd-sysusers --root="$root" "$(t /usr/lib/sysusers.d/cccd-station.conf)"; fi
elif [ "$live" = yes ]; then
  for u in cccd-station cccd-kiosk; do
    getent passwd "$u" >/dev/null ||
      useradd --system --user-group --home-dir "/var/lib/$u" --no-create-home --shell /usr/sbin/nologin "$u"
  done
else
  die "systemd-sysusers is needed for --root (apt-get install systemd)"
fi
# Numeric ids from the target's own files, so a staged root never borrows the host's users.
id_of() { awk -F: -v n="$2" '$1 == n { print $3; found = 1 } END { exit !found }' "$(t "/etc/$1")"; }
station_uid="$(id_of passwd cccd-station)" || die "user cccd-station was not created"
station_gid="$(id_of group cccd-station)" || die "group cccd-station was not created"
kiosk_uid="$(id_of passwd cccd-kiosk)" || die "user cccd-kiosk was not created"
kiosk_gid="$(id_of group cccd-kiosk)" || die "group cccd-kiosk was not created"
say "users: cccd-station ($station_uid:$station_gid), cccd-kiosk ($kiosk_uid:$kiosk_gid)"

# --- the application: one release folder per build, `current` switched atomically -------------------
version="$(node -p 'require(process.argv[1]).version' "$app/package.json")"
build_id="$(node -p 'require(process.argv[1]).startedMs.toString(36)' "$app/dist/.build-stamp.json")"
release="$version-$build_id"
releases="$(t /opt/cccd-station/releases)"
install -d -m 0755 "$(t /opt/cccd-station)" "$releases"
if [ -f "$releases/$release/.installed" ]; then
  say "application $release already installed"
else
  staging="$releases/.$release.partial"
  rm -rf "$staging"
  mkdir -p "$staging"
  # Sources are copied with the build so `station` finds dist/ current (mtimes preserved: cp -a).
  for item in package.json package-lock.json tsconfig.json tsconfig.build.json dist node_modules .runtime \
    scripts station drivers protocol simulators deploy docs README.md; do
    [ -e "$app/$item" ] || continue
    if [ -L "$app/$item" ]; then
      # A checkout whose node_modules or .runtime is a link to another (a git worktree): copy what it names.
      mkdir -p "$staging/$item"
      cp -a "$(readlink -f "$app/$item")/." "$staging/$item/"
    else
      cp -a "$app/$item" "$staging/$item"
    fi
  done
  chown -R 0:0 "$staging"
  chmod -R go-w "$staging"
  touch "$staging/.installed"
  mv -T "$staging" "$releases/$release"
  say "application $release installed in /opt/cccd-station/releases/"
fi
previous="$(readlink "$(t /opt/cccd-station/current)" 2>/dev/null || true)"
if [ "$previous" != "releases/$release" ]; then
  ln -sfn "releases/$release" "$(t /opt/cccd-station/current).new"
  mv -T "$(t /opt/cccd-station/current).new" "$(t /opt/cccd-station/current)"
  if [ -n "$previous" ]; then
    ln -sfn "$previous" "$(t /opt/cccd-station/previous)"
    say "current -> releases/$release (previous: $previous)"
  else
    say "current -> releases/$release"
  fi
fi
# Keep the current and the previous release; older ones go.
keep_previous="$(readlink "$(t /opt/cccd-station/previous)" 2>/dev/null || true)"
for dir in "$releases"/*; do
  [ -d "$dir" ] || continue
  name="releases/$(basename "$dir")"
  if [ "$name" != "releases/$release" ] && [ "$name" != "$keep_previous" ]; then
    rm -rf "$dir"
    say "removed the old release $name"
  fi
done

# --- configuration ------------------------------------------------------------------------------------
etc="$(t /etc/cccd-station)"
install -d -m 0750 -o 0 -g "$station_gid" "$etc" "$etc/tls"
if [ ! -e "$etc/station.config.json" ]; then
  install -m 0640 -o 0 -g "$station_gid" "$here/station.config.example.json" "$etc/station.config.json"
  say "wrote /etc/cccd-station/station.config.json from the example: edit it (deploy/GUIDE.en.md)"
fi
# The service reads its files through its group; only root changes them.
find "$etc" -type f ! -name kiosk.env -exec chown "0:$station_gid" {} + -exec chmod 0640 {} +
find "$etc" -mindepth 1 -type d -exec chown "0:$station_gid" {} + -exec chmod 0750 {} +

# --- data folder, export mount point ------------------------------------------------------------------
install -d -m 0755 "$(t /var/lib)" "$(t /media)"
install -d -m 0700 -o "$station_uid" -g "$station_gid" "$(t /var/lib/cccd-station)" "$(t /media/cccd-export)"
install -d -m 0700 -o "$kiosk_uid" -g "$kiosk_gid" "$(t /var/lib/cccd-kiosk)"

# --- units, udev, modules, journald -------------------------------------------------------------------
install -d -m 0755 "$(t /etc/systemd/system)" "$(t /etc/udev/rules.d)" "$(t /etc/modules-load.d)" \
  "$(t /etc/systemd/journald.conf.d)"
install -m 0644 "$here/systemd/cccd-station.service" "$(t /etc/systemd/system/cccd-station.service)"
install -m 0644 "$here/udev/70-cccd-station.rules" "$(t /etc/udev/rules.d/70-cccd-station.rules)"
install -m 0644 "$here/modules-load.d/cccd-station.conf" "$(t /etc/modules-load.d/cccd-station.conf)"
install -m 0644 "$here/journald/cccd-station.conf" "$(t /etc/systemd/journald.conf.d/cccd-station.conf)"

# --- the CLI as the service's user --------------------------------------------------------------------
install -d -m 0755 "$(t /usr/local/bin)"
cat > "$(t /usr/local/bin/cccd-station).tmp" <<'WRAPPER'
#!/bin/sh
# cccd-station: the station CLI of the installed release, run as the service's user with the service's
# configuration (written by deploy/install.sh). Example: cccd-station users list
set -eu
export STATION_CONFIG=/etc/cccd-station/station.config.json
cli=/opt/cccd-station/current/station/cli/bin.mjs
run=/opt/cccd-station/current/scripts/with-runtime
if [ "$(id -un)" = cccd-station ]; then exec "$run" node "$cli" "$@"; fi
if [ "$(id -u)" -ne 0 ]; then echo "cccd-station: run as root (sudo cccd-station ...)" >&2; exit 1; fi
exec runuser -u cccd-station -- env STATION_CONFIG="$STATION_CONFIG" "$run" node "$cli" "$@"
WRAPPER
chmod 0755 "$(t /usr/local/bin/cccd-station).tmp"
mv -f "$(t /usr/local/bin/cccd-station).tmp" "$(t /usr/local/bin/cccd-station)"

# --- kiosk: launcher, policy, URL ---------------------------------------------------------------------
if [ -z "$url" ]; then
  # server.* of the configuration (defaults filled in as the station does), read by the station's runtime.
  # shellcheck disable=SC2016 # JavaScript, not shell: the template literals are JavaScript's
  url="$(node -e '
    const fs = require("node:fs");
    const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const s = c.server ?? {};
    let host = s.host ?? "127.0.0.1";
    if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
    else if (host === "::") host = "[::1]";
    else if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
    process.stdout.write(`${s.tls === undefined ? "http" : "https"}://${host}:${s.port ?? 8080}`);
  ' "$etc/station.config.json")" || die "cannot read server.host/port from /etc/cccd-station/station.config.json"
fi
# Scheme, host and port only: it goes into a sed replacement and a policy pattern as it is.
printf '%s' "$url" | grep -qE '^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$' ||
  die "the station URL '$url' must be scheme, host and port only (e.g. http://127.0.0.1:8080)"
say "station URL for the kiosk: $url"
printf '# Written by deploy/install.sh from the station configuration; read by cccd-kiosk.\nSTATION_URL=%s\n' "$url" \
  > "$etc/kiosk.env.tmp"
chmod 0644 "$etc/kiosk.env.tmp"
mv -f "$etc/kiosk.env.tmp" "$etc/kiosk.env"
install -m 0755 "$here/kiosk/cccd-kiosk" "$(t /usr/local/bin/cccd-kiosk)"
install -d -m 0755 "$(t /etc/chromium/policies/managed)"
sed "s|@STATION_URL@|$url|g" "$here/kiosk/policy.json" > "$(t /etc/chromium/policies/managed/cccd-station.json).tmp"
chmod 0644 "$(t /etc/chromium/policies/managed/cccd-station.json).tmp"
mv -f "$(t /etc/chromium/policies/managed/cccd-station.json).tmp" "$(t /etc/chromium/policies/managed/cccd-station.json)"
if [ "$kiosk" = yes ]; then
  install -m 0644 "$here/systemd/cccd-kiosk.service" "$(t /etc/systemd/system/cccd-kiosk.service)"
fi

# --- a live system: reload, enable, start -------------------------------------------------------------
if [ "$live" = no ]; then
  say "installed into $root (nothing started)"
  exit 0
fi
if [ ! -d /run/systemd/system ]; then
  say "systemd is not running here: units installed, not enabled or started"
  exit 0
fi
systemctl restart systemd-modules-load.service || say "systemd-modules-load failed: see journalctl -u systemd-modules-load"
udevadm control --reload
udevadm trigger --action=change --subsystem-match=hidraw --subsystem-match=tty \
  --subsystem-match=video4linux --subsystem-match=usb
systemctl restart systemd-journald.service
systemctl daemon-reload
systemctl enable pcscd.socket cccd-station.service
if [ "$kiosk" = yes ]; then
  command -v cage >/dev/null 2>&1 || say "cage is not installed (apt-get install cage chromium): the kiosk cannot start"
  systemctl enable cccd-kiosk.service
fi
if [ "$start" = no ]; then
  say "enabled; not started (--no-start)"
  exit 0
fi
if /usr/local/bin/cccd-station config check /etc/cccd-station/station.config.json >/dev/null; then
  systemctl restart cccd-station.service
  say "cccd-station restarted; follow it with: journalctl -u cccd-station -f"
else
  say "the configuration has problems (above): fix /etc/cccd-station/station.config.json, then: systemctl restart cccd-station"
fi
