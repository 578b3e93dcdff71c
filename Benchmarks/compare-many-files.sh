#!/usr/bin/env bash
# Many empty files: the first push of a tree of N empty files (default 20,000, in directories of 1,000) into an
# empty app, `fastpush push` to a local cf-fastpush-controller against `rsync -a` copying the same tree on the
# same disk, measured in the same run. What it shows is the controller's cost per file (staging, flushing,
# renaming), which for empty files is all there is.
#
#   Benchmarks/compare-many-files.sh [--files 20000] [--runs 3] [--fastpush BIN --controller BIN] [--keep]
#
# Prints, per run and as medians: wall seconds of each, the controller's user and system CPU seconds for the
# push, and the ratio fastpush / rsync. The server's tree is checked (every file there) after each push.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
bench_name=compare-many-files
# shellcheck source=Benchmarks/bench-common.sh
source "${script_dir}/bench-common.sh"

files=20000
runs=3
fastpush_bin=""
controller_bin=""
keep=""
while (($# > 0)); do
    case "$1" in
        --files) files="${2:?--files needs a number}"; shift 2 ;;
        --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
        --fastpush) fastpush_bin="${2:?--fastpush needs a path}"; shift 2 ;;
        --controller) controller_bin="${2:?--controller needs a path}"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see the usage at the top of this script)" ;;
    esac
done
require_count --files "${files}"
require_count --runs "${runs}"

ensure_debian_packages rsync:rsync python3:python3
if [[ -z "${fastpush_bin}" && -z "${controller_bin}" ]]; then
    release_dir="$(build_release fastpush cf-fastpush-controller)"
    fastpush_bin="${release_dir}/fastpush"
    controller_bin="${release_dir}/cf-fastpush-controller"
fi
[[ -x "${fastpush_bin}" && -x "${controller_bin}" ]] || die "give --fastpush and --controller together, as executables"
fastpush_bin="$(realpath "${fastpush_bin}")"
controller_bin="$(realpath "${controller_bin}")"

work="$(mktemp -d /tmp/fastpush-many-files.XXXXXX)"
controller_pid=""
cleanup() {
    if [[ -n "${controller_pid}" ]]; then kill -TERM "${controller_pid}" 2>/dev/null || true; wait "${controller_pid}" 2>/dev/null || true; fi
    if [[ -z "${keep}" ]]; then rm -rf "${work}"; else echo "${bench_name}: data kept in ${work}" >&2; fi
}
trap cleanup EXIT

token=bench-token-not-secret
python3 - "${work}/tree" "${files}" <<'EOF'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for number in range(count):
    directory = os.path.join(root, f"d{number // 1000:04}")
    if number % 1000 == 0:
        os.makedirs(directory)
    open(os.path.join(directory, f"f{number:07}"), "w").close()
EOF

# cpu_seconds PID: user and system CPU seconds of a process so far ("USER SYS").
cpu_seconds() {
    awk -v ticks="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f %.2f\n", $12 / ticks, $13 / ticks }' "/proc/$1/stat"
}

now() { date +%s.%N; }

results=()
for run in $(seq 1 "${runs}"); do
    app="${work}/app-${run}"
    mkdir "${app}"
    port="$(free_loopback_port)"
    (cd "${app}" && PORT="${port}" BIND_ADDRESS=127.0.0.1 BACKEND_PORT="$(free_loopback_port)" \
        BACKEND_COMMAND='exec sleep 100000' FASTPUSH_TOKEN="${token}" RESTART_REGEX='^$never' \
        FASTPUSH_MAX_PUSH_BYTES=$((4 << 30)) exec "${controller_bin}" >"${work}/controller-${run}.log" 2>&1) &
    controller_pid=$!
    for _ in $(seq 1 600); do
        curl -fsS -o /dev/null -H "x-auth-token: ${token}" "http://127.0.0.1:${port}/_fastpush/v2/status" 2>/dev/null && break
        kill -0 "${controller_pid}" 2>/dev/null || die "the controller exited at start: $(tail -5 "${work}/controller-${run}.log")"
        sleep 0.1
    done
    read -r user_before sys_before < <(cpu_seconds "${controller_pid}")
    start="$(now)"
    FASTPUSH_CACHE_DIR="${work}/cache-${run}" NO_COLOR=1 "${fastpush_bin}" push "http://127.0.0.1:${port}" \
        "${work}/tree" --token "${token}" >"${work}/push-${run}.log" 2>&1 ||
        die "the push failed: $(tail -5 "${work}/push-${run}.log")"
    fastpush_seconds="$(echo "$(now) - ${start}" | bc)"
    read -r user_after sys_after < <(cpu_seconds "${controller_pid}")
    kill -TERM "${controller_pid}"; wait "${controller_pid}" 2>/dev/null || true; controller_pid=""
    arrived="$(find "${app}" -type f -name 'f*' | wc -l)"
    [[ "${arrived}" == "${files}" ]] || die "the controller's app holds ${arrived} files, not ${files}"

    start="$(now)"
    rsync -a "${work}/tree/" "${work}/rsync-${run}/"
    rsync_seconds="$(echo "$(now) - ${start}" | bc)"
    rm -rf "${app}" "${work}/rsync-${run}"

    line="$(printf '%s %.2f %.2f %.2f %.2f %.1f' "${run}" "${fastpush_seconds}" "${rsync_seconds}" \
        "$(echo "${user_after} - ${user_before}" | bc)" "$(echo "${sys_after} - ${sys_before}" | bc)" \
        "$(echo "${fastpush_seconds} / ${rsync_seconds}" | bc -l)")"
    results+=("${line}")
    echo "${bench_name}: run ${run}: ${line#* }" >&2
done

echo
echo "${files} empty files in directories of 1,000, first push into an empty app (${runs} runs)"
printf '%-5s %12s %10s %16s %15s %8s\n' run fastpush-s rsync-s controller-user controller-sys ratio
for line in "${results[@]}"; do
    # shellcheck disable=SC2086
    printf '%-5s %12s %10s %16s %15s %7sx\n' ${line}
done
printf '%s\n' "${results[@]}" | sort -n -k6 | awk -v runs="${runs}" 'NR == int((runs + 1) / 2) {
    printf "median ratio fastpush / rsync: %sx (fastpush %s s, rsync %s s)\n", $6, $2, $3 }'
