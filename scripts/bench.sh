#!/usr/bin/env bash
# Benchmarks: Quiesce side by side with raw liburing (C, same package) and Swift concurrency.
#   ./scripts/bench.sh           release build, 5 repetitions (BENCH_REPS), medians and spread;
#                                writes Benchmarks/results/latest.{json,md,svg} and prints the table.
#                                The KV figures need redis-server and redis-benchmark: installed
#                                through apt-get when missing (as root; otherwise the command to run
#                                is printed and the script stops). The NOP instruction rows need
#                                valgrind: installed the same way as root, else left out with a note.
#   ./scripts/bench.sh --smoke   debug build, a few thousand iterations of everything, no figures
#                                judged, nothing written to Benchmarks/results (runs inside `make test`);
#                                installs nothing: without redis the KV figures are skipped with a note.
# SWIFT_FLAGS is passed to every swift build (e.g. SWIFT_FLAGS="--scratch-path .build-mine").
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
# Word splitting is wanted: several flags may be given.
read -r -a flags <<<"${SWIFT_FLAGS:-}"
mode="${1:-full}"

case "$mode" in
--smoke)
    "$SWIFT" build "${flags[@]}" --product QuiesceBench
    "$SWIFT" build "${flags[@]}" --product QuiesceEcho  # the echo benchmark runs the example server
    "$SWIFT" build "${flags[@]}" --product QuiesceKV    # and the KV figures the KV example
    bin="$("$SWIFT" build "${flags[@]}" --show-bin-path)/QuiesceBench"
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
    if grep -q '^KV figures skipped' "$tmp/log"; then
        grep '^KV figures skipped' "$tmp/log"
    fi
    echo "bench smoke: ok (every benchmark ran; figures not judged)"
    ;;
full)
    # The KV figures compare the KV example with redis-server, both driven by redis-benchmark.
    if ! command -v redis-server >/dev/null; then
        ./scripts/apt-install.sh redis-server "the reference of the KV benchmark figures"
    fi
    if ! command -v redis-benchmark >/dev/null; then
        ./scripts/apt-install.sh redis-tools "redis-benchmark, which drives the KV benchmark figures"
    fi
    # The NOP instruction rows (nop_1_instructions, nop_32_instructions) need valgrind: installed
    # when missing and root; otherwise the bench runs without them and its report says so.
    if ! command -v valgrind >/dev/null && [ "$(id -u)" -eq 0 ]; then
        ./scripts/apt-install.sh valgrind "counts the instructions per NOP" || true
    fi
    "$SWIFT" build "${flags[@]}" -c release --product QuiesceBench
    "$SWIFT" build "${flags[@]}" -c release --product QuiesceEcho  # the echo benchmark runs the example server
    "$SWIFT" build "${flags[@]}" -c release --product QuiesceKV    # and the KV figures the KV example
    bin="$("$SWIFT" build "${flags[@]}" -c release --show-bin-path)/QuiesceBench"
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
