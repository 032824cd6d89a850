#!/usr/bin/env bash
# Whole-process wall time of the main job: `fte sweep experiments/lora-rank.ts` (8 variants, the
# built-in model and suite, baselines and robustness included), from an empty database each time.
# Usage: bench/default-sweep.sh [runs=3]   (prints each run's wall time, then the median)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
out=$(mktemp -d)
times=()
for i in $(seq 1 "$runs"); do
  db="$out/run-$i.duckdb"
  /usr/bin/time -f '%e %M' -o "$out/time-$i" node bin/run.js sweep experiments/lora-rank.ts --db "$db" --quiet >"$out/stdout-$i" 2>"$out/stderr-$i"
  read -r wall rss <"$out/time-$i"
  times+=("$wall")
  echo "run $i: ${wall}s wall, peak RSS of the largest process ${rss} KiB"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
echo "median of $runs: ${median}s"
echo "last summary:"; cat "$out/stdout-$runs"
