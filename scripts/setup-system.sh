#!/usr/bin/env bash
# System packages and services for the enrollment station on Debian 12 (run as root, or with sudo).
#
#   scripts/setup-system.sh           what the station needs to run (native builds, PC/SC daemon)
#   scripts/setup-system.sh --test    plus what the whole test suite needs (virtual reader, socat, ffmpeg, ...)
#
# Idempotent: packages already installed are not fetched again, and pcscd is started only when it is
# not running (or restarted once when the virtual reader driver was just installed under it).
set -euo pipefail

mode=run
case "${1:-}" in
  "") ;;
  --test) mode=test ;;
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
# node-hid and usb link against; the PC/SC daemon for real readers.
packages=(build-essential python3 pkg-config libpcsclite-dev libudev1 libusb-1.0-0 pcscd)
if [ "$mode" = test ]; then
  # vpcd: the virtual reader our simulated card plugs into; opensc/pcsc-tools: opensc-tool checks;
  # socat: pty pairs for serial modules; ffmpeg: the camera source.
  packages+=(vsmartcard-vpcd opensc pcsc-tools socat ffmpeg procps iproute2)
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

# pcscd: containers have no systemd to socket-activate it, so start it ourselves.
if pgrep -x pcscd >/dev/null 2>&1; then
  if [ "$mode" = test ] && [ "$vpcd_was_installed" = no ]; then
    say "restarting pcscd so it loads the vpcd virtual reader"
    $SUDO pkill -x pcscd || true
    for _ in $(seq 1 50); do pgrep -x pcscd >/dev/null 2>&1 || break; sleep 0.1; done
    $SUDO pcscd
  else
    say "pcscd already running"
  fi
else
  say "starting pcscd"
  $SUDO pcscd
fi

if [ "$mode" = test ]; then
  # vpcd listens on 35963 ("Virtual PCD 00 00") once pcscd has loaded it.
  for _ in $(seq 1 50); do
    if ss -ltn 2>/dev/null | grep -q ':35963 '; then say "vpcd virtual reader listening on 127.0.0.1:35963"; exit 0; fi
    sleep 0.1
  done
  echo "setup-system: pcscd is running but the vpcd virtual reader is not listening on port 35963;" \
       "check /etc/reader.conf.d/vpcd and restart pcscd" >&2
  exit 1
fi
