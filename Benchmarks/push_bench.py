#!/usr/bin/env python3
"""compare-push.sh's driver: whole pushes of app trees with fastpush and rsync, timed and counted on the wire.

Run it through compare-push.sh (which installs the tools and builds the binaries); see Benchmarks/README.md.
Python standard library only. Every timed run records one row of raw.csv; push_report.py turns them into the
table, the targets, summary.json and the SVG chart.
"""

import argparse
import csv
import filecmp
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import push_data  # noqa: E402
import push_report  # noqa: E402

TOKEN = "bench-token-not-secret"
TIME = "/usr/bin/time"
HOST_ADDRESS, NAMESPACE_ADDRESS = "10.213.0.1", "10.213.0.2"
SCENARIOS = ["oneline", "binary", "added", "new200", "deleted", "nothing", "restart", "upgrade", "php"]
LINKS = ["loopback", "slow", "rtt100"]
# A restart regex that matches no path: no push restarts the app, whatever the method.
NEVER_RESTART = "^$never"
RAW_FIELDS = [
    "link", "scenario", "method", "run", "wall_s", "up_bytes", "down_bytes", "connections", "client_user_s",
    "client_sys_s", "client_peak_kib", "server_cpu_s", "server_peak_kib", "requests", "tool_reported_bytes", "note",
]


# Status requests go straight to the controller, whatever proxy the environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BenchError(Exception):
    pass


def log(message: str) -> None:
    print(f"compare-push: {message}", file=sys.stderr, flush=True)


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **options)
    if result.returncode != 0:
        raise BenchError(f"'{' '.join(command)}' failed ({result.returncode}): {result.stdout}{result.stderr}".strip())
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def proc_stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def status_value_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def fresh_directory(path: str) -> str:
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def mirror(source: str, destination: str) -> None:
    """Makes destination an exact copy of source (contents, modes, times), locally."""
    os.makedirs(destination, exist_ok=True)
    run(["rsync", "-a", "--delete", source + "/", destination + "/"])


def tree_differences(expected: str, actual: str) -> tuple[list[str], list[str], list[str]]:
    """(missing in actual, extra in actual, different), ignoring the controller's own `.fastpush*` entries."""

    def files(root: str) -> set[str]:
        found = set()
        for directory, directories, names in os.walk(root):
            directories[:] = [name for name in directories if not name.startswith(".fastpush")]
            for name in names:
                if not name.startswith(".fastpush"):
                    found.add(os.path.relpath(os.path.join(directory, name), root))
        return found

    want, have = files(expected), files(actual)
    different = [path for path in sorted(want & have)
                 if not filecmp.cmp(os.path.join(expected, path), os.path.join(actual, path), shallow=False)]
    return sorted(want - have), sorted(have - want), different


# ---------------------------------------------------------------------------------------------------------------
# Links


@dataclass
class Link:
    key: str
    title: str
    server_address: str
    prefix: list[str] = field(default_factory=list)  # runs a command on the server side
    delay_ms: int = 0  # latency each way, added by the byte-counting relays


class SlowLink:
    """A network namespace joined by a veth pair, each end shaped by tbf to 10 Mbit/s (docs in MEASURING.md)."""

    def __init__(self, name: str) -> None:
        self.namespace = name
        self.host_interface = (name[:13] + "h")[:15]
        self.namespace_interface = (name[:13] + "n")[:15]
        self.created = False

    @staticmethod
    def unavailable_reason() -> str | None:
        if os.geteuid() != 0:
            return "the 10 Mbit/s link needs root (a network namespace, a veth pair and tc): run as root for it"
        for tool in ("ip", "tc"):
            if shutil.which(tool) is None:
                return f"the 10 Mbit/s link needs `{tool}` (Debian package iproute2)"
        in_use = subprocess.run(["ip", "-o", "addr", "show", "to", "10.213.0.0/30"], capture_output=True, text=True)
        if in_use.stdout.strip():
            return f"10.213.0.0/30 is already configured here (another benchmark running?): {in_use.stdout.strip()}"
        return None

    def up(self) -> Link:
        self.created = True
        commands = [
            ["ip", "netns", "add", self.namespace],
            ["ip", "link", "add", self.host_interface, "type", "veth", "peer", "name", self.namespace_interface],
            ["ip", "link", "set", self.namespace_interface, "netns", self.namespace],
            ["ip", "addr", "add", f"{HOST_ADDRESS}/30", "dev", self.host_interface],
            ["ip", "link", "set", self.host_interface, "up"],
            ["ip", "netns", "exec", self.namespace, "ip", "addr", "add", f"{NAMESPACE_ADDRESS}/30", "dev", self.namespace_interface],
            ["ip", "netns", "exec", self.namespace, "ip", "link", "set", self.namespace_interface, "up"],
            ["ip", "netns", "exec", self.namespace, "ip", "link", "set", "lo", "up"],
            ["tc", "qdisc", "add", "dev", self.host_interface, "root", "tbf", "rate", "10mbit", "burst", "32kbit", "latency", "400ms"],
            ["ip", "netns", "exec", self.namespace, "tc", "qdisc", "add", "dev", self.namespace_interface, "root", "tbf",
             "rate", "10mbit", "burst", "32kbit", "latency", "400ms"],
        ]
        for command in commands:
            run(command)
        return Link("slow", f"10 Mbit/s link (network namespace, tbf on both veth ends; server at {NAMESPACE_ADDRESS})",
                    NAMESPACE_ADDRESS, ["ip", "netns", "exec", self.namespace])

    def down(self) -> None:
        if not self.created:
            return
        subprocess.run(["ip", "link", "del", self.host_interface], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True)
        self.created = False


