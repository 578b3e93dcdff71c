#!/usr/bin/env bash
# The controller's reverse proxy against the app it fronts, measured in the same run: wrk on loopback,
# directly to the backend, through nginx as a reverse proxy (the reference: what a mature proxy costs on
# the same cores), and through cf-fastpush-controller, alternating, medians of N runs. Three backends:
#   nginx   answering a constant from memory: the worst case for any proxy, whose own cost then dominates;
#   node    a Node.js http server answering a constant: a fast app server of the kind dev stacks run
#           (skipped when node is not installed);
#   python  the controller's default backend (python3 -m http.server serving a small file), as a dev app;
#           with 4 connections, as its listen backlog is 5 (more would measure SYN retransmissions).
# Prints requests/s and p99 latency, the ratios to direct and to the reference proxy, the controller's
# peak RSS, and the targets (at least 0.8x the direct throughput, under 1 ms added p99).
#
# It also prints the CPU time each request costs: the whole machine's, and the proxy's own (its processes'
# user and system time over the run). N cores serve at most N / (M + P) requests per microsecond through a
# proxy, M being the machine's CPU per request without the proxy and P the proxy's: that bound, and the P
# a proxy may cost for 0.8x the direct rate, are printed beside what nginx and the controller cost.
#
# usage: Benchmarks/compare-proxy.sh [--runs 3] [--seconds 10] [--connections 32] [--controller BIN]
#                                   [--backends "nginx node python"]
set -euo pipefail

runs=3
seconds=10
connections=32
controller=""
backends="nginx node python"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --controller) controller="$2"; shift 2 ;;
        --backends) backends="$2"; shift 2 ;;
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
controller="$(realpath "$controller")"

work="$(mktemp -d /tmp/fastpush-proxy-bench.XXXXXX)"
controller_pid=""
reference_pid=""
stop_servers() {
    if [ -n "$controller_pid" ]; then kill -TERM "$controller_pid" 2>/dev/null || true; wait "$controller_pid" 2>/dev/null || true; fi
    if [ -n "$reference_pid" ]; then kill -TERM "$reference_pid" 2>/dev/null || true; wait "$reference_pid" 2>/dev/null || true; fi
    controller_pid=""
    reference_pid=""
}
cleanup() {
    stop_servers
    rm -rf "$work"
}
trap cleanup EXIT

# nginx_conf DIR WORKERS SERVER-BLOCK: an nginx configuration that keeps all its files in DIR.
nginx_conf() {
    mkdir -p "$1"
    cat > "$1/nginx.conf" <<CONF
worker_processes $2;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $1;
    proxy_temp_path $1;
    fastcgi_temp_path $1;
    uwsgi_temp_path $1;
    scgi_temp_path $1;
    $3
}
CONF
}

