#!/usr/bin/env bash
# System packages and services for the enrollment station on Debian 12 (run as root, or with sudo).
#
#   scripts/setup-system.sh           what the station needs to run (native builds, PC/SC daemon)
#   scripts/setup-system.sh --test    plus what the whole test suite needs (virtual reader, socat, ffmpeg, ...)
#
# Idempotent: packages already installed are not fetched again, and pcscd is started only when it is
# not running (or, with --test, restarted once when the virtual reader driver was just installed under
# it or is not listening).
set -euo pipefail

mode=run
case "${1:-}" in
  "") ;;
  --test) mode='test' ;;
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  *) echo "setup-system: unknown option '$1' (expected --test or nothing)" >&2; exit 2 ;;
esac

say() { printf '[setup-system] %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "setup-system: run as root (apt-get and pcscd need it), or install sudo" >&2; exit 1
  fi
else
  SUDO=
fi

# Runtime: a C++ toolchain and the PC/SC headers to build the pcsclite binding; the runtime libraries
# node-hid and usb link against; the PC/SC daemon for real readers; ffmpeg, which reads cameras
# (V4L2, MJPEG), and v4l-utils, whose v4l2-ctl lists a camera's sizes.
packages=(build-essential python3 pkg-config libpcsclite-dev libudev1 libusb-1.0-0 pcscd ffmpeg v4l-utils)
if [ "$mode" = test ]; then
  # vpcd: the virtual reader our simulated card plugs into; opensc/pcsc-tools: opensc-tool checks;
  # socat: pty pairs for serial modules; softhsm2: the PKCS#11 token the station-key tests generate
  # keys in and sign with (a production station uses its token's module); poppler-utils: pdftotext
  # reads the printed reports back in tests; chromium with fonts-noto-core (Vietnamese glyphs): the
  # browser tests (playwright-core drives Debian's chromium, no browser download); shellcheck,
  # systemd (systemd-analyze verify/security/syscall-filter, systemd-sysusers --root) and strace (the
  # station's system calls against its unit's filter): the deployment kit's checks.
  packages+=(vsmartcard-vpcd opensc pcsc-tools socat procps iproute2 softhsm2 poppler-utils
    chromium fonts-noto-core shellcheck systemd strace)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

vpcd_was_installed=yes
dpkg-query -W -f='${Status}' vsmartcard-vpcd 2>/dev/null | grep -q 'install ok installed' || vpcd_was_installed=no

if [ "${#missing[@]}" -gt 0 ]; then
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "apt packages already present"
fi

# pcscd: containers have no systemd to socket-activate it, so start it ourselves. Processes are found
# through /proc, not pgrep: a slim image has no procps in the run mode.
pcscd_pids() {
  local comm
  for comm in /proc/[0-9]*/comm; do
    if [ "$(cat "$comm" 2>/dev/null)" = pcscd ]; then basename "$(dirname "$comm")"; fi
  done
}

start_pcscd() { $SUDO pcscd; }

restart_pcscd() {
  local pids
  pids="$(pcscd_pids)"
  # shellcheck disable=SC2086 # one pid per word
  if [ -n "$pids" ]; then $SUDO kill $pids 2>/dev/null || true; fi
  for _ in $(seq 1 50); do [ -z "$(pcscd_pids)" ] && break; sleep 0.1; done
  start_pcscd
}

# vpcd listens on 35963 (0x8C7B, "Virtual PCD 00 00") once pcscd has loaded it.
vpcd_listening() { grep -qiE '^ *[0-9]+: [0-9A-F]+:8C7B [0-9A-F]+:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null; }

wait_for_vpcd() {
  for _ in $(seq 1 50); do vpcd_listening && return 0; sleep 0.1; done
  return 1
}

restarted=no
if [ -n "$(pcscd_pids)" ]; then
  if [ "$mode" = test ] && [ "$vpcd_was_installed" = no ]; then
    say "restarting pcscd so it loads the vpcd virtual reader"
    restart_pcscd
    restarted=yes
  else
    say "pcscd already running"
  fi
else
  say "starting pcscd"
  start_pcscd
fi

if [ "$mode" = test ]; then
  if ! wait_for_vpcd && [ "$restarted" = no ]; then
    # A pcscd started before vsmartcard-vpcd was installed never loads it: restart once.
    say "pcscd runs without the vpcd virtual reader; restarting it"
    restart_pcscd
  fi
  if wait_for_vpcd; then say "vpcd virtual reader listening on 127.0.0.1:35963"; exit 0; fi
  echo "setup-system: pcscd is running but the vpcd virtual reader is not listening on port 35963;" \
       "check /etc/reader.conf.d/vpcd and restart pcscd" >&2
  exit 1
fi
