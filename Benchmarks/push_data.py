#!/usr/bin/env python3
"""Deterministic app trees for compare-push.sh (Python standard library only).

Imported by push_bench.py; usable alone to look at the data:

    push_data.py source DIR [--files 5000] [--mib 100] [--seed 1]    a source tree of text files
    push_data.py php DIR [--files 1500] [--seed 2]                   a WordPress-sized PHP app

It also unpacks the upgrade scenario's real source tree, two releases of a Python package (release_upgrade).

Text is code-like lines drawn from a seeded corpus (identifiers, calls, comments), so it compresses about as
well as real source code (zlib gets roughly 3-4x), and no two files are the same. Every generated file gets
the same fixed modification time, so copies made with `cp -a` or hard links look unchanged to rsync's quick
check; a changed file gets a later fixed time. The same seed gives the same bytes on every run.
"""

import argparse
import filecmp
import hashlib
import math
import os
import random
import subprocess
import sys

GENERATED_AT = 1_704_067_200  # 2024-01-01 00:00:00 UTC: every generated file
EDITED_AT = 1_717_243_200  # 2024-06-01 12:00:00 UTC: every file a scenario changes or adds

WORDS = (
    "request response value index count items result error config session user path name data buffer node "
    "table cache token route handler client server state model view render update delete create parse format "
    "field record entry offset length size total limit queue task worker event signal stream reader writer "
    "header body status query filter order page account invoice price amount retry timeout deadline context"
).split()
# The upgrade scenario: two releases of a real Python package, their source archives as published (fetched with
# `pip download` once, then kept), with their SHA-256 so that every run measures the same bytes. About a third of
# its ~850 files differ between the two.
UPGRADE_PACKAGE = "networkx"
UPGRADE_RELEASES = {
    "3.0": "9a9992345353618ae98339c2b63d8201c381c2944f38a2ab49cb45a4c667e412",
    "3.1": "de346335408f84de0eada6ff9fafafff9bcda11f0a0dfaa931133debb146ab61",
}

TYPES = "Int String Bool Data Double [String] [Int] Result Config Session Request Response Date URL".split()


def identifier(rng: random.Random) -> str:
    first, second = rng.choice(WORDS), rng.choice(WORDS)
    return first + second.capitalize() + (str(rng.randrange(100)) if rng.random() < 0.2 else "")


def source_line(rng: random.Random) -> str:
    a, b, c = identifier(rng), identifier(rng), identifier(rng)
    kind = rng.randrange(10)
    indent = "    " * rng.randrange(1, 4)
    if kind == 0:
        return f"{indent}let {a} = {b}.{c}({identifier(rng)}, {rng.randrange(1000)})"
    if kind == 1:
        return f"{indent}if {a} > {rng.randrange(100)} {{ return {b} }}"
    if kind == 2:
        return f"{indent}// {' '.join(rng.choice(WORDS) for _ in range(rng.randrange(4, 12)))}"
    if kind == 3:
        return f"{indent}func {a}(_ {b}: {rng.choice(TYPES)}) throws -> {rng.choice(TYPES)} {{"
    if kind == 4:
        return f"{indent}}}"
    if kind == 5:
        return f'{indent}log.debug("{a} {rng.choice(WORDS)}: \\({b}.{c})")'
    if kind == 6:
        return f"{indent}var {a}: {rng.choice(TYPES)} = {rng.randrange(10_000)}"
    if kind == 7:
        return f"{indent}for {a} in {b}.{c} where {a}.{rng.choice(WORDS)} {{"
    if kind == 8:
        return f"{indent}{a}.{c} = try await {b}.{identifier(rng)}()"
    return ""


def php_line(rng: random.Random) -> str:
    a, b, c = identifier(rng), identifier(rng), identifier(rng)
    kind = rng.randrange(10)
    indent = "\t" * rng.randrange(1, 4)
    if kind == 0:
        return f"{indent}${a} = {b}( ${c}, {rng.randrange(100)} );"
    if kind == 1:
        return f"{indent}if ( ! empty( ${a}['{rng.choice(WORDS)}'] ) ) {{"
    if kind == 2:
        return f"{indent} * {' '.join(rng.choice(WORDS) for _ in range(rng.randrange(4, 12)))}"
    if kind == 3:
        return f"{indent}function {a}_{rng.choice(WORDS)}( ${b}, ${c} = null ) {{"
    if kind == 4:
        return f"{indent}}}"
    if kind == 5:
        return f"{indent}echo esc_html( __( '{a} {rng.choice(WORDS)}', 'bench' ) );"
    if kind == 6:
        return f"{indent}return apply_filters( '{a}', ${b}, ${c} );"
    if kind == 7:
        return f"{indent}foreach ( ${a} as ${b} => ${c} ) {{"
    if kind == 8:
        return f"{indent}${a}->{c} = $wpdb->get_var( $wpdb->prepare( \"SELECT {b} FROM ${a} WHERE id = %d\", ${c} ) );"
    return ""


