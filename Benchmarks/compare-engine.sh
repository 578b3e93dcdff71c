#!/usr/bin/env bash
# Compares the fastpush delta engine with rdiff (librsync) and rsync (daemon on loopback).
#
#   Benchmarks/compare-engine.sh [--size-mib 256] [--runs 5] [--with-1gib] [--no-real-data] [--out DIR]
#                                [--fastpush BIN]
#
# Builds fastpush in release, generates seeded test data in a temporary directory (random files, and
# real-world pairs: a SQLite database, a rebuilt executable, a zip, a model file), times every method
# N times per scenario (medians reported), checks that `fastpush patch` rebuilds NEW exactly, prints a
# table with ratios and the project's targets (PASS/MISS as measured in this run) and writes the raw
# figures as CSV. Only loopback (127.0.0.1) is used. See Benchmarks/README.md.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"

size_mib=256
runs=5
with_1gib=0
real_data=1
out_dir="${repo_root}/bench-results/engine"
fastpush_bin=""
edit_count=30

usage() {
    cat <<EOF
usage: $(basename "$0") [--size-mib N] [--runs N] [--with-1gib] [--no-real-data] [--out DIR] [--fastpush BIN]

  --size-mib N     size of the OLD, NEW and UNRELATED files in MiB (default ${size_mib})
  --runs N         timed runs of each method per scenario; medians are reported (default ${runs})
  --with-1gib      also run fastpush signature, delta and patch on a 1 GiB file for peak RSS
  --no-real-data   skip the real-world pairs (SQLite, executable, zip, model; they need gcc and take
                   about two minutes to generate)
  --out DIR        where the CSV results go (default: bench-results/engine under the repository)
  --fastpush BIN   use this fastpush binary instead of building one
EOF
}

bench_name=compare-engine
# shellcheck source=Benchmarks/bench-common.sh
source "${script_dir}/bench-common.sh"

while (($# > 0)); do
    case "$1" in
        --size-mib) size_mib="${2:?--size-mib needs a value}"; shift 2 ;;
        --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
        --with-1gib) with_1gib=1; shift ;;
        --no-real-data) real_data=0; shift ;;
        --out) out_dir="${2:?--out needs a directory}"; shift 2 ;;
        --fastpush) fastpush_bin="${2:?--fastpush needs a path}"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
require_count --size-mib "${size_mib}"
require_count --runs "${runs}"

# ---------------------------------------------------------------------------------------------------
# Tools

ensure_debian_packages rsync:rsync rdiff:rdiff xxhsum:xxhash /usr/bin/time:time
((real_data == 0)) || ensure_debian_packages gcc:gcc
command -v python3 >/dev/null || die "python3 is needed to generate the data and print the table"
command -v cmp >/dev/null || die "cmp (diffutils) is needed to check the rebuilt file"

if [[ -z "${fastpush_bin}" ]]; then
    fastpush_bin="$(build_release fastpush)/fastpush"
fi
[[ -x "${fastpush_bin}" ]] || die "no fastpush executable at ${fastpush_bin}"

# ---------------------------------------------------------------------------------------------------
# Work directory, rsync daemon, cleanup

