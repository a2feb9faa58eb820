#!/usr/bin/env bash
# Benchmarks: Quiesce side by side with raw liburing (C, same package) and Swift concurrency.
#   ./scripts/bench.sh           release build, 5 repetitions (BENCH_REPS), medians and spread;
#                                writes Benchmarks/results/latest.{json,md,svg} and prints the table.
#   ./scripts/bench.sh --smoke   debug build, a few thousand iterations of everything, no figures
#                                judged, nothing written to Benchmarks/results (runs inside `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
mode="${1:-full}"

case "$mode" in
--smoke)
    "$SWIFT" build --product QuiesceBench
    bin="$("$SWIFT" build --show-bin-path)/QuiesceBench"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    # The writers run too (into a temporary directory) so they cannot rot either.
    if ! timeout 120 "$bin" --smoke --out "$tmp" >"$tmp/table.txt" 2>"$tmp/log"; then
        cat "$tmp/log" >&2
        echo "bench smoke: FAILED" >&2
        exit 1
    fi
    for f in latest.json latest.md latest.svg; do
        [ -s "$tmp/$f" ] || { echo "bench smoke: $f was not written" >&2; exit 1; }
    done
    echo "bench smoke: ok (every benchmark ran; figures not judged)"
    ;;
full)
    "$SWIFT" build -c release --product QuiesceBench
    bin="$("$SWIFT" build -c release --show-bin-path)/QuiesceBench"
    version="$("$SWIFT" --version 2>/dev/null | head -n1 | sed 's/^ *//')"
    mkdir -p Benchmarks/results
    "$bin" --reps "${BENCH_REPS:-5}" --swift-version "$version" --out Benchmarks/results
    # The README shows the latest table and plot: replace what sits between its bench markers.
    if grep -q '<!-- bench:begin -->' README.md; then
        awk -v table=Benchmarks/results/latest.md '
            /<!-- bench:begin -->/ {
                print
                while ((getline line < table) > 0) if (line !~ /^# / && line !~ /^Reproduce:/) print line
                print "![Quiesce speed relative to the references](Benchmarks/results/latest.svg)"
                skip = 1
                next
            }
            /<!-- bench:end -->/ { skip = 0 }
            !skip { print }
        ' README.md >README.md.tmp && mv README.md.tmp README.md
    fi
    ;;
*)
    echo "usage: $0 [--smoke]" >&2
    exit 2
    ;;
esac