class TextSource:
    """Code-like text of any length, from a corpus of lines drawn once."""

    def __init__(self, rng: random.Random, line, corpus_lines: int = 40_000) -> None:
        self.rng = rng
        self.lines = [line(rng) + "\n" for _ in range(corpus_lines)]
        self.mean = sum(len(text) for text in self.lines) / len(self.lines)

    def text(self, size: int, header: str) -> bytes:
        count = max(1, round(size / self.mean))
        return (header + "\n" + "".join(self.rng.choices(self.lines, k=count))).encode()


def lognormal_sizes(rng: random.Random, count: int, total: int, low: int, high: int) -> list[int]:
    """`count` sizes with a long tail, as in real trees, adding up to about `total`."""
    raw = [rng.lognormvariate(0, 1.0) for _ in range(count)]
    scale = total / sum(raw)
    return [min(high, max(low, int(value * scale))) for value in raw]


def write_file(path: str, data: bytes, mtime: int = GENERATED_AT) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)
    os.utime(path, (mtime, mtime))


def replace_file(path: str, data: bytes, mtime: int = EDITED_AT) -> None:
    """Writes beside and renames, so a hard link to the old content (another tree) keeps it."""
    temporary = path + ".tmp-edit"
    write_file(temporary, data, mtime)
    os.replace(temporary, path)


