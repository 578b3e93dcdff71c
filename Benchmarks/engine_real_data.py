#!/usr/bin/env python3
"""Real-world OLD/NEW file pairs for compare-engine.sh, made offline and deterministic from seeds
(Python standard library, plus gcc for the executable).

    engine_real_data.py sqlite     OLD NEW SEED [MIB]
    engine_real_data.py executable OLD NEW SEED WORKDIR
    engine_real_data.py zip        OLD NEW SEED [MIB]
    engine_real_data.py model      OLD NEW SEED [MIB]

- sqlite: a SQLite database of order rows (text, integers, reals), then NEW = the same database after a
  session of row updates, inserts and deletes (SQLite rewrites the pages it touches, in place).
- executable: a C program of 3,000 generated functions and a 4 MiB table of constant data, built
  with `gcc -O2`; NEW is the build after ten functions changed and one was added, so code after them moves.
- zip: a jar-like zip of generated source files, deflated; NEW changes a few lines in 30 entries, adds 5 and
  removes 3, and is written again from scratch (entries after a change move, the central directory changes).
- model: a safetensors file (8-byte header length, JSON header, raw float32 tensors); NEW has 3 of its
  tensors retrained (new values) and the rest unchanged.

The same seed gives the same bytes on every run of the same tool versions (zlib, SQLite, gcc).
"""

import array
import json
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
import zipfile

WORDS = (
    "request response value index count items result error config session user path name data buffer node "
    "table cache token route handler client server state model view render update delete create parse format "
    "field record entry offset length size total limit queue task worker event signal stream reader writer"
).split()


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


# --- SQLite ------------------------------------------------------------------------------------------------


def make_sqlite(old: str, new: str, seed: int, mib: int) -> None:
    rng = random.Random(seed)
    for path in (old, new):
        if os.path.exists(path):
            os.remove(path)
    rows = mib * 1024 * 1024 // 200  # about 200 bytes a row, b-tree pages included
    con = sqlite3.connect(old)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute(
        "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT, item TEXT, quantity INTEGER, price REAL, "
        "status TEXT, note TEXT)"
    )
    con.execute("CREATE INDEX orders_customer ON orders(customer)")
    with con:
        con.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    row,
                    f"customer{rng.randrange(20000):05d}",
                    words(rng, 3),
                    rng.randrange(1, 100),
                    round(rng.uniform(1, 500), 2),
                    rng.choice(["new", "paid", "shipped", "returned"]),
                    words(rng, rng.randrange(4, 16)),
                )
                for row in range(rows)
            ),
        )
    con.close()
    shutil.copyfile(old, new)
    con = sqlite3.connect(new)
    with con:
        for _ in range(2000):
            con.execute(
                "UPDATE orders SET status = ?, quantity = ? WHERE id = ?",
                (rng.choice(["paid", "shipped", "returned"]), rng.randrange(1, 100), rng.randrange(rows)),
            )
        for row in range(rows, rows + 500):
            con.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row, f"customer{rng.randrange(20000):05d}", words(rng, 3), 1, 9.99, "new", words(rng, 6)),
            )
        for _ in range(300):
            con.execute("DELETE FROM orders WHERE id = ?", (rng.randrange(rows),))
    con.close()


# --- Executable --------------------------------------------------------------------------------------------


def c_program(rng: random.Random, functions: int, changed: set[int], extra: bool) -> str:
    lines = ["#include <stdio.h>", "#include <stdint.h>", "extern const unsigned char blob[];"]
    # Each function's body comes from its own generator, so unchanged functions are the same code in both builds.
    for index in range(functions):
        local = random.Random(rng.random() if index in changed else index * 7919 + 1)
        a, b, c = (local.randrange(1, 1 << 30) for _ in range(3))
        op = local.choice(["^", "+", "-", "|"])
        lines.append(
            f"uint64_t f{index}(uint64_t x) {{ uint64_t y = x * {a}u {op} {b}u; "
            f"for (int i = 0; i < (int)(x & 7); i++) y = (y >> 3) {op} (y * {c}u) + blob[(x + i) & 4095]; "
            f"return y; }}"
        )
    if extra:
        lines.append("uint64_t f_extra(uint64_t x) { return x * 3 + blob[x & 4095]; }")
    lines.append("typedef uint64_t (*fn)(uint64_t);")
    lines.append("static const fn table[] = {" + ", ".join(f"f{i}" for i in range(functions)) + "};")
    lines.append(
        "int main(int argc, char **argv) { uint64_t s = argc; "
        f"for (int i = 0; i < {functions}; i++) s = table[i](s); "
        + ("s += f_extra(s); " if extra else "")
        + 'printf("%llu\\n", (unsigned long long)s); return 0; }'
    )
    return "\n".join(lines) + "\n"


