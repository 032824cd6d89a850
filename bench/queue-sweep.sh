#!/usr/bin/env bash
# Whole-process wall time of a limited default sweep (experiments/lora-rank.ts, all 8 variants, with
# LIMITS below) run four ways, each from an empty database: local workers (--parallel 1 and 2), and
# through a Redis queue (fte sweep --queue) with 1 and 2 `fte worker` processes on this machine.
# Starts its own redis-server on a free loopback port and stops it. Needs redis-server and ioredis.
# Usage: bench/queue-sweep.sh [LIMITS...]   (default: --max-steps 10 --limit-train 64 --limit-eval 10)
#        QUEUE_ONLY=1 bench/queue-sweep.sh     (only the 1- and 2-worker queued runs, side by side)
set -euo pipefail
cd "$(dirname "$0")/.."
limits=("$@")
[ ${#limits[@]} -eq 0 ] && limits=(--max-steps 10 --limit-train 64 --limit-eval 10)
out=$(mktemp -d)
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$out/redis.log" 2>&1 &
redis_pid=$!
workers=()
cleanup() {
  # (a bare `wait` would also wait for redis-server: only the workers, and only when there are some)
  if [ ${#workers[@]} -gt 0 ]; then
    for w in "${workers[@]}"; do kill -INT "$w" 2>/dev/null || true; done
    wait "${workers[@]}" 2>/dev/null || true
  fi
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
}
trap cleanup EXIT
sleep 0.5
url="redis://127.0.0.1:$port"

timed() { # name, command...
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$out/$name.out" 2>"$out/$name.err"
  t1=$(date +%s.%N)
  awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%-22s %7.1f s\n", n, b - a }'
}

sweep=(node bin/run.js sweep experiments/lora-rank.ts "${limits[@]}" --quiet)
echo "limits: ${limits[*]}; redis on $url"
if [ -z "${QUEUE_ONLY:-}" ]; then
  timed local-parallel-1 "${sweep[@]}" --db "$out/l1.duckdb" --parallel 1
  timed local-parallel-2 "${sweep[@]}" --db "$out/l2.duckdb" --parallel 2
fi
for n in 1 2; do
  workers=()
  for i in $(seq 1 "$n"); do
    node bin/run.js worker --queue "$url" 2>"$out/worker-$n-$i.log" &
    workers+=($!)
  done
  sleep 2 # workers connected (their start-up is not the queue's overhead)
  timed "queue-$n-worker(s)" "${sweep[@]}" --db "$out/q$n.duckdb" --queue "$url"
  for w in "${workers[@]}"; do kill -INT "$w"; done
  wait "${workers[@]}" || true
done
workers=()
echo "outputs in $out"
