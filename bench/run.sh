#!/usr/bin/env bash
# Runs the peer benchmarks, summarises them with benchstat and writes
# docs/benchmarks.md. Called by `make bench` from the repository root.
#
# Environment:
#   COUNT      runs of each benchmark (default 6; benchstat needs ≥ 6 for a
#              confidence interval)
#   BENCH      the -bench pattern (default ".", all of them)
#   BENCHTIME  the -benchtime, if set (e.g. 200ms for a quick look)
#   REPORT     where to write the report (default ../docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")"

GO=${GO:-go}
COUNT=${COUNT:-6}
BENCH=${BENCH:-.}
BENCHTIME=${BENCHTIME:-}
REPORT=${REPORT:-../docs/benchmarks.md}
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
OUT=out

mkdir -p "$OUT" "$(dirname "$REPORT")"

load=""
if [ -r /proc/loadavg ]; then
	load="$(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
fi

echo "== correctness: every benchmarked configuration trips, rejects and recovers"
"$GO" test -count=1 ./...

args=(-run '^$' -bench "$BENCH" -benchmem -count="$COUNT")
shown="go test -run '^\$' -bench '$BENCH' -benchmem -count=$COUNT"
if [ -n "$BENCHTIME" ]; then
	args+=(-benchtime="$BENCHTIME")
	shown+=" -benchtime=$BENCHTIME"
fi
echo "== $shown"
"$GO" test "${args[@]}" . | tee "$OUT/bench.txt"

echo "== benchstat"
"$GO" run "$BENCHSTAT" "$OUT/bench.txt" >"$OUT/stat.txt" 2>"$OUT/benchstat.log"
"$GO" run "$BENCHSTAT" -format csv "$OUT/bench.txt" >"$OUT/stat.csv" 2>>"$OUT/benchstat.log"
cat "$OUT/stat.txt"

goversion=$("$GO" env GOVERSION)
"$GO" run ./cmd/report \
	-csv "$OUT/stat.csv" -raw "$OUT/bench.txt" -text "$OUT/stat.txt" \
	-go "$goversion" -date "$(date -u +%Y-%m-%d)" -load "$load" \
	-cmd "$shown" \
	-o "$REPORT"
echo "== wrote $REPORT"
