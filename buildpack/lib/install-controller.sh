# Installs cf-fastpush-controller into a directory. Sourced by bin/supply (Cloud Foundry) and bin/compile
# (Heroku); POSIX shell and coreutils only.
#
# The packaged buildpack carries the binary in controller/; otherwise the version pinned in controller.pin is
# downloaded (and kept in the cache directory). Either way the binary's SHA-256 must match the pin, or staging
# fails and nothing is installed.

buildpack_dir=$(cd "$(dirname "$0")/.." && pwd)
pin_file="$buildpack_dir/controller.pin"

say() { echo "-----> FastPush: $*"; }
fail() {
    echo "-----> FastPush: $*" >&2
    exit 1
}

# The value of KEY in controller.pin, or nothing.
pinned() { sed -n "s/^$1=//p" "$pin_file" 2>/dev/null | head -n 1; }

sha256_of() { sha256sum "$1" | cut -d ' ' -f 1; }

# install_controller DEST_DIR CACHE_DIR
install_controller() {
    dest_dir=$1
    cache_dir=$2
    url=""
    case "$(uname -m)" in
        x86_64 | amd64) arch=x86_64 ;;
        aarch64 | arm64) arch=aarch64 ;;
        *) fail "no cf-fastpush-controller for this machine ($(uname -m)); FastPush runs on x86_64 and aarch64 stacks" ;;
    esac
    [ -f "$pin_file" ] || fail "this buildpack has no controller.pin: build it with scripts/release"
    version=$(pinned version)
    want=$(pinned "${arch}_sha256")
    [ -n "$want" ] || fail "this buildpack pins no cf-fastpush-controller for $arch: build it with scripts/release on an $arch machine"
    name="cf-fastpush-controller-linux-$arch"
    mkdir -p "$dest_dir" || fail "cannot create $dest_dir"
    staged="$dest_dir/.cf-fastpush-controller.$$"
    trap 'rm -f "$staged"' EXIT

    if [ -f "$buildpack_dir/controller/$name" ]; then
        source="the buildpack"
        cp "$buildpack_dir/controller/$name" "$staged" || fail "cannot copy the controller into $dest_dir"
    elif [ -n "$cache_dir" ] && [ -f "$cache_dir/fastpush/$want" ]; then
        source="the cache"
        cp "$cache_dir/fastpush/$want" "$staged" || fail "cannot copy the controller into $dest_dir"
    else
        url=$(pinned "${arch}_url")
        [ -n "$url" ] || fail "this buildpack carries no $name and pins no download for it: use the packaged buildpack from scripts/release"
        source="$url"
        say "downloading cf-fastpush-controller $version from $url"
        if command -v curl >/dev/null 2>&1; then
            curl --fail --silent --show-error --location --retry 3 --output "$staged" "$url" ||
                fail "could not download $url (see above); check the staging network, or use the packaged buildpack, which needs no download"
        elif command -v wget >/dev/null 2>&1; then
            wget --quiet --tries=3 --output-document="$staged" "$url" ||
                fail "could not download $url; check the staging network, or use the packaged buildpack, which needs no download"
        else
            fail "neither curl nor wget is available to download $url: use the packaged buildpack, which needs no download"
        fi
    fi

    got=$(sha256_of "$staged")
    [ "$got" = "$want" ] ||
        fail "the controller from $source has SHA-256 $got, but this buildpack pins $want for version $version: it is damaged or not the pinned release, so staging stops here (nothing was installed)"
    if [ -n "$cache_dir" ] && [ "$source" = "$url" ]; then
        mkdir -p "$cache_dir/fastpush" && cp "$staged" "$cache_dir/fastpush/$want"
    fi
    chmod 755 "$staged" && mv -f "$staged" "$dest_dir/cf-fastpush-controller" || fail "cannot install the controller in $dest_dir"
    trap - EXIT
    say "installed cf-fastpush-controller $version ($(wc -c <"$dest_dir/cf-fastpush-controller" | tr -d ' ') bytes, from $source)"
}