work="$(mktemp -d /tmp/fastpush-engine-bench.XXXXXX)"
daemon_pid=""
cleanup() {
    if [[ -n "${daemon_pid}" ]] && kill -0 "${daemon_pid}" 2>/dev/null; then
        kill "${daemon_pid}" 2>/dev/null || true
        wait "${daemon_pid}" 2>/dev/null || true
    fi
    rm -rf "${work}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "${out_dir}"
out_dir="$(cd "${out_dir}" && pwd)"
raw_csv="${out_dir}/raw.csv"
echo "scenario,method,run,wall_s,user_s,sys_s,max_rss_kib,wire_bytes,signature_bytes,delta_bytes,literal_bytes,matched_bytes" >"${raw_csv}"

start_rsync_daemon() {
    local port config group_id
    port="$(free_loopback_port)"
    group_id="$(id -g)"
    mkdir -p "${work}/rsync/dest"
    config="${work}/rsync/rsyncd.conf"
    cat >"${config}" <<EOF
address = 127.0.0.1
port = ${port}
use chroot = no
pid file = ${work}/rsync/rsyncd.pid
log file = ${work}/rsync/rsyncd.log
[bench]
    path = ${work}/rsync/dest
    read only = no
    uid = ${EUID}
    gid = ${group_id}
EOF
    rsync --daemon --no-detach --config="${config}" --port="${port}" --address=127.0.0.1 &
    daemon_pid=$!
    rsync_url="rsync://127.0.0.1:${port}/bench/old.bin"
    local tries=0
    until rsync "rsync://127.0.0.1:${port}/" >/dev/null 2>&1; do
        tries=$((tries + 1))
        kill -0 "${daemon_pid}" 2>/dev/null || die "the rsync daemon exited at start: $(cat "${work}/rsync/rsyncd.log" 2>/dev/null)"
        ((tries < 100)) || die "the rsync daemon is not answering on 127.0.0.1:${port}"
        sleep 0.05
    done
}

# CPU time (user, sys; in clock ticks) used by the daemon's finished children: rsync's receiver and generator.
clock_ticks="$(getconf CLK_TCK)"
daemon_children_cpu() {
    # Fields 16 and 17 of /proc/PID/stat (after the command name in parentheses): cutime, cstime.
    local stat
    stat="$(cat "/proc/${daemon_pid}/stat")"
    stat="${stat##*) }"
    # shellcheck disable=SC2086 # split the fields
    set -- ${stat}
    echo "${14} ${15}"
}
wait_for_daemon_children() {
    local tries=0
    while [[ -n "$(cat "/proc/${daemon_pid}/task/${daemon_pid}/children" 2>/dev/null)" ]]; do
        tries=$((tries + 1))
        ((tries < 200)) || die "the rsync daemon's transfer process did not finish"
        sleep 0.02
    done
}

# ---------------------------------------------------------------------------------------------------
# Timing

# timed LABEL CMD...: runs CMD under GNU time; sets wall, user, sys (s), rss (KiB); CMD's stderr is kept in
# ${work}/LABEL.err. A failing command stops the benchmark with its error output.
timed() {
    local label="$1"
    shift
    local times="${work}/${label}.time" started ended
    started="${EPOCHREALTIME}"
    if ! "${time_bin}" -f "%e %U %S %M" -o "${times}" "$@" >"${work}/${label}.out" 2>"${work}/${label}.err"; then
        die "'$*' failed: $(cat "${work}/${label}.err")"
    fi
    ended="${EPOCHREALTIME}"
    # GNU time gives CPU and peak RSS; the wall clock comes from bash, to the microsecond (time's %e
    # has 10 ms steps, too coarse for steps that take a few tens of milliseconds).
    read -r wall user sys rss <"${times}"
    wall="$(awk -v a="${started}" -v b="${ended}" 'BEGIN { printf "%.4f", b - a }')"
}

size_of() { stat -c %s "$1"; }

# Writes every dirty page back before a method is timed, so that none pays for the writeback of files an
# earlier step wrote: each run leaves about 1 GiB dirty (two copies of OLD, the two rsyncs' new files), which
# the kernel would write back while the next methods run.
settle() { sync; }

record() { # record SCENARIO METHOD RUN WIRE SIG DELTA LITERAL MATCHED
    echo "$1,$2,$3,${wall},${user},${sys},${rss},$4,$5,$6,$7,$8" >>"${raw_csv}"
}

# Strips thousands separators from a number in rsync's --stats output.
rsync_stat() { # rsync_stat FILE "Label"
    local value
    value="$(sed -n "s/^$2: \([0-9,]*\).*/\1/p" "$1" | tr -d ,)"
    [[ -n "${value}" ]] || die "no '$2' in rsync's --stats output: $(cat "$1")"
    echo "${value}"
}

# run_methods SCENARIO OLD NEW RUN (RUN 0 is the warm-up and is not recorded)
run_methods() {
    local scenario="$1" old="$2" new="$3" run="$4"
    local sig="${work}/fp.sig" delta="${work}/fp.delta"
    local rsig="${work}/rdiff.sig" rdelta="${work}/rdiff.delta"
    # Every tool writes fresh files (rdiff refuses to overwrite without --force).
    rm -f "${sig}" "${delta}" "${rsig}" "${rdelta}"

    local sig_size delta_size
    settle
    timed fp-sig "${fastpush_bin}" signature "${old}" "${sig}" --stats
    local fp_sig_wall="${wall}" fp_sig_user="${user}" fp_sig_sys="${sys}" fp_sig_rss="${rss}"
    sig_size="$(size_of "${sig}")"
    ((run == 0)) || record "${scenario}" fastpush-signature "${run}" "${sig_size}" "${sig_size}" "" "" ""
    timed fp-delta "${fastpush_bin}" delta "${sig}" "${new}" "${delta}" --stats
    if ((run > 0)); then
        local literal copied
        delta_size="$(size_of "${delta}")"
        literal="$(sed -n 's/.* \([0-9]*\) literal bytes.*/\1/p' "${work}/fp-delta.err")"
        copied="$(sed -n 's/.*copied \([0-9]*\) bytes.*/\1/p' "${work}/fp-delta.err")"
        record "${scenario}" fastpush-delta "${run}" "${delta_size}" "" "${delta_size}" "${literal}" "${copied}"
        wall="$(awk -v a="${fp_sig_wall}" -v b="${wall}" 'BEGIN { printf "%.4f", a + b }')"
        user="$(awk -v a="${fp_sig_user}" -v b="${user}" 'BEGIN { printf "%.2f", a + b }')"
        sys="$(awk -v a="${fp_sig_sys}" -v b="${sys}" 'BEGIN { printf "%.2f", a + b }')"
        rss=$((rss > fp_sig_rss ? rss : fp_sig_rss))
        record "${scenario}" fastpush-total "${run}" "$((sig_size + delta_size))" "${sig_size}" "${delta_size}" "${literal}" "${copied}"
    fi

    settle
    timed rdiff-sig rdiff signature "${old}" "${rsig}"
    local rd_sig_wall="${wall}" rd_sig_user="${user}" rd_sig_sys="${sys}" rd_sig_rss="${rss}"
    sig_size="$(size_of "${rsig}")"
    ((run == 0)) || record "${scenario}" rdiff-signature "${run}" "${sig_size}" "${sig_size}" "" "" ""
    timed rdiff-delta rdiff delta "${rsig}" "${new}" "${rdelta}"
    if ((run > 0)); then
        delta_size="$(size_of "${rdelta}")"
        record "${scenario}" rdiff-delta "${run}" "${delta_size}" "" "${delta_size}" "" ""
        wall="$(awk -v a="${rd_sig_wall}" -v b="${wall}" 'BEGIN { printf "%.4f", a + b }')"
        user="$(awk -v a="${rd_sig_user}" -v b="${user}" 'BEGIN { printf "%.2f", a + b }')"
        sys="$(awk -v a="${rd_sig_sys}" -v b="${sys}" 'BEGIN { printf "%.2f", a + b }')"
        rss=$((rss > rd_sig_rss ? rss : rd_sig_rss))
        record "${scenario}" rdiff-total "${run}" "$((sig_size + delta_size))" "${sig_size}" "${delta_size}" "" ""
    fi

    # rsync: the destination starts as OLD each time; NEW carries a different mtime, so rsync's quick
    # check never skips it and the delta algorithm runs (--no-whole-file, since both ends are local).
    cp "${old}" "${work}/rsync/dest/old.bin"
    touch -d "2020-01-01 00:00:00" "${work}/rsync/dest/old.bin"
    wait_for_daemon_children
    settle
    local before after
    before="$(daemon_children_cpu)"
    timed rsync rsync -a --no-whole-file --stats "${new}" "${rsync_url}"
    wait_for_daemon_children
    after="$(daemon_children_cpu)"
    if ((run > 0)); then
        local sent received literal matched
        sent="$(rsync_stat "${work}/rsync.out" "Total bytes sent")"
        received="$(rsync_stat "${work}/rsync.out" "Total bytes received")"
        literal="$(rsync_stat "${work}/rsync.out" "Literal data")"
        matched="$(rsync_stat "${work}/rsync.out" "Matched data")"
        # CPU of the whole transfer: the client (timed) plus the daemon's receiver and generator.
        read -r before_user before_sys <<<"${before}"
        read -r after_user after_sys <<<"${after}"
        user="$(awk -v a="${user}" -v b="$((after_user - before_user))" -v t="${clock_ticks}" 'BEGIN { printf "%.2f", a + b / t }')"
        sys="$(awk -v a="${sys}" -v b="$((after_sys - before_sys))" -v t="${clock_ticks}" 'BEGIN { printf "%.2f", a + b / t }')"
        record "${scenario}" rsync "${run}" "$((sent + received))" "" "" "${literal}" "${matched}"
    fi

    # rsync on one machine, forced to use its delta algorithm (--no-W) on a file it would otherwise skip
    # (-I): the destination starts as OLD each time.
    cp "${old}" "${work}/rsync-local/old.bin"
    settle
    timed rsync-local rsync --no-W -I --stats "${new}" "${work}/rsync-local/old.bin"
    if ((run > 0)); then
        local sent received literal matched
        sent="$(rsync_stat "${work}/rsync-local.out" "Total bytes sent")"
        received="$(rsync_stat "${work}/rsync-local.out" "Total bytes received")"
        literal="$(rsync_stat "${work}/rsync-local.out" "Literal data")"
        matched="$(rsync_stat "${work}/rsync-local.out" "Matched data")"
        record "${scenario}" rsync-local "${run}" "$((sent + received))" "" "" "${literal}" "${matched}"
    fi
}

# verify SCENARIO OLD NEW: times fastpush patch; it and both rsyncs must have rebuilt NEW byte for byte.
verify() {
    local scenario="$1" old="$2" new="$3"
    # A warm-up, then the timed run (the patch figure is informational: one run).
    timed fp-patch "${fastpush_bin}" patch "${old}" "${work}/fp.delta" "${work}/rebuilt.bin" --stats
    rm -f "${work}/rebuilt.bin"
    settle
    timed fp-patch "${fastpush_bin}" patch "${old}" "${work}/fp.delta" "${work}/rebuilt.bin" --stats
    cmp -s "${work}/rebuilt.bin" "${new}" || die "${scenario}: fastpush patch did not rebuild NEW exactly"
    record "${scenario}" fastpush-patch 1 "" "" "" "" ""
    rm -f "${work}/rebuilt.bin"
    cmp -s "${work}/rsync/dest/old.bin" "${new}" || die "${scenario}: rsync did not leave NEW at the destination"
    cmp -s "${work}/rsync-local/old.bin" "${new}" || die "${scenario}: local rsync did not leave NEW at the destination"
    echo "compare-engine: ${scenario}: fastpush patch rebuilt NEW exactly (cmp)" >&2
}

# ---------------------------------------------------------------------------------------------------
# Data and runs

size_bytes=$((size_mib * 1024 * 1024))
echo "compare-engine: generating ${size_mib} MiB OLD, NEW (${edit_count} edits) and UNRELATED in ${work}..." >&2
python3 "${script_dir}/engine_data.py" random "${work}/old.bin" "${size_bytes}" 1
python3 "${script_dir}/engine_data.py" edited "${work}/old.bin" "${work}/new.bin" 2 "${edit_count}"
python3 "${script_dir}/engine_data.py" random "${work}/unrelated.bin" "${size_bytes}" 3
touch -d "2024-06-01 12:00:00" "${work}/new.bin" "${work}/unrelated.bin"

scenarios=(mostly-matching unrelated)
if ((real_data)); then
    echo "compare-engine: generating the real-world pairs (SQLite, executable, zip, model)..." >&2
    real="${work}/real"
    mkdir -p "${real}"
    python3 "${script_dir}/engine_real_data.py" sqlite "${real}/sqlite-old.db" "${real}/sqlite-new.db" 41
    python3 "${script_dir}/engine_real_data.py" executable "${real}/executable-old" "${real}/executable-new" 42 "${real}/build"
    python3 "${script_dir}/engine_real_data.py" zip "${real}/zip-old.zip" "${real}/zip-new.zip" 43
    python3 "${script_dir}/engine_real_data.py" model "${real}/model-old.safetensors" "${real}/model-new.safetensors" 44
    rm -rf "${real}/build"
    touch -d "2024-06-01 12:00:00" "${real}"/*-new*
    scenarios+=(sqlite executable zip model)
fi
sync

mkdir -p "${work}/rsync-local"
start_rsync_daemon

for scenario in "${scenarios[@]}"; do
    old="${work}/old.bin"
    case "${scenario}" in
        mostly-matching) new="${work}/new.bin" ;;
        unrelated) new="${work}/unrelated.bin" ;;
        sqlite) old="${real}/sqlite-old.db" new="${real}/sqlite-new.db" ;;
        executable) old="${real}/executable-old" new="${real}/executable-new" ;;
        zip) old="${real}/zip-old.zip" new="${real}/zip-new.zip" ;;
        model) old="${real}/model-old.safetensors" new="${real}/model-new.safetensors" ;;
        *) die "unknown scenario ${scenario}" ;;
    esac
    echo "compare-engine: ${scenario}: warm-up, then ${runs} timed runs of each method..." >&2
    for ((run = 0; run <= runs; run++)); do
        run_methods "${scenario}" "${old}" "${new}" "${run}"
    done
    verify "${scenario}" "${old}" "${new}"
done

if ((with_1gib)); then
    echo "compare-engine: 1 GiB: peak RSS of fastpush signature, delta and patch (warm-up, then one run)..." >&2
    rm -rf "${work}/unrelated.bin" "${work}/rsync/dest/old.bin" "${work}/rsync-local/old.bin" "${work}/real"
    big_old="${work}/old-1gib.bin"
    big_new="${work}/new-1gib.bin"
    python3 "${script_dir}/engine_data.py" random "${big_old}" $((1024 * 1024 * 1024)) 11
    python3 "${script_dir}/engine_data.py" edited "${big_old}" "${big_new}" 12 "${edit_count}"
    sync
    # A warm-up pass, then the recorded one: on a VM, the first writes of a GiB into memory the guest has
    # not touched yet cost seconds of system time that have nothing to do with the tool.
    for pass in 0 1; do
        rm -f "${work}/big.sig" "${work}/big.delta" "${work}/big-rebuilt.bin"
        timed big-sig "${fastpush_bin}" signature "${big_old}" "${work}/big.sig" --stats
        big_sig_size="$(size_of "${work}/big.sig")"
        ((pass == 0)) || record 1gib fastpush-signature 1 "${big_sig_size}" "${big_sig_size}" "" "" ""
        timed big-delta "${fastpush_bin}" delta "${work}/big.sig" "${big_new}" "${work}/big.delta" --stats
        big_delta_size="$(size_of "${work}/big.delta")"
        ((pass == 0)) || record 1gib fastpush-delta 1 "${big_delta_size}" "" "${big_delta_size}" "" ""
        timed big-patch "${fastpush_bin}" patch "${big_old}" "${work}/big.delta" "${work}/big-rebuilt.bin" --stats
        ((pass == 0)) || record 1gib fastpush-patch 1 "" "" "" "" ""
    done
    cmp -s "${work}/big-rebuilt.bin" "${big_new}" || die "1 GiB: fastpush patch did not rebuild NEW exactly"
    rm -f "${big_old}" "${big_new}" "${work}/big-rebuilt.bin"
fi

cores="$(nproc)"
kernel="$(uname -sr)"
commit="$(git -C "${repo_root}" rev-parse --short HEAD 2>/dev/null || echo 'unknown commit')"
rsync_version="$(rsync --version | sed -n '1s/  */ /gp')"
rdiff_version="$(rdiff --version | sed -n 1p)"
machine="${cores} cores, ${kernel}, fastpush at ${commit} (plus uncommitted changes, if any), ${rsync_version}, ${rdiff_version}"
python3 "${script_dir}/engine_report.py" "${raw_csv}" "${out_dir}/summary.csv" \
    --size-mib "${size_mib}" --runs "${runs}" --machine "${machine}" | tee "${out_dir}/table.txt"
echo "compare-engine: raw results in ${raw_csv}; medians in ${out_dir}/summary.csv; table in ${out_dir}/table.txt" >&2