def source_tree(root: str, files: int = 5000, mib: float = 100, seed: int = 1) -> list[str]:
    """A source tree of `files` text files, about `mib` MiB, 50 packages of 10 modules; returns the paths."""
    rng = random.Random(seed)
    source = TextSource(rng, source_line)
    sizes = lognormal_sizes(rng, files, int(mib * 1024 * 1024), 300, 400_000)
    paths = []
    for index, size in enumerate(sizes):
        package, module = index % 50, (index // 50) % 10
        path = f"src/pkg{package:02d}/mod{module}/file{index:05d}.swift"
        write_file(os.path.join(root, path), source.text(size, f"// {path}"))
        paths.append(path)
    return paths


def php_app(root: str, files: int = 1500, seed: int = 2) -> list[str]:
    """A WordPress-shaped PHP app: wp-admin, wp-includes, a theme and plugins (PHP, JS, CSS) and images."""
    rng = random.Random(seed)
    source = TextSource(rng, php_line)
    images = files // 15
    texts = files - images - 1
    sizes = lognormal_sizes(rng, texts, 30 * 1024 * 1024, 200, 300_000)
    paths = []
    areas = [("wp-admin", 0.3), ("wp-includes", 0.45), ("wp-content/themes/benchtheme", 0.1), ("wp-content/plugins", 0.15)]
    for index, size in enumerate(sizes):
        area = rng.choices([name for name, _ in areas], weights=[weight for _, weight in areas])[0]
        if area == "wp-content/plugins":
            area += f"/plugin{index % 12}"
        extension = rng.choices(["php", "js", "css"], weights=[0.75, 0.15, 0.1])[0]
        path = f"{area}/{['', 'includes/', 'js/', 'css/', 'blocks/'][index % 5]}part{index:04d}.{extension}"
        header = "<?php" if extension == "php" else f"/* {path} */"
        write_file(os.path.join(root, path), source.text(size, header))
        paths.append(path)
    theme_functions = "wp-content/themes/benchtheme/functions.php"
    write_file(os.path.join(root, theme_functions), source.text(40_000, "<?php"))
    paths.append(theme_functions)
    for index in range(images):
        path = f"wp-includes/images/image{index:03d}.png"
        write_file(os.path.join(root, path), rng.randbytes(rng.randrange(2_000, 100_000)))
        paths.append(path)
    return paths


def edit_one_line(root: str, path: str, seed: int) -> str:
    """Replaces one line in the middle third of `path` by a new one; returns a description."""
    rng = random.Random(seed)
    full = os.path.join(root, path)
    with open(full, "rb") as handle:
        lines = handle.read().split(b"\n")
    index = rng.randrange(len(lines) // 3, max(len(lines) // 3 + 1, 2 * len(lines) // 3))
    lines[index] = (source_line(rng) + " // edited").encode()
    replace_file(full, b"\n".join(lines))
    return f"{path}: line {index + 1} of {len(lines)} replaced"


def insert_lines(root: str, path: str, seed: int, count: int) -> str:
    """Inserts `count` new lines in the middle of `path`; returns a description."""
    rng = random.Random(seed)
    full = os.path.join(root, path)
    with open(full, "rb") as handle:
        lines = handle.read().split(b"\n")
    index = len(lines) // 2
    lines[index:index] = [php_line(rng).encode() for _ in range(count)]
    replace_file(full, b"\n".join(lines))
    return f"{path}: {count} lines inserted after line {index}"


def add_files(root: str, count: int, seed: int, size: int = 20_000) -> list[str]:
    """Adds `count` new text files of about `size` bytes, half in a new directory."""
    rng = random.Random(seed)
    source = TextSource(rng, source_line, corpus_lines=5_000)
    added = []
    for index in range(count):
        directory = "src/newfeature" if index % 2 == 0 else f"src/pkg{index % 50:02d}/mod{index % 10}"
        path = f"{directory}/added{index:03d}.swift"
        write_file(os.path.join(root, path), source.text(rng.randrange(size // 2, size * 3 // 2), f"// {path}"), EDITED_AT)
        added.append(path)
    return added


def delete_files(root: str, paths: list[str]) -> None:
    for path in paths:
        os.remove(os.path.join(root, path))


def pick(paths: list[str], root: str, seed: int, count: int, low: int = 8 << 10, high: int = 64 << 10) -> list[str]:
    """`count` distinct paths whose files have between `low` and `high` bytes, chosen with the seed."""
    candidates = [path for path in paths if low <= os.path.getsize(os.path.join(root, path)) <= high]
    return random.Random(seed).sample(candidates, count)


class Unavailable(Exception):
    """A data source this machine cannot provide; the message says why."""


def release_archive(version: str, cache: str) -> str:
    """UPGRADE_PACKAGE's source archive of `version` in `cache`, downloaded there with pip when it is missing."""
    name = f"{UPGRADE_PACKAGE}-{version}.tar.gz"
    path = os.path.join(cache, name)
    if not os.path.exists(path):
        os.makedirs(cache, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet",
                   "--dest", cache, f"{UPGRADE_PACKAGE}=={version}"]
        try:
            fetched = subprocess.run(command, capture_output=True, text=True, timeout=600)
            why = (fetched.stderr or fetched.stdout).strip().splitlines()[-1:] or [f"exit status {fetched.returncode}"]
        except subprocess.TimeoutExpired:
            why = ["no answer in 10 minutes"]
        if not os.path.exists(path):
            raise Unavailable(f"{name} is not in {cache} and `pip download` could not fetch it ({why[0]}); "
                              "copy the archive there to run this scenario offline")
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    if digest != UPGRADE_RELEASES[version]:
        raise Unavailable(f"{path} is not the published {name} (SHA-256 {digest}); remove it to fetch it again")
    return path


def relative_files(root: str) -> set[str]:
    return {os.path.relpath(os.path.join(directory, name), root) for directory, _, names in os.walk(root) for name in names}


def release_upgrade(old_root: str, new_root: str, cache: str) -> str:
    """Unpacks the older release into old_root and the newer into new_root; returns a description.

    Every file of the older one and every unchanged file of the newer one gets GENERATED_AT, a changed or new
    file EDITED_AT, as a checkout of the new release over a working tree leaves them (unchanged files keep their
    times, so rsync's quick check skips them as in the other scenarios)."""
    old_version, new_version = UPGRADE_RELEASES
    for version, root in ((old_version, old_root), (new_version, new_root)):
        os.makedirs(root)
        subprocess.run(["tar", "-xzf", release_archive(version, cache), "-C", root, "--strip-components=1"], check=True)
    old_files, new_files = relative_files(old_root), relative_files(new_root)
    changed = {path for path in old_files & new_files
               if not filecmp.cmp(os.path.join(old_root, path), os.path.join(new_root, path), shallow=False)}
    for path in old_files:
        os.utime(os.path.join(old_root, path), (GENERATED_AT, GENERATED_AT))
    for path in new_files:
        mtime = EDITED_AT if path in changed or path not in old_files else GENERATED_AT
        os.utime(os.path.join(new_root, path), (mtime, mtime))
    return (f"{UPGRADE_PACKAGE} {old_version} -> {new_version}, its source releases as published: {len(old_files)} -> "
            f"{len(new_files)} files, {len(changed)} changed, {len(new_files - old_files)} added, "
            f"{len(old_files - new_files)} removed")


def tree_bytes(root: str) -> tuple[int, int]:
    """(files, bytes) under root."""
    files = total = 0
    for directory, _, names in os.walk(root):
        for name in names:
            files += 1
            total += os.path.getsize(os.path.join(directory, name))
    return files, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["source", "php"])
    parser.add_argument("directory")
    parser.add_argument("--files", type=int)
    parser.add_argument("--mib", type=float, default=100)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    if args.kind == "source":
        source_tree(args.directory, args.files or 5000, args.mib, args.seed or 1)
    else:
        php_app(args.directory, args.files or 1500, args.seed or 2)
    files, total = tree_bytes(args.directory)
    print(f"{files} files, {total:,} bytes in {args.directory}")


if __name__ == "__main__":
    main()
