#!/usr/bin/env bash
# Filled in by its issue.
set -euo pipefail
echo "bench: not built yet"
