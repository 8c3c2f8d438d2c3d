#!/usr/bin/env bash
# Runs the same hello-world handler (read ?name=, return JSON) on Kiln
# (`kiln serve`, execution recording on), on workerd, on Deno and on the
# bare goja reference (bench/http/reference), one after another, each
# driven by wrk at 32 connections for $DURATION, and prints one table with
# the ratios to workerd and to the reference.
#
#   bash bench/http/compare.sh            # from the repository root
#   DURATION=20s CONNECTIONS=32 bash bench/http/compare.sh
#
# Needs wrk (Debian package) and npm (workerd and Deno come from the npm
# registry into bench/http/node_modules, which git ignores).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk; then
  echo "installing wrk from Debian's packages" >&2
  apt-get install -y wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
fi
if [ ! -x bench/http/node_modules/.bin/workerd ] || [ ! -x bench/http/node_modules/.bin/deno ]; then
  echo "installing workerd and deno from the npm registry" >&2
  # Not npm ci: it refuses this lock file, which lacks the other platforms'
  # optional binary packages (npm here leaves them out when it writes the
  # lock); npm install accepts the lock and leaves it unchanged.
  (cd bench/http && npm install --no-audit --no-fund >/dev/null)
fi

go build -o "$WORK/kiln" ./cmd/kiln
go build -o "$WORK/reference" ./bench/http/reference

wait_port() { # host:port
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null "http://$1/"; then return 0; fi
    sleep 0.05
  done
  echo "nothing answered on $1" >&2; exit 1
}

# run NAME URL: wrk, then one parsed line "name rps p50 p99 errors".
run() {
  local name=$1 url=$2 out
  curl -sf "$url" >/dev/null || { echo "$name does not answer $url" >&2; exit 1; }
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$url" >/dev/null # warm up
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
  echo "$out" > "$WORK/$name.wrk"
  awk -v name="$name" '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { errors += $5 }
    /Socket errors:/ { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
    END { printf "%s %s %.2f %.2f %d\n", name, rps, p50, p99, errors }' <<<"$out" >> "$WORK/results"
}

# Kiln: a fresh data folder, a tenant, a key and an active HTTP script.
OP=bench-operator-key-0123456789
KILN_OPERATOR_KEY=$OP "$WORK/kiln" serve --addr 127.0.0.1:18080 --data "$WORK/kiln-data" >"$WORK/kiln.log" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.1:18080
api() { curl -sf -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -X "$2" "http://127.0.0.1:18080$3" -d "$4"; }
api $OP POST /api/tenants '{"slug": "bench", "name": "Bench"}' >/dev/null
KEY=$(api $OP POST /api/tenants/bench/keys '{"name": "bench", "role": "developer"}' | sed 's/.*"key":"\([^"]*\)".*/\1/')
SRC=$(python3 -c 'import json,sys; print(json.dumps(open("bench/http/hello.js").read()))')
api "$KEY" POST /api/scripts "{\"name\": \"hello\", \"type\": \"http\", \"status\": \"active\", \"language\": \"javascript\", \"source\": $SRC, \"trigger\": {\"http\": {\"path\": \"/hello\", \"methods\": [\"GET\"]}}}" >/dev/null
run kiln "http://127.0.0.1:18080/run/bench/hello?name=Ada"
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

"$WORK/reference" -addr 127.0.0.1:18788 -handler bench/http/hello.js &
PIDS+=($!)
wait_port 127.0.0.1:18788
run reference "http://127.0.0.1:18788/hello?name=Ada"
kill "${PIDS[-1]}"

(cd bench/http && exec node_modules/.bin/workerd serve workerd.capnp --socket-addr http=127.0.0.1:18787) >"$WORK/workerd.log" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.1:18787
run workerd "http://127.0.0.1:18787/hello?name=Ada"
kill "${PIDS[-1]}"

bench/http/node_modules/.bin/deno run --allow-net=127.0.0.1 bench/http/deno.js 18789 >"$WORK/deno.log" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.1:18789
run deno "http://127.0.0.1:18789/hello?name=Ada"
kill "${PIDS[-1]}"

echo
echo "hello-world handler, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores, $(date -u +%Y-%m-%d)"
awk '
  { name[NR] = $1; rps[NR] = $2; p50[NR] = $3; p99[NR] = $4; err[NR] = $5; if ($1 == "workerd") w = $2; if ($1 == "reference") r = $2 }
  END {
    printf "| %-9s | %9s | %8s | %8s | %6s | %10s | %12s |\n", "server", "req/s", "p50 ms", "p99 ms", "errors", "x workerd", "% reference"
    printf "|-----------|-----------|----------|----------|--------|------------|--------------|\n"
    for (i = 1; i <= NR; i++)
      printf "| %-9s | %9.0f | %8.2f | %8.2f | %6d | %10.2f | %11.0f%% |\n", name[i], rps[i], p50[i], p99[i], err[i], rps[i] / w, 100 * rps[i] / r
  }' "$WORK/results"