# ---------------------------------------------------------------------------------------------------------------
# Servers and the relay


class Relay:
    """push_relay.py: counts the bytes between a client and its server, and holds them delay_ms each way."""

    def __init__(self, host: str, port: int, delay_ms: int = 0) -> None:
        self.port, self.control = free_port(), free_port()
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "push_relay.py"), str(self.port), host, str(port), str(self.control),
             str(delay_ms)], stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise BenchError("the byte-counting relay did not start")

    def command(self, line: str) -> str:
        with socket.create_connection(("127.0.0.1", self.control)) as connection:
            connection.sendall(line.encode() + b"\n")
            with connection.makefile() as stream:
                return stream.readline().strip()

    def take(self) -> tuple[int, int, int]:
        up, down, connections, still_open = (int(word) for word in self.command("take").split())
        if still_open:
            raise BenchError(f"{still_open} relayed connections still open 30 s after the client ended")
        return up, down, connections

    def retarget(self, host: str, port: int) -> None:
        self.command(f"target {host} {port}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


class Controller:
    """cf-fastpush-controller serving app_dir, its backend a Python web server, on the link's server side."""

    def __init__(self, binary: str, link: Link, app_dir: str, log_path: str) -> None:
        self.binary, self.link, self.app_dir, self.log_path = binary, link, app_dir, log_path
        self.process: subprocess.Popen | None = None
        self.port = self.backend_port = 0
        self.backend_pid = None

    def start(self) -> None:
        self.port, self.backend_port = free_port(), free_port()
        environment = dict(os.environ)
        environment.update({
            "PORT": str(self.port), "BIND_ADDRESS": self.link.server_address, "BACKEND_PORT": str(self.backend_port),
            "BACKEND_COMMAND": 'exec python3 -m http.server --bind 127.0.0.1 "$PORT"',
            "FASTPUSH_TOKEN": TOKEN, "RESTART_REGEX": NEVER_RESTART,
            "FASTPUSH_MAX_PUSH_BYTES": str(4 << 30),
        })
        with open(self.log_path, "a") as log_file:
            self.process = subprocess.Popen(self.link.prefix + [self.binary], cwd=self.app_dir, env=environment,
                                            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"the controller exited at start ({self.process.returncode}); its log: {self.log_tail()}")
            try:
                status = self.status()
                if status.get("backend", {}).get("state") == "running":
                    self.backend_pid = status["backend"].get("pid")
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"the controller's app did not come up in 60 s; its log: {self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self) -> str:
        with open(self.log_path, errors="replace") as handle:
            return "".join(handle.readlines()[-20:])

    def status(self) -> dict:
        request = urllib.request.Request(f"http://{self.link.server_address}:{self.port}/_fastpush/v2/status",
                                         headers={"x-auth-token": TOKEN})
        with DIRECT.open(request, timeout=5) as answer:
            return json.load(answer)

    def cpu_seconds(self) -> float:
        fields = proc_stat_fields(self.process.pid)
        return (int(fields[11]) + int(fields[12])) / clock_ticks()  # utime, stime

    def reset_peak(self) -> None:
        # Linux: writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS.
        with open(f"/proc/{self.process.pid}/clear_refs", "w") as handle:
            handle.write("5")

    def peak_kib(self) -> int:
        return status_value_kib(self.process.pid, "VmHWM")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.backend_pid:
            try:
                os.kill(self.backend_pid, 0)
                log(f"the backend (pid {self.backend_pid}) outlived its controller; stopping it")
                os.kill(self.backend_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process = None


class RsyncDaemon:
    """`rsync --daemon --no-detach` with one module, on the link's server side."""

    def __init__(self, link: Link, module_dir: str, work: str) -> None:
        self.port = free_port()
        config = os.path.join(work, "rsyncd.conf")
        with open(config, "w") as handle:
            handle.write(f"address = {link.server_address}\nport = {self.port}\nuse chroot = no\n"
                         f"pid file = {work}/rsyncd.pid\nlog file = {work}/rsyncd.log\n"
                         f"[bench]\n    path = {module_dir}\n    read only = no\n"
                         f"    uid = {os.geteuid()}\n    gid = {os.getegid()}\n")
        self.process = subprocess.Popen(
            link.prefix + ["rsync", "--daemon", "--no-detach", f"--config={config}", f"--port={self.port}",
                           f"--address={link.server_address}"])
        self.url_host = link.server_address
        deadline = time.monotonic() + 20
        while subprocess.run(["rsync", f"rsync://{link.server_address}:{self.port}/"], capture_output=True).returncode:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the rsync daemon did not start on {link.server_address}:{self.port}")
            time.sleep(0.05)

    def children(self, pid: int | None = None) -> list[int]:
        pid = pid or self.process.pid
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as handle:
                direct = [int(word) for word in handle.read().split()]
        except OSError:
            return []
        return direct + [grandchild for child in direct for grandchild in self.children(child)]

    def wait_for_children(self) -> None:
        deadline = time.monotonic() + 30
        while self.children():
            if time.monotonic() > deadline:
                raise BenchError("the rsync daemon's transfer processes did not finish")
            time.sleep(0.01)

    def children_cpu_seconds(self) -> float:
        fields = proc_stat_fields(self.process.pid)
        return (int(fields[13]) + int(fields[14])) / clock_ticks()  # cutime, cstime: finished children

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


class PeakSampler(threading.Thread):
    """The largest VmHWM among the rsync daemon's transfer processes, read every 5 ms (they exit too soon to ask
    afterwards); the growth in the last few milliseconds of a process can be missed."""

    def __init__(self, daemon: RsyncDaemon) -> None:
        super().__init__(daemon=True)
        self.rsync_daemon = daemon
        self.peak = 0
        self.finished = threading.Event()

    def run(self) -> None:
        while not self.finished.is_set():
            for pid in self.rsync_daemon.children():
                try:
                    self.peak = max(self.peak, status_value_kib(pid, "VmHWM"))
                except OSError:
                    pass
            self.finished.wait(0.005)

    def stop(self) -> int:
        self.finished.set()
        self.join()
        return self.peak


# ---------------------------------------------------------------------------------------------------------------
# Scenarios and data


@dataclass
class Scenario:
    key: str
    title: str
    old: str
    new: str
    detail: str = ""
    restart: bool = False  # each run starts from a freshly restarted controller with the OLD files
    single_file: str = ""  # the one file rdiff compares (binary scenario)

    def methods(self) -> list[str]:
        methods = ["full-file"]
        if not self.restart:
            methods.append("fastpush")
        methods += ["fastpush-cold", "rsync", "rsync-z"]
        if self.single_file:
            methods.append("rdiff")
        return methods


def make_data(data: str, args: argparse.Namespace, wanted: list[str]) -> tuple[list[Scenario], list[str]]:
    """The scenarios, and why any that was asked for cannot run here."""
    scenarios, skipped = [], []
    tree_old = os.path.join(data, "tree-old")

    def variant(name: str) -> str:
        path = os.path.join(data, name)
        run(["cp", "-al", tree_old, path])  # hard links: a changed file is replaced, never written through
        return path

    def added_files(key: str, count: int, seed: int) -> Scenario:
        new = variant(f"tree-{key}")
        added = push_data.add_files(new, count, seed=seed)
        added_bytes = sum(os.path.getsize(os.path.join(new, path)) for path in added)
        return Scenario(key, f"{len(added)} new files in the source tree", tree_old, new,
                        f"{len(added)} files of code-like text, {added_bytes:,} bytes")

    tree_kinds = {"oneline", "added", "new200", "deleted", "nothing", "restart"}
    if tree_kinds & set(wanted):
        log(f"generating the source tree ({args.tree_files} files, {args.tree_mib} MiB of code-like text)...")
        paths = push_data.source_tree(tree_old, args.tree_files, args.tree_mib, seed=1)
        files, size = push_data.tree_bytes(tree_old)
        tree_title = f"{files:,} files, {size / 2**20:.0f} MiB"
        if "oneline" in wanted:
            new = variant("tree-oneline")
            target = push_data.pick(paths, tree_old, seed=11, count=1)[0]
            what = push_data.edit_one_line(new, target, seed=12)
            size_of = os.path.getsize(os.path.join(new, target))
            scenarios.append(Scenario("oneline", f"one-line change in a source tree ({tree_title})", tree_old, new,
                                      f"{what} ({size_of:,} bytes)"))
        if "added" in wanted:
            scenarios.append(added_files("added", args.added_files, seed=21))
        if "new200" in wanted:
            scenarios.append(added_files("new200", 200, seed=61))
        if "deleted" in wanted:
            new = variant("tree-deleted")
            gone = push_data.pick(paths, tree_old, seed=31, count=args.deleted_files, low=0, high=1 << 40)
            push_data.delete_files(new, gone)
            scenarios.append(Scenario("deleted", f"{len(gone)} files deleted from the source tree", tree_old, new,
                                      f"{len(gone)} files removed"))
        if "nothing" in wanted:
            scenarios.append(Scenario("nothing", "nothing changed in the source tree", tree_old, tree_old,
                                      "the pushed directory is the server's state"))
        if "restart" in wanted:
            new = variant("tree-session")
            edited = push_data.pick(paths, tree_old, seed=41, count=10)
            for index, path in enumerate(edited):
                push_data.edit_one_line(new, path, seed=42 + index)
            added = push_data.add_files(new, 5, seed=43)
            gone = push_data.pick([p for p in paths if p not in edited], tree_old, seed=44, count=5, low=0, high=1 << 40)
            push_data.delete_files(new, gone)
            scenarios.append(Scenario(
                "restart", "first push after a container restart (no client cache)", tree_old, new,
                f"a session's work against the staged tree: 10 files with a changed line, {len(added)} new, "
                f"{len(gone)} deleted; the controller restarts (files back to the staged tree) before every run",
                restart=True))
    if "binary" in wanted:
        size = args.binary_mib << 20
        log(f"generating the {args.binary_mib} MiB file and its edited version (engine_data.py)...")
        old, new = os.path.join(data, "bin-old"), os.path.join(data, "bin-new")
        os.makedirs(old)
        os.makedirs(new)
        run([sys.executable, os.path.join(HERE, "engine_data.py"), "random", f"{old}/model.bin", str(size), "1"])
        run([sys.executable, os.path.join(HERE, "engine_data.py"), "edited", f"{old}/model.bin", f"{new}/model.bin", "2", "30"])
        os.utime(f"{old}/model.bin", (push_data.GENERATED_AT, push_data.GENERATED_AT))
        os.utime(f"{new}/model.bin", (push_data.EDITED_AT, push_data.EDITED_AT))
        position = 1 if scenarios and scenarios[0].key == "oneline" else 0
        scenarios.insert(position, Scenario(
            "binary", f"30 small edits in a {args.binary_mib} MiB binary", old, new,
            "random bytes; 30 edits of 1-64 bytes spread over the file, half replacements, half insertions",
            single_file="model.bin"))
    if "upgrade" in wanted:
        log(f"unpacking two releases of {push_data.UPGRADE_PACKAGE} (kept in {args.sources})...")
        old, new = os.path.join(data, "release-old"), os.path.join(data, "release-new")
        try:
            what = push_data.release_upgrade(old, new, args.sources)
            files, size = push_data.tree_bytes(new)
            scenarios.append(Scenario("upgrade", f"a release upgrade of a real source tree ({files:,} files, "
                                      f"{size / 2**20:.0f} MiB)", old, new, what))
        except push_data.Unavailable as error:
            log(f"skipping the upgrade scenario: {error}")
            skipped.append(f"upgrade scenario: {error}")
    if "php" in wanted:
        log(f"generating the PHP app ({args.php_files} files)...")
        old = os.path.join(data, "php-old")
        push_data.php_app(old, args.php_files, seed=2)
        files, size = push_data.tree_bytes(old)
        new = os.path.join(data, "php-edited")
        run(["cp", "-al", old, new])
        what = push_data.insert_lines(new, "wp-content/themes/benchtheme/functions.php", seed=51, count=5)
        scenarios.append(Scenario("php", f"one file edited in a WordPress-sized PHP app ({files:,} files, "
                                  f"{size / 2**20:.0f} MiB)", old, new, what))
    return scenarios, skipped


# ---------------------------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Measured:
    wall: float
    user: float
    sys: float
    peak_kib: int
    output: str


def timed(command: list[str], work: str, environment: dict | None = None) -> Measured:
    times = os.path.join(work, "time.txt")
    started = time.perf_counter()
    result = subprocess.run([TIME, "-f", "%U %S %M", "-o", times] + command, capture_output=True, text=True,
                            env=environment)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise BenchError(f"'{' '.join(command)}' failed ({result.returncode}): {result.stdout}{result.stderr}".strip())
    with open(times) as handle:
        user, system, peak = handle.read().split()[-3:]
    return Measured(wall, float(user), float(system), int(peak), result.stdout + result.stderr)


class Bench:
    def __init__(self, args: argparse.Namespace, work: str, raw_path: str) -> None:
        self.args, self.work = args, work
        self.raw_path = raw_path
        self.problems: list[str] = []
        self.controller: Controller | None = None
        self.daemon: RsyncDaemon | None = None
        self.relays: list[Relay] = []
        self.reset_cache = ""
        self.client_tree = os.path.join(work, "client-tree")

    def record(self, row: dict) -> None:
        with open(self.raw_path, "a", newline="") as handle:
            csv.DictWriter(handle, RAW_FIELDS).writerow({key: row.get(key, "") for key in RAW_FIELDS})

    def cache_dir(self) -> str:
        return tempfile.mkdtemp(prefix="cache-", dir=self.work)

    def fastpush(self, url: str, directory: str, cache: str, *flags: str, measure: bool = False):
        command = [self.args.fastpush, "push", url, directory, "--token", TOKEN, *flags]
        environment = dict(os.environ, FASTPUSH_CACHE_DIR=cache, NO_COLOR="1")
        try:
            if measure:
                return timed(command, self.work, environment)
            return run(command, env=environment)
        except BenchError as error:
            # The client's message says what it saw; the controller's side of the story is in its log.
            state = "running" if self.controller.process.poll() is None else f"exited ({self.controller.process.returncode})"
            raise BenchError(f"{error}\nthe controller ({state}) logged last:\n{self.controller.log_tail()}") from None

    def run_link(self, link: Link, scenarios: list[Scenario]) -> None:
        server = fresh_directory(os.path.join(self.work, f"server-{link.key}"))
        app_dir, module_dir = os.path.join(server, "app"), os.path.join(server, "rsync")
        os.makedirs(module_dir)
        self.daemon = RsyncDaemon(link, module_dir, server)
        rsync_relay = Relay(link.server_address, self.daemon.port, link.delay_ms)
        controller_relay = Relay(link.server_address, 1, link.delay_ms)  # retargeted at each controller start
        self.relays = [rsync_relay, controller_relay]
        try:
            for scenario in scenarios:
                self.run_scenario(link, scenario, app_dir, module_dir, controller_relay, rsync_relay)
        finally:
            if self.controller:
                self.controller.stop()
                self.controller = None
            for relay in self.relays:
                relay.stop()
            self.relays = []
            self.daemon.stop()
            self.daemon = None
            shutil.rmtree(server, ignore_errors=True)

    def start_controller(self, link: Link, app_dir: str, relay: Relay) -> None:
        self.controller = Controller(self.args.controller, link, app_dir, os.path.join(self.work, f"controller-{link.key}.log"))
        self.controller.start()
        relay.retarget(link.server_address, self.controller.port)

    def run_scenario(self, link: Link, scenario: Scenario, app_dir: str, module_dir: str,
                     controller_relay: Relay, rsync_relay: Relay) -> None:
        methods = scenario.methods()
        if link.key != "loopback" and "rdiff" in methods:
            methods.remove("rdiff")  # no network in it: measured once, on the loopback pass
        if link.key != "loopback" and scenario.key == "binary" and not self.args.slow_full_file:
            methods.remove("full-file")
            self.record({"link": link.key, "scenario": scenario.key, "method": "full-file", "run": 0,
                         "note": "skipped off loopback: the whole file as base64 JSON takes minutes per run at 10 Mbit/s, "
                                 "and on the other links about as long as on loopback (--slow-full-file runs it); its "
                                 "bytes are the loopback figure"})
        log(f"{link.key}: {scenario.key}: {scenario.title}; warm-up, then {self.args.runs} runs of {', '.join(methods)}")
        shutil.rmtree(app_dir, ignore_errors=True)
        mirror(scenario.old, app_dir)
        mirror(scenario.old, module_dir)
        self.start_controller(link, app_dir, controller_relay)
        url = f"http://127.0.0.1:{controller_relay.port}"
        # The client cache the untimed resets use, kept for the whole scenario. A first push of NEW and the
        # first reset to OLD fill it with the signatures of OLD's files, so later resets write almost nothing
        # (a cold push writes a signature file per file of 8 KiB or more, each flushed to disk: thousands in
        # the source tree, which take seconds, and tens of seconds when other work keeps the disk busy).
        self.reset_cache = self.cache_dir()
        if not scenario.restart:
            self.fastpush(url, scenario.new, self.reset_cache)
        # The developer's own tree, which the steady-state runs edit in place from OLD to NEW, so that the client's
        # stat cache sees what it sees in use. Its files must be older than the stat cache's racy interval (2 s)
        # when the first push scans them, as in a tree that was not just copied.
        if "fastpush" in methods:
            mirror(scenario.old, self.client_tree)
            time.sleep(2.5)
        try:
            for run_number in range(self.args.runs + 1):
                for method in methods:
                    row = self.measure(link, scenario, method, url, app_dir, module_dir, controller_relay, rsync_relay)
                    if run_number == 1:
                        row["note"] = self.verify(scenario, method, app_dir, module_dir, row)
                    if run_number > 0:
                        row.update({"link": link.key, "scenario": scenario.key, "method": method, "run": run_number})
                        self.record(row)
        finally:
            self.controller.stop()
            self.controller = None

    def measure(self, link: Link, scenario: Scenario, method: str, url: str, app_dir: str, module_dir: str,
                controller_relay: Relay, rsync_relay: Relay) -> dict:
        if method == "rdiff":
            return self.measure_rdiff(scenario)
        if method.startswith("rsync"):
            return self.measure_rsync(scenario, method, module_dir, rsync_relay)
        # Put the server back to OLD. `--resync` makes the server match OLD whatever the cache believes (the
        # original API's pushes bypass the cache).
        if scenario.restart:
            self.controller.stop()
            mirror(scenario.old, app_dir)
            self.start_controller(link, app_dir, controller_relay)
        else:
            self.fastpush(url, scenario.old, self.reset_cache, "--resync")
        flags, pushed = [], scenario.new
        if method == "fastpush":
            cache, pushed = self.first_push_then_edits(url, scenario), self.client_tree
        else:
            cache = self.cache_dir()  # empty: what a first push, or one after losing the cache, starts from
            if method == "full-file":
                flags = ["--legacy-protocol"]
        controller_relay.take()
        self.controller.reset_peak()
        cpu_before = self.controller.cpu_seconds()
        measured = self.fastpush(url, pushed, cache, *flags, measure=True)
        up, down, connections = controller_relay.take()
        shutil.rmtree(cache)  # thousands of signature files each: not kept for the whole run
        requests = re.findall(r"(\d+) requests?\b", measured.output)
        return {
            "wall_s": f"{measured.wall:.4f}", "up_bytes": up, "down_bytes": down, "connections": connections,
            "client_user_s": measured.user, "client_sys_s": measured.sys, "client_peak_kib": measured.peak_kib,
            "server_cpu_s": f"{self.controller.cpu_seconds() - cpu_before:.2f}",
            "server_peak_kib": self.controller.peak_kib(),
            "requests": requests[-1] if requests else ("1" if "Nothing to push" in measured.output else ""),
            "output": measured.output,
        }

    def first_push_then_edits(self, url: str, scenario: Scenario) -> str:
        """The path a user takes to a steady-state push, up to the push itself; returns the client's cache.

        Right after `cf push` (the server holds OLD), the first `fastpush push` of the developer's tree, with no
        cache, finds nothing to send and keeps the manifest, the stat cache of the tree and the signatures of its
        files; then the developer edits the tree (here: it becomes NEW, only the files that differ rewritten)."""
        mirror(scenario.old, self.client_tree)
        cache = self.cache_dir()
        first = self.fastpush(url, self.client_tree, cache)
        if "Nothing to push" not in first.stdout + first.stderr:
            raise BenchError(f"{scenario.key}: the first push of the tree as staged sent something: {first.stdout}{first.stderr}")
        mirror(scenario.new, self.client_tree)
        return cache

    def measure_rsync(self, scenario: Scenario, method: str, module_dir: str, relay: Relay) -> dict:
        mirror(scenario.old, module_dir)
        self.daemon.wait_for_children()
        relay.take()
        cpu_before = self.daemon.children_cpu_seconds()
        sampler = PeakSampler(self.daemon)
        sampler.start()
        command = ["rsync", "-a", "--no-whole-file", "--delete", "--stats"] + (["-z"] if method == "rsync-z" else [])
        try:
            measured = timed(command + [scenario.new + "/", f"rsync://127.0.0.1:{relay.port}/bench/"], self.work)
            self.daemon.wait_for_children()
        finally:
            peak = sampler.stop()
        up, down, connections = relay.take()

        def stat(label: str) -> int:
            found = re.search(rf"^{label}: ([\d,]+)", measured.output, re.MULTILINE)
            return int(found.group(1).replace(",", "")) if found else 0

        return {
            "wall_s": f"{measured.wall:.4f}", "up_bytes": up, "down_bytes": down, "connections": connections,
            "client_user_s": measured.user, "client_sys_s": measured.sys, "client_peak_kib": measured.peak_kib,
            "server_cpu_s": f"{self.daemon.children_cpu_seconds() - cpu_before:.2f}", "server_peak_kib": peak,
            "tool_reported_bytes": stat("Total bytes sent") + stat("Total bytes received"),
        }

    def measure_rdiff(self, scenario: Scenario) -> dict:
        old = os.path.join(scenario.old, scenario.single_file)
        new = os.path.join(scenario.new, scenario.single_file)
        signature, delta = os.path.join(self.work, "rdiff.sig"), os.path.join(self.work, "rdiff.delta")
        for path in (signature, delta):
            if os.path.exists(path):
                os.remove(path)
        server = timed(["rdiff", "signature", old, signature], self.work)  # the side that has OLD
        client = timed(["rdiff", "delta", signature, new, delta], self.work)  # the side that has NEW
        return {
            "wall_s": f"{server.wall + client.wall:.4f}", "up_bytes": os.path.getsize(delta),
            "down_bytes": os.path.getsize(signature), "connections": 0,
            "client_user_s": client.user, "client_sys_s": client.sys, "client_peak_kib": client.peak_kib,
            "server_cpu_s": f"{server.user + server.sys:.2f}", "server_peak_kib": server.peak_kib,
            "note": "no network: signature and delta files made locally, wall = signature + delta",
        }

    def verify(self, scenario: Scenario, method: str, app_dir: str, module_dir: str, row: dict) -> str:
        """Checks the server ended with NEW; returns a note for raw.csv (empty when all is as expected)."""
        if method == "rdiff":
            return row.get("note", "")
        destination = module_dir if method.startswith("rsync") else app_dir
        missing, extra, different = tree_differences(scenario.new, destination)
        if not (missing or extra or different):
            return ""
        if method == "full-file" and extra and not missing and not different:
            return f"the original API cannot delete: {len(extra)} deleted files stay on the server"
        problem = (f"{scenario.key}/{method}: the server does not match the pushed directory: {len(missing)} missing "
                   f"({', '.join(missing[:3])}), {len(extra)} extra ({', '.join(extra[:3])}), {len(different)} "
                   f"different ({', '.join(different[:3])}); the client said: {row.get('output', '').strip()[-400:]}")
        self.problems.append(problem)
        log("PROBLEM: " + problem)
        return "MISMATCH: " + problem

    def close(self) -> None:
        if self.controller:
            self.controller.stop()
        for relay in self.relays:
            relay.stop()
        if self.daemon:
            self.daemon.stop()


def machine_description(args: argparse.Namespace) -> dict:
    def first_line(command: list[str]) -> str:
        try:
            result = subprocess.run(command, capture_output=True, text=True)
            return (result.stdout or result.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    model = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        memory_gib = int(handle.readline().split()[1]) / 2**20
    repo = os.path.dirname(HERE)
    commit = first_line(["git", "-C", repo, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "cores": os.cpu_count(), "cpu": model, "memory_gib": round(memory_gib, 1),
        "kernel": f"{platform.system()} {platform.release()}",
        "swift": first_line(["swift", "--version"]) if shutil.which("swift") else "not on PATH",
        "rsync": re.sub(r"\s+", " ", first_line(["rsync", "--version"])),
        "rdiff": first_line(["rdiff", "--version"]), "python": platform.python_version(),
        "fastpush_commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fastpush", required=True)
    parser.add_argument("--controller", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--links", default=",".join(LINKS))
    parser.add_argument("--tree-files", type=int, default=5000)
    parser.add_argument("--tree-mib", type=float, default=100)
    parser.add_argument("--php-files", type=int, default=1500)
    parser.add_argument("--binary-mib", type=int, default=256)
    parser.add_argument("--added-files", type=int, default=20)
    parser.add_argument("--deleted-files", type=int, default=20)
    parser.add_argument("--slow-full-file", action="store_true")
    parser.add_argument("--sources", default=os.path.join(os.path.dirname(HERE), "bench-results", "sources"))
    parser.add_argument("--netns", default=f"fpbench{os.getpid()}")
    parser.add_argument("--out", required=True)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    wanted = [key.strip() for key in args.scenarios.split(",") if key.strip()]
    if not wanted or set(wanted) - set(SCENARIOS):
        raise SystemExit(f"compare-push: --scenarios takes a comma-separated list of {', '.join(SCENARIOS)}")
    links = [key.strip() for key in args.links.split(",") if key.strip()]
    if not links or set(links) - set(LINKS):
        raise SystemExit(f"compare-push: --links takes a comma-separated list of {', '.join(LINKS)}")

    # SIGTERM and SIGHUP unwind like Ctrl-C, so every `finally` below runs (servers stopped, namespace removed).
    def interrupted(number, _frame):
        raise KeyboardInterrupt(f"signal {number}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    os.makedirs(args.out, exist_ok=True)
    raw_path = os.path.join(args.out, "raw.csv")
    with open(raw_path, "w", newline="") as handle:
        csv.DictWriter(handle, RAW_FIELDS).writeheader()
    work = tempfile.mkdtemp(prefix="fastpush-push-bench.", dir="/tmp")
    slow = SlowLink(args.netns)
    bench = Bench(args, work, raw_path)
    meta = {"machine": machine_description(args), "runs": args.runs, "links": {}, "scenarios": [], "skipped": [],
            "parameters": {key: value for key, value in vars(args).items() if key not in ("fastpush", "controller", "out", "netns", "sources")}}
    started = time.monotonic()
    try:
        scenarios, meta["skipped"] = make_data(os.path.join(work, "data"), args, wanted)
        meta["scenarios"] = [{"key": s.key, "title": s.title, "detail": s.detail} for s in scenarios]
        for key in links:
            if key == "loopback":
                link = Link("loopback", "loopback (127.0.0.1)", "127.0.0.1")
            elif key == "rtt100":
                link = Link("rtt100", "100 ms round trip (loopback; the byte-counting relays hold every byte 50 ms each "
                            "way)", "127.0.0.1", delay_ms=50)
            else:
                reason = SlowLink.unavailable_reason()
                if reason is None:
                    try:
                        link = slow.up()
                    except BenchError as error:
                        reason = f"could not set up the 10 Mbit/s link: {error}"
                        slow.down()
                if reason:
                    log(f"skipping the 10 Mbit/s link: {reason}")
                    meta["skipped"].append(f"10 Mbit/s link: {reason}")
                    continue
            meta["links"][link.key] = link.title
            try:
                bench.run_link(link, scenarios)
            finally:
                if link.key == "slow":
                    slow.down()
    finally:
        bench.close()
        slow.down()
        meta["problems"] = bench.problems
        meta["seconds"] = round(time.monotonic() - started)
        with open(os.path.join(args.out, "meta.json"), "w") as handle:
            json.dump(meta, handle, indent=2)
        if args.keep:
            log(f"kept the work directory {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    push_report.report(raw_path, args.out)


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        log(str(error))
        sys.exit(1)
    except KeyboardInterrupt:
        log("interrupted; servers stopped and the network namespace removed")
        sys.exit(130)
