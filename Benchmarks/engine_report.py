#!/usr/bin/env python3
"""Prints compare-engine.sh's table from its raw CSV and writes the medians (Python standard library only).

    engine_report.py RAW_CSV SUMMARY_CSV --size-mib N --runs N --machine TEXT
"""

import argparse
import csv
import statistics
import sys
from collections import defaultdict

METHODS = [
    ("fastpush-signature", "fastpush signature"),
    ("fastpush-delta", "fastpush delta"),
    ("fastpush-total", "fastpush sig+delta"),
    ("rdiff-signature", "rdiff signature"),
    ("rdiff-delta", "rdiff delta"),
    ("rdiff-total", "rdiff sig+delta"),
    ("rsync", "rsync daemon, whole run"),
    ("rsync-local", "rsync --no-W -I, local"),
    ("fastpush-patch", "fastpush patch (1 run)"),
]
SCENARIOS = [
    ("mostly-matching", "mostly matching: NEW = OLD with 30 small scattered edits and insertions"),
    ("unrelated", "unrelated: NEW shares nothing with OLD"),
]
# Real-world pairs (engine_real_data.py): their own sizes, whatever --size-mib says.
REAL_SCENARIOS = [
    ("sqlite", "SQLite database (~35 MiB) after 2,000 row updates, 500 inserts and 300 deletes"),
    ("executable", "executable (~5 MiB, gcc -O2) rebuilt after 10 functions changed and one was added"),
    ("zip", "zip of generated sources (~27 MiB, deflated) with 30 entries edited, 5 added, 3 removed"),
    ("model", "safetensors model (48 MiB of float32) with 3 tensors retrained"),
]
RSS_LIMIT_MIB = 64


