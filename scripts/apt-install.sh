#!/usr/bin/env bash
# scripts/apt-install.sh PACKAGE WHY: installs a Debian package as root (apt-get update, then
# install); as another user prints the exact command to run and fails. Callers check first whether
# the package is needed.
set -euo pipefail
package=$1
why=${2:-}
cmd="apt-get update && apt-get install -y $package"
if [ "$(id -u)" -ne 0 ]; then
  echo "$package is missing${why:+ ($why)}. Install it as root, then run make again:" >&2
  echo "  sudo sh -c '$cmd'" >&2
  exit 1
fi
echo "Installing $package${why:+ ($why)}…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "$package" >/dev/null
echo "$package installed." >&2