def make_executable(old: str, new: str, seed: int, workdir: str) -> None:
    rng = random.Random(seed)
    os.makedirs(workdir, exist_ok=True)
    blob = os.path.join(workdir, "blob.bin")
    with open(blob, "wb") as out:
        out.write(random.Random(seed + 1).randbytes(4 * 1024 * 1024))
    assembly = os.path.join(workdir, "blob.s")
    with open(assembly, "w") as out:
        out.write(f'.section .rodata\n.global blob\nblob:\n.incbin "{blob}"\n.section .note.GNU-stack,"",@progbits\n')
    functions = 3000
    changed = set(rng.sample(range(functions), 10))
    for path, source_changed, extra in ((old, set(), False), (new, changed, True)):
        source = os.path.join(workdir, "program.c")
        with open(source, "w") as out:
            out.write(c_program(random.Random(seed + 2), functions, source_changed, extra))
        subprocess.run(["gcc", "-O2", "-o", path, source, assembly], check=True)


# --- Zip ---------------------------------------------------------------------------------------------------


def source_file(rng: random.Random, lines: int) -> list[str]:
    return [
        "    " * rng.randrange(0, 3) + f"let {rng.choice(WORDS)}{rng.randrange(100)} = {words(rng, rng.randrange(2, 8))}"
        for _ in range(lines)
    ]


def write_zip(path: str, entries: list[tuple[str, list[str]]]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, lines in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, "\n".join(lines) + "\n")


def make_zip(old: str, new: str, seed: int, mib: int) -> None:
    rng = random.Random(seed)
    entries = []
    size = 0
    while size < mib * 1024 * 1024 * 4:  # deflate gets about 4x on these lines
        name = f"com/example/{rng.choice(WORDS)}/{rng.choice(WORDS).capitalize()}{len(entries)}.java"
        lines = source_file(rng, rng.randrange(50, 600))
        entries.append((name, lines))
        size += sum(len(line) + 1 for line in lines)
    write_zip(old, entries)
    changed = list(entries)
    for index in rng.sample(range(len(changed)), 30):
        name, lines = changed[index]
        lines = list(lines)
        for _ in range(rng.randrange(1, 4)):
            lines[rng.randrange(len(lines))] = f"    // changed: {words(rng, 5)}"
        changed[index] = (name, lines)
    for index in sorted(rng.sample(range(len(changed)), 3), reverse=True):
        del changed[index]
    for number in range(5):
        position = rng.randrange(len(changed))
        changed.insert(position, (f"com/example/added/Added{number}.java", source_file(rng, rng.randrange(50, 300))))
    write_zip(new, changed)


# --- Model -------------------------------------------------------------------------------------------------


def tensor_bytes(rng: random.Random, count: int) -> bytes:
    values = array.array("f", (rng.gauss(0.0, 0.02) for _ in range(count)))
    if sys.byteorder != "little":
        values.byteswap()
    return values.tobytes()


def write_safetensors(path: str, tensors: list[tuple[str, list[int], bytes]]) -> None:
    header = {}
    offset = 0
    for name, shape, data in tensors:
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the format pads the header to 8 bytes with spaces
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(encoded)))
        out.write(encoded)
        for _, _, data in tensors:
            out.write(data)


def make_model(old: str, new: str, seed: int, mib: int) -> None:
    rng = random.Random(seed)
    tensors = []
    total = mib * 1024 * 1024 // 4
    layer = 0
    while total > 0:
        for part, rows in (("attention.weight", 512), ("mlp.up.weight", 1024), ("mlp.down.weight", 1024)):
            count = min(total, rows * 512)
            if count <= 0:
                break
            tensors.append((f"layers.{layer}.{part}", [count // 512, 512], tensor_bytes(rng, count)))
            total -= count
        layer += 1
    write_safetensors(old, tensors)
    retrained = list(tensors)
    for index in rng.sample(range(len(retrained)), 3):
        name, shape, data = retrained[index]
        retrained[index] = (name, shape, tensor_bytes(rng, len(data) // 4))
    write_safetensors(new, retrained)


def main(argv: list[str]) -> None:
    usage = __doc__.split("\n\n")[1]
    if len(argv) < 5:
        raise SystemExit(usage)
    kind, old, new, seed = argv[1], argv[2], argv[3], int(argv[4])
    if kind == "sqlite":
        make_sqlite(old, new, seed, int(argv[5]) if len(argv) > 5 else 48)
    elif kind == "executable" and len(argv) == 6:
        make_executable(old, new, seed, argv[5])
    elif kind == "zip":
        make_zip(old, new, seed, int(argv[5]) if len(argv) > 5 else 24)
    elif kind == "model":
        make_model(old, new, seed, int(argv[5]) if len(argv) > 5 else 48)
    else:
        raise SystemExit(usage)


if __name__ == "__main__":
    main(sys.argv)
