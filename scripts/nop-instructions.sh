#!/usr/bin/env bash
# User-space instructions per NOP, Quiesce against the raw C liburing loop (the benchmark's NOP
# reference, RingSetup.best), at 1 and 32 in flight, and their ratio (raw C / Quiesce: 1 when
# Quiesce executes as few instructions per NOP as the raw loop).
#   ./scripts/nop-instructions.sh
# Counted by valgrind's cachegrind on the release QuiesceBench (`QuiesceBench --nop-instructions`,
# which runs `--only nop1|nop32|rawnop1|rawnop32 --count N` under valgrind on a copy of itself
# without debug info; each count is the difference of two runs with different NOP totals divided
# by the difference in NOPs, so start-up cancels out). valgrind is installed through apt-get when
# missing (as root; otherwise the command to run is printed and the script stops).
# SWIFT_FLAGS is passed to swift build (e.g. SWIFT_FLAGS="--scratch-path .build-mine").
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
# Word splitting is wanted: several flags may be given.
read -r -a flags <<<"${SWIFT_FLAGS:-}"
if ! command -v valgrind >/dev/null; then
    ./scripts/apt-install.sh valgrind "counts the instructions per NOP"
fi
"$SWIFT" build "${flags[@]}" -c release --product QuiesceBench
bin="$("$SWIFT" build "${flags[@]}" -c release --show-bin-path)/QuiesceBench"
"$bin" --nop-instructions
