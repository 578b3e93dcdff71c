#!/usr/bin/env bash
# Whole pushes, end to end: fastpush (steady state, cold, and the original full-file API) against rsync through
# a daemon, on loopback, over a real 10 Mbit/s link (network namespace + tbf, when run as root) and over a link
# with a 100 ms round trip (the byte-counting relays delay every byte).
#
#   Benchmarks/compare-push.sh [--runs 3] [--scenarios LIST] [--links loopback,slow,rtt100] [--with-1gib]
#                              [--slow-full-file] [--tree-files 5000] [--tree-mib 100] [--sources DIR]
#                              [--out DIR] [--fastpush BIN --controller BIN] [--keep]
#
# Builds both binaries in release, generates seeded app trees in a temporary directory, runs every scenario and
# method --runs times after a warm-up, and prints medians, ratios and the targets (PASS/MISS as measured). Writes
# raw.csv, summary.json, table.txt and push.svg to --out. Traffic goes only to 127.0.0.1 and to the namespace's
# own address, 10.213.0.2; the upgrade scenario fetches its two source archives with `pip download` once, into
# --sources. See docs/BENCHMARKS.md.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
bench_name=compare-push
# shellcheck source=Benchmarks/bench-common.sh
source "${script_dir}/bench-common.sh"

out_dir="${repo_root}/bench-results/push"
fastpush_bin=""
controller_bin=""
netns="fpbench$$"
passed=()

usage() {
    cat <<EOF
usage: $(basename "$0") [options]

  --runs N            timed runs of each method per scenario and link, after one warm-up (default 3)
  --scenarios LIST    comma-separated, from: oneline,binary,added,new200,deleted,nothing,restart,upgrade,php
                      (default: all)
  --links LIST        comma-separated, from: loopback,slow,rtt100 (default: all; slow needs root, ip and tc)
  --with-1gib         the binary scenario on a 1 GiB file instead of 256 MiB
  --binary-mib N      the binary scenario's size in MiB (default 256)
  --tree-files N      files in the source tree (default 5000)
  --tree-mib N        MiB of text in the source tree (default 100)
  --php-files N       files in the PHP app (default 1500)
  --sources DIR       where the upgrade scenario's release archives are kept (default: bench-results/sources
                      under the repository; fetched with pip when missing)
  --slow-full-file    also push the big binary whole over the 10 Mbit/s link (minutes per run)
  --out DIR           where results go (default: bench-results/push under the repository)
  --fastpush BIN      use this fastpush binary (with --controller) instead of building them
  --controller BIN    use this cf-fastpush-controller binary
  --keep              keep the temporary data directory (its path is printed)
EOF
}

while (($# > 0)); do
    case "$1" in
        --runs | --scenarios | --links | --binary-mib | --tree-files | --tree-mib | --php-files | --sources)
            [[ $# -ge 2 ]] || die "$1 needs a value"
            [[ "$1" != --runs || "$2" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive whole number, not '$2'"
            passed+=("$1" "$2"); shift 2 ;;
        --with-1gib) passed+=(--binary-mib 1024); shift ;;
        --slow-full-file | --keep) passed+=("$1"); shift ;;
        --out) out_dir="${2:?--out needs a directory}"; shift 2 ;;
        --fastpush) fastpush_bin="${2:?--fastpush needs a path}"; shift 2 ;;
        --controller) controller_bin="${2:?--controller needs a path}"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

ensure_debian_packages rsync:rsync rdiff:rdiff /usr/bin/time:time python3:python3
if [[ -z "${fastpush_bin}" && -z "${controller_bin}" ]]; then
    release_dir="$(build_release fastpush cf-fastpush-controller)"
    fastpush_bin="${release_dir}/fastpush"
    controller_bin="${release_dir}/cf-fastpush-controller"
fi
[[ -x "${fastpush_bin}" ]] || die "no fastpush executable at '${fastpush_bin}' (give --fastpush and --controller together)"
[[ -x "${controller_bin}" ]] || die "no cf-fastpush-controller executable at '${controller_bin}'"
fastpush_bin="$(realpath "${fastpush_bin}")"
controller_bin="$(realpath "${controller_bin}")"

# The driver removes its network namespace itself, also on Ctrl-C; this covers a driver that was killed outright.
cleanup() {
    if [[ "${EUID}" == 0 ]] && command -v ip >/dev/null && ip netns list 2>/dev/null | grep -qw "${netns}"; then
        ip link del "${netns:0:13}h" 2>/dev/null || true
        ip netns del "${netns}" 2>/dev/null || true
    fi
}
trap cleanup EXIT

mkdir -p "${out_dir}"
python3 "${script_dir}/push_bench.py" --fastpush "${fastpush_bin}" --controller "${controller_bin}" \
    --netns "${netns}" --out "${out_dir}" "${passed[@]+"${passed[@]}"}"
echo "compare-push: results in ${out_dir}: table.txt, raw.csv (every run), summary.json (medians, targets), push.svg" >&2