def number(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def medians(rows: list[dict]) -> dict:
    def median_of(key):
        values = [number(row[key]) for row in rows if number(row[key]) is not None]
        return statistics.median(values) if values else None

    cpu = [float(row["user_s"]) + float(row["sys_s"]) for row in rows]
    return {
        "runs": len(rows),
        "wall": median_of("wall_s"),
        "cpu": statistics.median(cpu),
        "rss_mib": median_of("max_rss_kib") / 1024,
        "max_rss_mib": max(float(row["max_rss_kib"]) for row in rows) / 1024,
        "wire": median_of("wire_bytes"),
        "literal": median_of("literal_bytes"),
        "matched": median_of("matched_bytes"),
    }


def count(value: float | None) -> str:
    return "" if value is None else f"{int(value):,}"


def ratio(reference: float, measured: float) -> float:
    return reference / measured if measured > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("summary")
    parser.add_argument("--size-mib", required=True)
    parser.add_argument("--runs", required=True)
    parser.add_argument("--machine", required=True)
    args = parser.parse_args()

    groups = defaultdict(list)
    with open(args.raw, newline="") as handle:
        for row in csv.DictReader(handle):
            groups[(row["scenario"], row["method"])].append(row)
    result = {key: medians(rows) for key, rows in groups.items()}

    with open(args.summary, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["scenario", "method", "runs", "median_wall_s", "median_cpu_s", "median_peak_rss_mib",
                         "median_wire_bytes", "median_literal_bytes", "median_matched_bytes"])
        for (scenario, method), m in sorted(result.items()):
            writer.writerow([scenario, method, m["runs"], f"{m['wall']:.4f}", f"{m['cpu']:.2f}",
                             f"{m['rss_mib']:.1f}", count(m["wire"]).replace(",", ""),
                             count(m["literal"]).replace(",", ""), count(m["matched"]).replace(",", "")])

    out = sys.stdout
    out.write(f"FastPush engine vs rdiff and rsync: {args.size_mib} MiB random files and real-world pairs, "
              f"medians of {args.runs} runs\n")
    out.write(f"machine: {args.machine}\n")
    out.write("CPU = user + sys; rsync's CPU includes the daemon's receiver and generator, its peak RSS is the\n"
              "client's only; bytes = signature + delta files (fastpush, rdiff), bytes sent + received (rsync).\n")
    header = f"{'method':<26} {'wall s':>8} {'CPU s':>7} {'RSS MiB':>8} {'bytes on wire':>14} {'literal':>12} {'matched':>13}"
    for scenario, title in SCENARIOS + REAL_SCENARIOS:
        if not any(key[0] == scenario for key in result):
            continue
        out.write(f"\n{title}\n{header}\n{'-' * len(header)}\n")
        for method, label in METHODS:
            m = result.get((scenario, method))
            if m is None:
                continue
            wire = "" if method == "fastpush-patch" else count(m["wire"])
            out.write(f"{label:<26} {m['wall']:>8.3f} {m['cpu']:>7.2f} {m['rss_mib']:>8.1f} {wire:>14} "
                      f"{count(m['literal']):>12} {count(m['matched']):>13}\n")

    def get(scenario, method):
        return result.get((scenario, method))

    lines = []
    targets = []
    fp, rd, rs = get("mostly-matching", "fastpush-total"), get("mostly-matching", "rdiff-total"), get("mostly-matching", "rsync")
    rl = get("mostly-matching", "rsync-local")
    if fp and rd and rs:
        vs_rdiff = ratio(rd["wall"], fp["wall"])
        vs_rsync = ratio(rs["wall"], fp["wall"])
        bytes_ratio = fp["wire"] / rs["wire"]
        lines += [
            f"mostly matching: fastpush sig+delta vs rdiff sig+delta: {vs_rdiff:.2f}x faster",
            f"mostly matching: fastpush sig+delta vs rsync's whole run: {vs_rsync:.2f}x faster",
        ]
        if rl:
            vs_local = ratio(rl["wall"], fp["wall"])
            lines.append(f"mostly matching: fastpush sig+delta vs local rsync --no-W -I: {vs_local:.2f}x faster")
        lines += [
            f"mostly matching: fastpush bytes vs rsync bytes: {bytes_ratio:.2f}x "
            f"({count(fp['wire'])} vs {count(rs['wire'])})",
            f"mostly matching: fastpush bytes vs rdiff bytes: {fp['wire'] / rd['wire']:.2f}x "
            f"({count(fp['wire'])} vs {count(rd['wire'])})",
        ]
        targets += [
            (vs_rdiff >= 4, f"sig+delta >= 4x faster than rdiff sig+delta: {vs_rdiff:.2f}x"),
            (None if not rl else ratio(rl["wall"], fp["wall"]) >= 3,
             "sig+delta >= 3x faster than a local rsync --no-W -I: "
             + (f"{ratio(rl['wall'], fp['wall']):.2f}x ({fp['wall']:.3f} s vs {rl['wall']:.3f} s)" if rl else "not measured")),
            (vs_rsync > 1, f"sig+delta faster than rsync's whole run: {vs_rsync:.2f}x "
                           f"({fp['wall']:.3f} s vs {rs['wall']:.3f} s)"),
            (fp["wire"] <= rs["wire"], f"bytes (sig+delta) <= rsync's bytes: {count(fp['wire'])} vs {count(rs['wire'])}"),
        ]
    fp_u, rd_u = get("unrelated", "fastpush-delta"), get("unrelated", "rdiff-delta")
    fp_ut, rd_ut, rs_u = get("unrelated", "fastpush-total"), get("unrelated", "rdiff-total"), get("unrelated", "rsync")
    if fp_u and rd_u:
        speed = ratio(rd_u["wall"], fp_u["wall"])
        size_mb = float(args.size_mib) * 1024 * 1024 / 1e6
        lines.append(f"unrelated: fastpush delta vs rdiff delta: {speed:.2f}x faster "
                     f"({size_mb / fp_u['wall']:.0f} MB/s vs {size_mb / rd_u['wall']:.0f} MB/s)")
        if fp_ut and rd_ut and rs_u:
            lines.append(f"unrelated: fastpush sig+delta vs rdiff sig+delta: {ratio(rd_ut['wall'], fp_ut['wall']):.2f}x faster; "
                         f"vs rsync's whole run: {ratio(rs_u['wall'], fp_ut['wall']):.2f}x faster")
        targets.append((speed >= 5, f"unrelated: delta >= 5x faster than rdiff delta: {speed:.2f}x"))

    for scenario, _ in REAL_SCENARIOS:
        fp_r, rd_r, rl_r, rs_r = (get(scenario, method) for method in ("fastpush-total", "rdiff-total", "rsync-local", "rsync"))
        if fp_r and rd_r and rl_r and rs_r:
            lines.append(f"{scenario}: fastpush sig+delta vs rdiff: {ratio(rd_r['wall'], fp_r['wall']):.2f}x faster, "
                         f"vs local rsync: {ratio(rl_r['wall'], fp_r['wall']):.2f}x faster; bytes "
                         f"{count(fp_r['wire'])} vs rdiff {count(rd_r['wire'])} and rsync {count(rs_r['wire'])}")

    big = {step: get("1gib", f"fastpush-{step}") for step in ("signature", "delta", "patch")}
    if all(big.values()):
        out.write(f"\n1 GiB (one run each after a warm-up, fastpush only)\n{header}\n{'-' * len(header)}\n")
        for step, m in big.items():
            wire = "" if step == "patch" else count(m["wire"])
            out.write(f"{'fastpush ' + step:<26} {m['wall']:>8.3f} {m['cpu']:>7.2f} {m['rss_mib']:>8.1f} {wire:>14}\n")
        peaks = ", ".join(f"{step} {m['max_rss_mib']:.1f}" for step, m in big.items())
        targets.append((all(m["max_rss_mib"] < RSS_LIMIT_MIB for m in big.values()),
                        f"peak RSS on a 1 GiB file < {RSS_LIMIT_MIB} MiB: {peaks} MiB"))
    else:
        targets.append((None, f"peak RSS on a 1 GiB file < {RSS_LIMIT_MIB} MiB: not measured (run with --with-1gib)"))

    out.write("\nRatios (of medians)\n")
    for line in lines:
        out.write(f"  {line}\n")
    out.write("\nTargets, as measured in this run\n")
    for passed, text in targets:
        mark = "SKIP" if passed is None else ("PASS" if passed else "MISS")
        out.write(f"  {mark}  {text}\n")


if __name__ == "__main__":
    main()
