#!/usr/bin/env bash
# Load through the controller's proxy while pushes restart the app: wrk for DURATION seconds against the
# controller, and every INTERVAL seconds a `fastpush push` that changes app.py (so the app restarts).
#
#   Benchmarks/load-restart.sh [--build-dir DIR] [--duration S] [--interval S] [--connections N]
#
# Reports: whether the controller survived (crashes must be 0), its RSS at start, end and peak (memory should
# stay flat), wrk's request count, non-2xx answers and socket errors (the goal is 0: requests that arrive
# during a restart wait for the app), and the pushes made. Needs wrk (apt-get install wrk) and python3.
# Not part of CI: it takes a minute and measures; its figures are recorded in docs/SECURITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=.build/release
duration=60
interval=4
connections=32
while [ $# -gt 0 ]; do
    case "$1" in
        --build-dir) build_dir="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --interval) interval="$2"; shift ;;
        --connections) connections="$2"; shift ;;
        *) echo "load-restart: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
command -v wrk >/dev/null || { echo "load-restart: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
if [ ! -x "$build_dir/cf-fastpush-controller" ] || [ ! -x "$build_dir/fastpush" ]; then
    echo "load-restart: building the release binaries" >&2
    swift build -c release --product cf-fastpush-controller >&2
    swift build -c release --product fastpush >&2
    build_dir=.build/release
fi
controller_binary=$(cd "$build_dir" && pwd)/cf-fastpush-controller
fastpush_binary=$(cd "$build_dir" && pwd)/fastpush

work=$(mktemp -d /tmp/fastpush-load-XXXXXX)
controller_pid=""
sampler_pid=""
cleanup() {
    [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
    if [ -n "$controller_pid" ] && kill -0 "$controller_pid" 2>/dev/null; then
        kill -TERM "$controller_pid"; wait "$controller_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
backend_port=$(free_port)
token="load-$RANDOM$RANDOM"

# The app: a threaded Python server that answers every GET with its version.
mkdir -p "$work/app/static"
cat >"$work/app/app.py" <<'EOF'
import http.server, os
VERSION = "v0"
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = ("hello from " + VERSION + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
EOF
echo "body { color: red }" >"$work/app/static/page.css"
cp -a "$work/app" "$work/local"

(cd "$work/app" && exec env BIND_ADDRESS=127.0.0.1 PORT="$port" BACKEND_PORT="$backend_port" \
    BACKEND_COMMAND="exec python3 app.py" FASTPUSH_TOKEN="$token" "$controller_binary") >"$work/controller.log" 2>&1 &
controller_pid=$!
for _ in $(seq 1 300); do
    if curl -fsS -H "x-auth-token: $token" "http://127.0.0.1:$port/_fastpush/v2/status" 2>/dev/null | grep -q '"state":"running"'; then
        break
    fi
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/" >/dev/null || { echo "load-restart: the app did not come up" >&2; cat "$work/controller.log" >&2; exit 1; }

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$controller_pid/status" 2>/dev/null || echo 0; }
rss_start=$(rss)
(while kill -0 "$controller_pid" 2>/dev/null; do rss >>"$work/rss.txt"; sleep 0.5; done) &
sampler_pid=$!

# Beside wrk, one client that keeps the bodies of failed answers, so the report can say why they failed.
(while kill -0 "$controller_pid" 2>/dev/null; do
    code=$(curl -s -o "$work/body" -w '%{http_code}' "http://127.0.0.1:$port/" || true)
    [ "$code" = 200 ] || echo "$code $(head -c 300 "$work/body" 2>/dev/null)" >>"$work/failures.txt"
done) &
prober_pid=$!
wrk -t2 -c"$connections" -d"${duration}s" --timeout 30s "http://127.0.0.1:$port/" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
pushes=0
failed_pushes=0
restarts=0
while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep "$interval"
    kill -0 "$wrk_pid" 2>/dev/null || break
    pushes=$((pushes + 1))
    sed -i "s/^VERSION = .*/VERSION = \"v$pushes\"/" "$work/local/app.py"
    if output=$("$fastpush_binary" push "http://127.0.0.1:$port" "$work/local" --token "$token" 2>&1); then
        if grep -qi "restart" <<<"$output"; then restarts=$((restarts + 1)); fi
    else
        failed_pushes=$((failed_pushes + 1))
        echo "load-restart: push $pushes failed: $output" >&2
    fi
done
wait "$wrk_pid" || true
kill "$prober_pid" 2>/dev/null || true
served=$(curl -fsS "http://127.0.0.1:$port/" || echo "no answer")

crashes=0
kill -0 "$controller_pid" 2>/dev/null || crashes=1
rss_end=$(rss)
rss_peak=$(sort -n "$work/rss.txt" | tail -1)
requests=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
non2xx=$(awk -F': ' '/Non-2xx or 3xx responses/ { print $2 }' "$work/wrk.txt")
socket_errors=$(grep -o 'Socket errors:.*' "$work/wrk.txt" || echo "Socket errors: none")

echo "--- wrk ---"
cat "$work/wrk.txt"
echo "--- load-restart summary ---"
echo "duration ${duration}s, ${connections} connections, a push every ${interval}s"
echo "controller crashes: $crashes"
echo "controller RSS: start ${rss_start} kB, end ${rss_end} kB, peak ${rss_peak} kB"
echo "requests: ${requests:-0}, non-2xx: ${non2xx:-0}, ${socket_errors}"
echo "pushes: $pushes ($failed_pushes failed), of which announced a restart: $restarts"
echo "after the run the app answers: $served"
if [ -s "$work/failures.txt" ]; then
    echo "failed answers seen by the probing client ($(wc -l <"$work/failures.txt")), the first ones:"
    head -5 "$work/failures.txt"
fi
[ "$crashes" -eq 0 ] && [ "$failed_pushes" -eq 0 ]
