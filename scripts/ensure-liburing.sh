#!/usr/bin/env bash
# Makes sure liburing's headers and library (Debian: liburing-dev) are present.
# As root it installs them with apt-get; otherwise it prints the exact command and fails.
set -euo pipefail
# QUIESCE_LIBURING_HEADER lets the tests of this script pretend the library is missing.
header="${QUIESCE_LIBURING_HEADER:-/usr/include/liburing.h}"
if [ -f "$header" ] && ls /usr/lib/*/liburing.so >/dev/null 2>&1; then
  exit 0
fi
cmd="apt-get update && apt-get install -y liburing-dev"
if [ "$(id -u)" -ne 0 ]; then
  echo "liburing-dev is missing. Install it as root, then run make again:" >&2
  echo "  sudo sh -c '$cmd'" >&2
  exit 1
fi
echo "Installing liburing-dev (needed by the io_uring driver)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq liburing-dev >/dev/null
if [ ! -f /usr/include/liburing.h ]; then
  echo "apt-get finished but liburing.h is still missing; install liburing-dev by hand: $cmd" >&2
  exit 1
fi
echo "liburing-dev installed." >&2