# busy_ticks: the CPU time all cores spent outside idle since boot, in clock ticks.
busy_ticks() {
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# process_ticks PID...: the user and system CPU time of the processes (all their threads), in clock ticks.
process_ticks() {
    local pid total=0
    for pid in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done
    echo "$total"
}

# measure URL CONNECTIONS PID...: wrk's --latency output as requests/s and the 99% line in milliseconds,
# then the machine's and the processes' (the proxy's) CPU microseconds per request over the run.
measure() {
    local url="$1" clients="$2" machine_before proxy_before output machine proxy
    shift 2
    machine_before="$(busy_ticks)"
    proxy_before="$(process_ticks "$@")"
    output="$(wrk -t2 -c"$clients" -d"${seconds}s" --latency "$url")"
    machine=$(($(busy_ticks) - machine_before))
    proxy=$(($(process_ticks "$@") - proxy_before))
    echo "$output" | awk -v machine="$machine" -v proxy="$proxy" -v tick="$(getconf CLK_TCK)" '
        /requests in/ { requests = $1 }
        /Requests\/sec/ { rps = $2 }
        $1 == "99%" { v = $2; unit = v; gsub(/[0-9.]/, "", unit); gsub(/[a-z]/, "", v);
                      ms = (unit == "us") ? v / 1000 : (unit == "s") ? v * 1000 : v }
        END { printf "%s %s %.2f %.2f\n", rps, ms, machine * 1e6 / tick / requests, proxy * 1e6 / tick / requests }'
}

wait_for() {
    for _ in $(seq 1 200); do
        if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
        sleep 0.05
    done
    echo "nothing answered at $1; the controller's log:" >&2
    cat "$work/controller.log" >&2
    exit 1
}

cores="$(nproc)"
: > "$work/results"
for backend in $backends; do
    backend_port="$(free_loopback_port)"
    front_port="$(free_loopback_port)"
    reference_port="$(free_loopback_port)"
    app="$work/$backend-app"
    clients="$connections"
    mkdir -p "$app"
    case "$backend" in
        nginx)
            nginx_conf "$work/$backend-backend" 1 \
                "server { listen 127.0.0.1:$backend_port; location / { return 200 \"hello from the app\n\"; } }"
            command="exec $nginx_bin -c $work/$backend-backend/nginx.conf -g 'daemon off;'"
            ;;
        node)
            if ! command -v node >/dev/null; then
                echo "$backend backend: skipped, node is not installed" >&2
                continue
            fi
            printf '%s\n' 'require("http").createServer((request, response) => response.end("hello from the app\n"))' \
                '    .listen(process.env.PORT, "127.0.0.1")' > "$app/server.js"
            command='exec node server.js'
            ;;
        python)
            printf 'hello from the app\n' > "$app/index.html"
            command='exec python3 -m http.server "$PORT" --bind 127.0.0.1'
            clients=4
            ;;
        *) die "unknown backend $backend (nginx, node or python)" ;;
    esac
    # The reference proxy gets as many workers as the controller has event loops (one per core).
    nginx_conf "$work/$backend-reference" "$cores" \
        "upstream app { server 127.0.0.1:$backend_port; keepalive 64; }
    server { listen 127.0.0.1:$reference_port; location / { proxy_pass http://app; proxy_http_version 1.1;
        proxy_set_header Connection \"\"; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; } }"

    (cd "$app" && PORT="$front_port" BIND_ADDRESS=127.0.0.1 BACKEND_PORT="$backend_port" FASTPUSH_TOKEN=bench \
        BACKEND_COMMAND="$command" exec "$controller") >"$work/controller.log" 2>&1 &
    controller_pid=$!
    "$nginx_bin" -c "$work/$backend-reference/nginx.conf" -g 'daemon off;' &
    reference_pid=$!
    wait_for "http://127.0.0.1:$front_port/"
    wait_for "http://127.0.0.1:$reference_port/"

    echo "$backend backend: warming up..." >&2
    for port in "$backend_port" "$reference_port" "$front_port"; do
        wrk -t2 -c"$clients" -d2s "http://127.0.0.1:$port/" >/dev/null
    done
    # The reference proxy works in its worker processes; the controller in its own process (the backend is
    # a process of its own).
    reference_workers=()
    mapfile -t reference_workers < <(pgrep -P "$reference_pid")
    for run in $(seq 1 "$runs"); do
        echo "$backend backend: run $run of $runs" >&2
        echo "$backend direct $(measure "http://127.0.0.1:$backend_port/" "$clients")" >> "$work/results"
        echo "$backend reference $(measure "http://127.0.0.1:$reference_port/" "$clients" "${reference_workers[@]}")" >> "$work/results"
        echo "$backend controller $(measure "http://127.0.0.1:$front_port/" "$clients" "$controller_pid")" >> "$work/results"
    done
    echo "$backend rss $(awk '/VmHWM/ { print $2 }' "/proc/$controller_pid/status") 0 0 0" >> "$work/results"
    echo "$backend connections $clients 0 0 0" >> "$work/results"
    stop_servers
done

python3 - "$work/results" "$connections" "$seconds" "$cores" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    backend, target, *values = line.split()
    rows.setdefault((backend, target), []).append([float(v) for v in values])
backends = list(dict.fromkeys(key[0] for key in rows))
runs = len(rows[(backends[0], "direct")])
print(f"\nreverse proxy on loopback: wrk -t2 -d{sys.argv[3]}s, medians of {runs} runs; "
      f"{sys.argv[4]} cores shared by wrk, the backend and the proxy")
labels = {"nginx": "nginx answering a constant", "node": "a Node.js http server answering a constant",
          "python": "python3 -m http.server (the default backend)"}
for backend in backends:
    median = {t: [statistics.median(run[i] for run in rows[(backend, t)]) for i in range(4)]
              for t in ("direct", "reference", "controller")}
    rss = rows[(backend, "rss")][0][0] / 1024
    print(f"\nbackend: {labels.get(backend, backend)}, {rows[(backend, 'connections')][0][0]:.0f} connections")
    print(f"{'':32}{'requests/s':>12}{'p99 ms':>10}{'vs direct':>11}{'CPU us/request':>16}{'proxy CPU us':>14}")
    for target, name in (("direct", "direct to the app"), ("reference", "through nginx (reference proxy)"),
                         ("controller", "through the controller")):
        rps, p99, machine, proxy = median[target]
        proxy_text = "" if target == "direct" else f"{proxy:.1f}"
        print(f"{name:32}{rps:>12,.0f}{p99:>10.2f}{rps / median['direct'][0]:>10.2f}x{machine:>16.1f}{proxy_text:>14}")
    ratio = median["controller"][0] / median["direct"][0]
    against_reference = median["controller"][0] / median["reference"][0]
    added = median["controller"][1] - median["direct"][1]
    print(f"controller: {ratio:.2f}x direct, {against_reference:.2f}x the reference proxy; p99 added {added:.2f} ms; "
          f"peak RSS {rss:.1f} MiB")
    # N cores give at most N s of CPU per second: a proxy costing P us of CPU per request on top of the M the
    # app and wrk cost allows at most N / (M + P) requests per us, and 0.8x the direct rate needs P below
    # N / (0.8 x direct) - M.
    cores = float(sys.argv[4])
    direct_rps, machine = median["direct"][0], median["direct"][2]
    bound = lambda proxy: min(1.0, cores * 1e6 / (machine + proxy) / direct_rps)
    allowed = cores * 1e6 / (0.8 * direct_rps) - machine
    reference_cpu, controller_cpu = median["reference"][3], median["controller"][3]
    print(f"CPU per request: the app and wrk {machine:.1f} us, so 0.8x allows a proxy {allowed:.1f} us; "
          f"nginx costs {reference_cpu:.1f} us (at most {bound(reference_cpu):.2f}x), the controller "
          f"{controller_cpu:.1f} us (at most {bound(controller_cpu):.2f}x; {controller_cpu / reference_cpu:.2f}x nginx's)")
    print(f"  {'PASS' if ratio >= 0.8 else 'MISS'}  throughput >= 0.8x direct: {ratio:.2f}x")
    print(f"  {'PASS' if added < 1.0 else 'MISS'}  added p99 < 1 ms: {added:.2f} ms")
PY
