#!/usr/bin/env bash
# A large tree, one changed file: the steady-state push of a tree of N files (default 50,000) holding S MiB (default
# 1,024) in which one file changed, `fastpush push` to a local cf-fastpush-controller against
# `rsync -a --no-W --delete` between two local directories, measured in the same run. What it shows is the client's
# cost of finding the change: with its scan memory it reads no unchanged file and lists no unchanged directory. The
# same push without that file (the first push after the cache was lost, which must read and hash every file) is shown
# too.
#
#   Benchmarks/compare-large-tree.sh [--files 50000] [--mib 1024] [--runs 3] [--fastpush BIN --controller BIN] [--keep]
#
# Prints, per run and as medians: wall seconds and the client's peak RSS (GNU time) of each push, the controller's CPU
# seconds (user + system) during the steady push, rsync's wall seconds, and the targets (steady push under 150 ms on
# loopback, client peak RSS under 100 MiB) as PASS/MISS.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
bench_name=compare-large-tree
# shellcheck source=Benchmarks/bench-common.sh
source "${script_dir}/bench-common.sh"

files=50000
mib=1024
runs=3
fastpush_bin=""
controller_bin=""
keep=""
while (($# > 0)); do
    case "$1" in
        --files) files="${2:?--files needs a number}"; shift 2 ;;
        --mib) mib="${2:?--mib needs a number}"; shift 2 ;;
        --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
        --fastpush) fastpush_bin="${2:?--fastpush needs a path}"; shift 2 ;;
        --controller) controller_bin="${2:?--controller needs a path}"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see the usage at the top of this script)" ;;
    esac
done
require_count --files "${files}"
require_count --mib "${mib}"
require_count --runs "${runs}"

ensure_debian_packages rsync:rsync python3:python3 bc:bc "${time_bin}:time"
if [[ -z "${fastpush_bin}" && -z "${controller_bin}" ]]; then
    release_dir="$(build_release fastpush cf-fastpush-controller)"
    fastpush_bin="${release_dir}/fastpush"
    controller_bin="${release_dir}/cf-fastpush-controller"
fi
[[ -x "${fastpush_bin}" && -x "${controller_bin}" ]] || die "give --fastpush and --controller together, as executables"
fastpush_bin="$(realpath "${fastpush_bin}")"
controller_bin="$(realpath "${controller_bin}")"

work="$(mktemp -d /tmp/fastpush-large-tree.XXXXXX)"
controller_pid=""
cleanup() {
    if [[ -n "${controller_pid}" ]]; then kill -TERM "${controller_pid}" 2>/dev/null || true; wait "${controller_pid}" 2>/dev/null || true; fi
    if [[ -z "${keep}" ]]; then rm -rf "${work}"; else echo "${bench_name}: data kept in ${work}" >&2; fi
}
trap cleanup EXIT

# The tree: files of seeded random sizes (together about MIB MiB) in directories of 500; the app and rsync's copy
# start as copies of it.
echo "${bench_name}: writing ${files} files, ${mib} MiB..." >&2
python3 - "${work}/tree" "${files}" "${mib}" <<'PYTHON'
import os, random, sys
root, count, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
generator = random.Random(20)
average = mib * 1024 * 1024 // count
block = generator.randbytes(1 << 20)
for number in range(count):
    directory = os.path.join(root, f"d{number // 500:04}")
    if number % 500 == 0:
        os.makedirs(directory)
    size = generator.randint(0, 2 * average)
    start = generator.randint(0, len(block) - 1)
    data = (block[start:] + block)[:size] if size <= len(block) else generator.randbytes(size)
    with open(os.path.join(directory, f"f{number:07}.dat"), "wb") as output:
        output.write(data)
PYTHON
cp -a "${work}/tree" "${work}/app"
cp -a "${work}/tree" "${work}/rsync-copy"

token=bench-token-not-secret
port="$(free_loopback_port)"
(cd "${work}/app" && PORT="${port}" BIND_ADDRESS=127.0.0.1 BACKEND_PORT="$(free_loopback_port)" \
    BACKEND_COMMAND='exec sleep 100000' FASTPUSH_TOKEN="${token}" RESTART_REGEX='^$never' \
    exec "${controller_bin}" >"${work}/controller.log" 2>&1) &
controller_pid=$!
for _ in $(seq 1 600); do
    curl -fsS -o /dev/null -H "x-auth-token: ${token}" "http://127.0.0.1:${port}/_fastpush/v2/status" 2>/dev/null && break
    kill -0 "${controller_pid}" 2>/dev/null || die "the controller exited at start: $(tail -5 "${work}/controller.log")"
    sleep 0.1
done

