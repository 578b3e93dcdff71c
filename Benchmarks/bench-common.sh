# Helpers shared by the comparison scripts (compare-*.sh).
# Source it after setting `bench_name` (the prefix of messages) and `repo_root`:
#
#   bench_name=compare-push
#   repo_root=...
#   source "${script_dir}/bench-common.sh"

time_bin=/usr/bin/time

# die MESSAGE: prints "BENCH_NAME: MESSAGE" on standard error and stops.
die() {
    echo "${bench_name}: $*" >&2
    exit 1
}

# require_count OPTION VALUE: stops unless VALUE, given with OPTION, is a positive whole number.
require_count() {
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive whole number, not '$2'"
}

# ensure_debian_packages "COMMAND:PACKAGE" ...: installs the packages whose command is missing, with apt-get
# when run as root; otherwise stops with the apt-get line to run. A COMMAND with a slash is a path checked
# with -x (GNU time is /usr/bin/time, not a command on PATH of the same name everywhere).
ensure_debian_packages() {
    local pair command package absent=()
    missing_packages() {
        absent=()
        for pair in "$@"; do
            command="${pair%%:*}"
            package="${pair#*:}"
            if [[ "${command}" == */* ]]; then
                [[ -x "${command}" ]] || absent+=("${package}")
            else
                command -v "${command}" >/dev/null || absent+=("${package}")
            fi
        done
    }
    missing_packages "$@"
    ((${#absent[@]} > 0)) || return 0
    if [[ "${EUID}" == 0 ]] && command -v apt-get >/dev/null; then
        echo "${bench_name}: installing missing Debian packages: ${absent[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${absent[@]}" >/dev/null
        missing_packages "$@"
    fi
    ((${#absent[@]} == 0)) || die "missing tools (Debian packages: ${absent[*]}); install them with: apt-get install -y ${absent[*]}"
}

# build_release PRODUCT...: builds the products in release with the benchmarks' own scratch path (so it does
# not wait on the lock of another build) and prints the directory holding the executables. One build per
# product: given several --product options, swift build builds only the last.
build_release() {
    local product
    command -v swift >/dev/null || die "swift is not on PATH: install the toolchain or pass the binaries to use"
    for product in "$@"; do
        echo "${bench_name}: building ${product} (release, scratch path .build-bench)..." >&2
        (cd "${repo_root}" && swift build -c release --product "${product}" --scratch-path .build-bench) >&2 ||
            die "the release build of ${product} failed (see the compiler output above; if it says it could not build the C module CXXHash, run scripts/bootstrap)"
    done
    echo "${repo_root}/.build-bench/release"
}

# free_loopback_port: a TCP port nothing listens on at the moment, on 127.0.0.1.
free_loopback_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
