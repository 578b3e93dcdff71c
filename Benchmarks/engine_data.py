#!/usr/bin/env python3
"""Deterministic test data for compare-engine.sh (Python standard library only).

    engine_data.py random   OUT SIZE_BYTES SEED
    engine_data.py edited   OLD NEW SEED [EDITS]

`random` writes SIZE_BYTES pseudo-random bytes (incompressible, so no tool gains from compression).
`edited` writes NEW = OLD with EDITS (default 30) small scattered edits of 1-64 bytes each, at
positions spread over the whole file: even-numbered edits replace bytes, odd-numbered ones insert
bytes. Both stream in 1 MiB chunks, so a 1 GiB file needs little memory. The same seed gives the
same bytes on every run (random.Random is a Mersenne Twister with a documented seeding algorithm).
"""

import random
import sys

CHUNK = 1 << 20


def write_random(path: str, size: int, seed: int) -> None:
    generator = random.Random(seed)
    with open(path, "wb") as out:
        remaining = size
        while remaining > 0:
            count = min(CHUNK, remaining)
            out.write(generator.randbytes(count))
            remaining -= count


def plan_edits(size: int, seed: int, count: int) -> list[tuple[int, bool, bytes]]:
    """(offset in OLD, is_insertion, bytes), sorted by offset; no two edits overlap."""
    generator = random.Random(seed)
    if size < 128 * count:
        raise SystemExit(f"engine_data.py: a {size}-byte file is too small for {count} edits")
    # One edit per equal stretch of the file, at a random place inside it: scattered, never overlapping.
    stretch = size // count
    edits = []
    for index in range(count):
        length = generator.randint(1, 64)
        offset = index * stretch + generator.randrange(0, stretch - 64)
        edits.append((offset, index % 2 == 1, generator.randbytes(length)))
    return edits


def write_edited(old_path: str, new_path: str, seed: int, count: int) -> None:
    with open(old_path, "rb") as old:
        old.seek(0, 2)
        size = old.tell()
        old.seek(0)
        edits = plan_edits(size, seed, count)
        position = 0
        with open(new_path, "wb") as new:

            def copy_until(end: int) -> None:
                nonlocal position
                while position < end:
                    chunk = old.read(min(CHUNK, end - position))
                    if not chunk:
                        raise SystemExit(f"engine_data.py: {old_path} ended early at byte {position}")
                    new.write(chunk)
                    position += len(chunk)

            for offset, is_insertion, data in edits:
                copy_until(offset)
                new.write(data)
                if not is_insertion:  # a replacement overwrites as many bytes as it writes
                    old.seek(len(data), 1)
                    position += len(data)
            copy_until(size)


def main(argv: list[str]) -> None:
    usage = "usage: engine_data.py random OUT SIZE_BYTES SEED | engine_data.py edited OLD NEW SEED [EDITS]"
    if len(argv) >= 5 and argv[1] == "random":
        write_random(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) in (5, 6) and argv[1] == "edited":
        write_edited(argv[2], argv[3], int(argv[4]), int(argv[5]) if len(argv) == 6 else 30)
    else:
        raise SystemExit(usage)


if __name__ == "__main__":
    main(sys.argv)
