#!/usr/bin/env bash
# Makes sure liburing's headers and library (Debian: liburing-dev) are present.
# As root it installs them with apt-get; otherwise it prints the exact command and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# QUIESCE_LIBURING_HEADER lets the tests of this script pretend the library is missing.
header="${QUIESCE_LIBURING_HEADER:-/usr/include/liburing.h}"
if [ -f "$header" ] && ls /usr/lib/*/liburing.so >/dev/null 2>&1; then
  exit 0
fi
./scripts/apt-install.sh liburing-dev "needed by the io_uring driver"
if [ ! -f /usr/include/liburing.h ]; then
  echo "apt-get finished but liburing.h is still missing; install liburing-dev by hand" >&2
  exit 1
fi