now() { date +%s.%N; }
# push NAME: one `fastpush push` of the tree, timed; prints "SECONDS PEAK_RSS_MIB".
push() {
    local start seconds
    start="$(now)"
    FASTPUSH_CACHE_DIR="${work}/cache" NO_COLOR=1 "${time_bin}" -f '%M' -o "${work}/$1.rss" \
        "${fastpush_bin}" push "http://127.0.0.1:${port}" "${work}/tree" --token "${token}" >"${work}/$1.log" 2>&1 ||
        die "the push failed: $(tail -5 "${work}/$1.log")"
    seconds="$(echo "$(now) - ${start}" | bc)"
    printf '%.3f %.1f\n' "${seconds}" "$(echo "$(tail -1 "${work}/$1.rss") / 1024" | bc -l)"
}
scan_memory() { find "${work}/cache" -name scan-memory; }
# The controller's CPU time so far (user + system), in clock ticks.
controller_ticks() { awk '{ print $14 + $15 }' "/proc/${controller_pid}/stat"; }
ticks_per_second="$(getconf CLK_TCK)"

# The files must be older than the racy interval (2 s) for a scan to vouch for them.
sleep 3
push prime >/dev/null
rsync -a --no-W --delete "${work}/tree/" "${work}/rsync-copy/"
[[ -n "$(scan_memory)" ]] || die "the first push left no scan memory"

results=()
for run in $(seq 1 "${runs}"); do
    number=$((run * 7919 % files))
    changed="${work}/tree/d$(printf '%04d' $((number / 500)))/f$(printf '%07d' "${number}").dat"
    [[ -f "${changed}" ]] || die "no file ${changed}"
    echo "one more line, run ${run}" >>"${changed}"
    ticks_before="$(controller_ticks)"
    read -r steady_seconds steady_rss < <(push "steady-${run}")
    controller_cpu="$(printf '%.2f' "$(echo "($(controller_ticks) - ${ticks_before}) / ${ticks_per_second}" | bc -l)")"
    grep -q "pushed" "${work}/steady-${run}.log" ||
        die "the steady push did not push the change: $(tail -5 "${work}/steady-${run}.log")"
    start="$(now)"
    rsync -a --no-W --delete "${work}/tree/" "${work}/rsync-copy/"
    rsync_seconds="$(printf '%.3f' "$(echo "$(now) - ${start}" | bc)")"

    echo "and another, run ${run}" >>"${changed}"
    rm -f "$(scan_memory)"
    read -r cold_seconds cold_rss < <(push "no-scan-memory-${run}")
    rsync -a --no-W --delete "${work}/tree/" "${work}/rsync-copy/"
    sleep 3  # the changed file ages past the racy interval, as between a developer's edits

    line="${run} ${steady_seconds} ${steady_rss} ${controller_cpu} ${cold_seconds} ${cold_rss} ${rsync_seconds}"
    results+=("${line}")
    echo "${bench_name}: run ${run}: ${line#* }" >&2
done
cmp -s <(cd "${work}/tree" && find . -type f -exec md5sum {} + | sort) <(cd "${work}/app" && find . -type f -exec md5sum {} + | sort) ||
    die "the controller's app does not match the tree after the pushes"

echo
echo "${files} files, ${mib} MiB, one file changed: steady push (scan memory) against the same push without it and rsync (${runs} runs)"
printf '%-5s %9s %13s %17s %16s %20s %9s\n' run steady-s steady-rss-MiB controller-cpu-s no-memory-s no-memory-rss-MiB rsync-s
for line in "${results[@]}"; do
    # shellcheck disable=SC2086
    printf '%-5s %9s %13s %17s %16s %20s %9s\n' ${line}
done
median() { printf '%s\n' "${results[@]}" | sort -n -k"$1" | awk -v runs="${runs}" -v column="$1" 'NR == int((runs + 1) / 2) { print $column }'; }
steady="$(median 2)"; rss="$(median 3)"; controller="$(median 4)"; cold="$(median 5)"; rsync_median="$(median 7)"
verdict() { if [[ "$(echo "$1" | bc -l)" == 1 ]]; then echo PASS; else echo MISS; fi; }
printf 'median: steady %s s (controller CPU %s s), without the scan memory %s s, rsync %s s (steady / rsync %.2fx)\n' \
    "${steady}" "${controller}" "${cold}" "${rsync_median}" "$(echo "${steady} / ${rsync_median}" | bc -l)"
echo "target: steady push under 150 ms wall: $(verdict "${steady} < 0.150") (${steady} s)"
echo "target: client peak RSS under 100 MiB: $(verdict "${rss} < 100") (${rss} MiB)"
