#!/usr/bin/env bash
# Compares the HTTP path of two builds of Kiln, and the bare goja reference,
# in one invocation: every server runs at once (idle while not measured),
# and wrk measures them in turn, ROUNDS times, so that a noisy machine moves
# all of them alike. Prints each run and the medians, with each server's
# CPU time per request (user + system, from /proc, over the wrk run).
#
#   bash bench/http/ab.sh BASE [HEAD]     # git revisions; HEAD defaults to the working tree
#   ROUNDS=5 DURATION=8s bash bench/http/ab.sh 90ed2c6
#
# Needs wrk (Debian package).
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${1:?usage: ab.sh BASE [HEAD]}
HEAD_REV=${2:-}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  git worktree remove --force "$WORK/base-src" 2>/dev/null || true
  [ -n "$HEAD_REV" ] && git worktree remove --force "$WORK/head-src" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

build() { # REV DIR OUT: build cmd/kiln at REV (a worktree in DIR)
  git worktree add --detach -q "$2" "$1"
  (cd "$2" && go build -o "$3" ./cmd/kiln)
}
build "$BASE" "$WORK/base-src" "$WORK/kiln-base"
if [ -n "$HEAD_REV" ]; then build "$HEAD_REV" "$WORK/head-src" "$WORK/kiln-head"; else go build -o "$WORK/kiln-head" ./cmd/kiln; fi
go build -o "$WORK/reference" ./bench/http/reference

wait_port() {
  for _ in $(seq 1 200); do curl -s -o /dev/null "http://$1/" && return 0; sleep 0.05; done
  echo "nothing answered on $1" >&2; exit 1
}
OP=bench-operator-key-0123456789
start_kiln() { # NAME PORT
  # GOGC only if the caller set it: an empty GOGC turned off kiln serve's
  # GOGC=400 in builds before 2026-12-07 (docs/benchmarks.md).
  env KILN_OPERATOR_KEY=$OP ${GOGC:+GOGC=$GOGC} "$WORK/kiln-$1" serve --addr "127.0.0.1:$2" --data "$WORK/data-$1" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  wait_port "127.0.0.1:$2"
  local api="http://127.0.0.1:$2"
  curl -sf -H "Authorization: Bearer $OP" -H 'Content-Type: application/json' -X POST "$api/api/tenants" -d '{"slug": "bench", "name": "Bench"}' >/dev/null
  local key src
  key=$(curl -sf -H "Authorization: Bearer $OP" -H 'Content-Type: application/json' -X POST "$api/api/tenants/bench/keys" -d '{"name": "b", "role": "developer"}' | sed 's/.*"key":"\([^"]*\)".*/\1/')
  src=$(python3 -c 'import json; print(json.dumps(open("bench/http/hello.js").read()))')
  curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -X POST "$api/api/scripts" \
    -d "{\"name\": \"hello\", \"type\": \"http\", \"status\": \"active\", \"language\": \"javascript\", \"source\": $src, \"trigger\": {\"http\": {\"path\": \"/hello\", \"methods\": [\"GET\"]}}}" >/dev/null
}
start_kiln base 18180
start_kiln head 18181
"$WORK/reference" -addr 127.0.0.1:18182 -handler bench/http/hello.js & PIDS+=($!)
wait_port 127.0.0.1:18182
declare -A PID=([base]=${PIDS[0]} [head]=${PIDS[1]} [reference]=${PIDS[2]})
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime, in clock ticks
HZ=$(getconf CLK_TCK)
declare -A URL=([base]="http://127.0.0.1:18180/run/bench/hello?name=Ada" [head]="http://127.0.0.1:18181/run/bench/hello?name=Ada" [reference]="http://127.0.0.1:18182/hello?name=Ada")
for n in base head reference; do curl -sf "${URL[$n]}" >/dev/null || { echo "$n does not answer" >&2; exit 1; }; wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${URL[$n]}" >/dev/null; done

echo "round name req/s p50-ms p99-ms errors cpu-us/req"
for r in $(seq 1 "$ROUNDS"); do
  for n in base head reference; do
    t0=$(cputicks "${PID[$n]}")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${URL[$n]}" >"$WORK/wrk.out"
    t1=$(cputicks "${PID[$n]}")
    awk -v r="$r" -v name="$n" -v ticks=$((t1 - t0)) -v hz="$HZ" '
      function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
      /Requests\/sec:/ { rps = $2 } /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
      / requests in / { n = $1 }
      /Non-2xx or 3xx responses:/ { e += $5 } /Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
      END { printf "%d %s %.0f %.2f %.2f %d %.1f\n", r, name, rps, p50, p99, e, n ? ticks / hz * 1e6 / n : 0 }' "$WORK/wrk.out" | tee -a "$WORK/runs"
  done
done
echo
echo "medians over $ROUNDS rounds, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores, $(date -u +%Y-%m-%d); base $BASE, head ${HEAD_REV:-working tree}"
for n in base head reference; do
  awk -v n="$n" '$2 == n { print $7 }' "$WORK/runs" | sort -n | awk '{ c[NR] = $1 } END { print c[int((NR+1)/2)] }' >"$WORK/cpu-$n"
  awk -v n="$n" '$2 == n { print $3, $5, $6 }' "$WORK/runs" | sort -n | awk -v n="$n" -v cpu="$(cat "$WORK/cpu-$n")" '{ r[NR] = $1; p[NR] = $2; e += $3 } END { printf "%-9s req/s %7.0f   p99 (of the median run) %6.2f ms   errors %d   cpu/req (median) %5.1f us\n", n, r[int((NR+1)/2)], p[int((NR+1)/2)], e, cpu }'
done | tee "$WORK/medians"
awk '{ v[$1] = $3 } END { printf "head/base %.2f   base/reference %.2f   head/reference %.2f\n", v["head"]/v["base"], v["base"]/v["reference"], v["head"]/v["reference"] }' "$WORK/medians"
