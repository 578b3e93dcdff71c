#!/usr/bin/env bash
# The controller's reverse proxy against the app it fronts, measured in the same run: wrk on loopback,
# directly to the backend (nginx) and through cf-fastpush-controller, alternating, medians of N runs.
# Prints requests/s and p99 latency for both, their ratios, the controller's peak RSS, and the targets
# (at least 0.8x the direct throughput, under 1 ms added p99).
#
# usage: Benchmarks/compare-proxy.sh [--runs 3] [--seconds 10] [--connections 32] [--controller BIN]
set -euo pipefail

runs=3
seconds=10
connections=32
controller=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --controller) controller="$2"; shift 2 ;;
        *) echo "unknown option $1 (see the usage line at the top of this script)" >&2; exit 2 ;;
    esac
done

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
bench_name=compare-proxy
# shellcheck source=Benchmarks/bench-common.sh
source "${script_dir}/bench-common.sh"
ensure_debian_packages wrk:wrk /usr/sbin/nginx:nginx-light
nginx_bin=/usr/sbin/nginx

if [ -z "$controller" ]; then
    controller="$(build_release cf-fastpush-controller)/cf-fastpush-controller"
fi

work="$(mktemp -d /tmp/fastpush-proxy-bench.XXXXXX)"
controller_pid=""
cleanup() {
    if [ -n "$controller_pid" ]; then kill -TERM "$controller_pid" 2>/dev/null || true; wait "$controller_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

backend_port="$(free_loopback_port)"
front_port="$(free_loopback_port)"

mkdir -p "$work/app" "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    server {
        listen 127.0.0.1:$backend_port;
        location / { return 200 "hello from the app\n"; }
    }
}
CONF

PORT="$front_port" BIND_ADDRESS=127.0.0.1 BACKEND_PORT="$backend_port" FASTPUSH_TOKEN=bench \
    BACKEND_COMMAND="exec $nginx_bin -c $work/nginx/nginx.conf -g 'daemon off;'" \
    "$controller" >"$work/controller.log" 2>&1 &
controller_pid=$!
for _ in $(seq 1 200); do
    if curl -fsS "http://127.0.0.1:$front_port/" >/dev/null 2>&1; then break; fi
    sleep 0.05
done
curl -fsS "http://127.0.0.1:$front_port/" >/dev/null || { echo "the controller did not come up; its log:" >&2; cat "$work/controller.log" >&2; exit 1; }

# wrk's --latency output: requests/s and the 99% line, in milliseconds.
measure() {
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "$1" | awk '
        /Requests\/sec/ { rps = $2 }
        $1 == "99%" { v = $2; unit = v; gsub(/[0-9.]/, "", unit); gsub(/[a-z]/, "", v);
                      ms = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v }
        END { printf "%s %s\n", rps, ms }'
}

echo "warming up..." >&2
wrk -t2 -c"$connections" -d2s "http://127.0.0.1:$backend_port/" >/dev/null
wrk -t2 -c"$connections" -d2s "http://127.0.0.1:$front_port/" >/dev/null
: > "$work/direct"; : > "$work/proxied"
for run in $(seq 1 "$runs"); do
    echo "run $run of $runs" >&2
    measure "http://127.0.0.1:$backend_port/" >> "$work/direct"
    measure "http://127.0.0.1:$front_port/" >> "$work/proxied"
done
rss_kib="$(awk '/VmHWM/ { print $2 }' "/proc/$controller_pid/status")"

python3 - "$work/direct" "$work/proxied" "$rss_kib" "$connections" "$seconds" <<'PY'
import statistics, sys
def load(path):
    rows = [line.split() for line in open(path) if line.strip()]
    return statistics.median(float(r[0]) for r in rows), statistics.median(float(r[1]) for r in rows), len(rows)
direct_rps, direct_p99, n = load(sys.argv[1])
proxied_rps, proxied_p99, _ = load(sys.argv[2])
rss = int(sys.argv[3]) / 1024
print(f"\nreverse proxy on loopback: wrk -t2 -c{sys.argv[4]} -d{sys.argv[5]}s, medians of {n} runs, 2 cores shared by wrk, nginx and the controller")
print(f"{'':28}{'requests/s':>12}{'p99 ms':>10}")
print(f"{'direct to the app (nginx)':28}{direct_rps:>12,.0f}{direct_p99:>10.2f}")
print(f"{'through the controller':28}{proxied_rps:>12,.0f}{proxied_p99:>10.2f}")
ratio = proxied_rps / direct_rps
added = proxied_p99 - direct_p99
print(f"\nthroughput through the controller: {ratio:.2f}x direct; p99 added: {added:.2f} ms; controller peak RSS {rss:.1f} MiB")
print(f"  {'PASS' if ratio >= 0.8 else 'MISS'}  throughput >= 0.8x direct: {ratio:.2f}x")
print(f"  {'PASS' if added < 1.0 else 'MISS'}  added p99 < 1 ms: {added:.2f} ms")
PY
