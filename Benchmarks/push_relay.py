#!/usr/bin/env python3
"""A TCP relay that counts the bytes it carries each way (Python standard library only).

    push_relay.py LISTEN_PORT TARGET_HOST TARGET_PORT CONTROL_PORT [DELAY_MS]

compare-push.sh puts one between each client (fastpush, rsync) and its server (the controller, the rsync
daemon), so that both methods are measured the same way: bytes are TCP payload bytes as the client's socket
sent and received them (the HTTP or rsync protocol with its headers and framing, no TCP/IP headers).

It listens on 127.0.0.1:LISTEN_PORT and copies each connection to TARGET_HOST:TARGET_PORT, counting bytes
client to server ("up") and server to client ("down"). On 127.0.0.1:CONTROL_PORT, the line `take` waits until
no relayed connection is open (at most 30 s), answers `UP DOWN CONNECTIONS OPEN` for everything since the
previous `take` and starts again from zero; the line `target HOST PORT` sends later connections there (a
restarted server may listen elsewhere). It prints `ready` once both ports listen.

With DELAY_MS, the relay is also a link with latency: every byte reaches the other side DELAY_MS after the
relay read it, each way (a round trip of twice that), and the first bytes of a connection no sooner than a
TCP handshake over such a link allows (1.5 round trips after the client's connect at the server, 2 at the
client). Bandwidth stays unlimited and TCP's slow start is not reproduced.
"""

import queue
import socket
import sys
import threading
import time

BUFFER = 1 << 18


class Counters:
    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.up = 0
        self.down = 0
        self.connections = 0
        self.open = 0

    def add(self, direction: str, count: int) -> None:
        with self.changed:
            if direction == "up":
                self.up += count
            else:
                self.down += count

    def take(self, timeout: float = 30.0) -> str:
        with self.changed:
            self.changed.wait_for(lambda: self.open == 0, timeout=timeout)
            answer = f"{self.up} {self.down} {self.connections} {self.open}\n"
            self.up = self.down = self.connections = 0
            return answer


def received(source: socket.socket, direction: str, counters: Counters):
    """The chunks read from `source` until it ends, counted."""
    while data := source.recv(BUFFER):
        counters.add(direction, len(data))
        yield data


def delayed(chunks, delay: float, not_before: float):
    """The same chunks, each `delay` seconds after it was read and none before `not_before` (monotonic time).
    A thread reads them as they come, so that the delay does not slow the sender down."""
    held = queue.SimpleQueue()

    def read() -> None:
        try:
            for data in chunks:
                held.put((time.monotonic() + delay, data))
            held.put((time.monotonic() + delay, b""))
        except OSError:
            held.put((0.0, None))  # a reset is passed on at once

    threading.Thread(target=read, daemon=True).start()
    while True:
        due, data = held.get()
        if data is None:
            raise ConnectionResetError("the other side reset the connection")
        time.sleep(max(0.0, max(due, not_before) - time.monotonic()))
        if not data:
            return
        yield data


def pump(chunks, source: socket.socket, sink: socket.socket) -> None:
    """Writes the chunks read from source until it ends; then half-closes the sink so the other side sees the
    end too."""
    try:
        for data in chunks:
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        # A reset on one side: end both directions.
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(client: socket.socket, target: tuple[str, int], counters: Counters, delay: float) -> None:
    opened = time.monotonic()
    try:
        server = socket.create_connection(target)
    except OSError as error:
        print(f"push_relay: cannot reach {target[0]}:{target[1]}: {error}", file=sys.stderr)
        client.close()
        with counters.changed:
            counters.open -= 1
            counters.changed.notify_all()
        return
    for end in (client, server):
        end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    up, down = received(client, "up", counters), received(server, "down", counters)
    if delay:
        # The handshake's SYN, SYN-ACK and ACK cross the link before any data: the server's first bytes reach
        # the client 2 round trips after its connect, and the client's reach the server after 1.5.
        up, down = delayed(up, delay, opened + 3 * delay), delayed(down, delay, opened + 4 * delay)
    downstream = threading.Thread(target=pump, args=(down, server, client), daemon=True)
    downstream.start()
    pump(up, client, server)
    downstream.join()
    client.close()
    server.close()
    with counters.changed:
        counters.open -= 1
        counters.changed.notify_all()


def serve_relay(listener: socket.socket, target: list[tuple[str, int]], counters: Counters, delay: float) -> None:
    while True:
        client, _ = listener.accept()
        with counters.changed:
            counters.connections += 1
            counters.open += 1
        threading.Thread(target=relay, args=(client, target[0], counters, delay), daemon=True).start()


def serve_control(listener: socket.socket, target: list[tuple[str, int]], counters: Counters) -> None:
    while True:
        connection, _ = listener.accept()
        with connection, connection.makefile("rw") as stream:
            for line in stream:
                words = line.split()
                if words == ["take"]:
                    stream.write(counters.take())
                elif len(words) == 3 and words[0] == "target":
                    target[0] = (words[1], int(words[2]))
                    stream.write("ok\n")
                else:
                    stream.write(f"unknown command: {line.strip()}\n")
                stream.flush()


def listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    return listener


def main(argv: list[str]) -> None:
    if len(argv) not in (5, 6):
        raise SystemExit("usage: push_relay.py LISTEN_PORT TARGET_HOST TARGET_PORT CONTROL_PORT [DELAY_MS]")
    delay = int(argv[5]) / 1000 if len(argv) == 6 else 0.0
    counters = Counters()
    relay_listener = listen(int(argv[1]))
    control_listener = listen(int(argv[4]))
    target = [(argv[2], int(argv[3]))]
    threading.Thread(target=serve_control, args=(control_listener, target, counters), daemon=True).start()
    print("ready", flush=True)
    serve_relay(relay_listener, target, counters, delay)


if __name__ == "__main__":
    main(sys.argv)
