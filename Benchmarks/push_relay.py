#!/usr/bin/env python3
"""A TCP relay that counts the bytes it carries each way (Python standard library only).

    push_relay.py LISTEN_PORT TARGET_HOST TARGET_PORT CONTROL_PORT

compare-push.sh puts one between each client (fastpush, rsync) and its server (the controller, the rsync
daemon), so that both methods are measured the same way: bytes are TCP payload bytes as the client's socket
sent and received them (the HTTP or rsync protocol with its headers and framing, no TCP/IP headers).

It listens on 127.0.0.1:LISTEN_PORT and copies each connection to TARGET_HOST:TARGET_PORT, counting bytes
client to server ("up") and server to client ("down"). On 127.0.0.1:CONTROL_PORT, the line `take` waits until
no relayed connection is open (at most 30 s), answers `UP DOWN CONNECTIONS OPEN` for everything since the
previous `take` and starts again from zero; the line `target HOST PORT` sends later connections there (a
restarted server may listen elsewhere). It prints `ready` once both ports listen.
"""

import socket
import sys
import threading

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


def pump(source: socket.socket, sink: socket.socket, direction: str, counters: Counters) -> None:
    """Copies until the source ends; then half-closes the sink so the other side sees the end too."""
    try:
        while True:
            data = source.recv(BUFFER)
            if not data:
                break
            counters.add(direction, len(data))
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        # A reset on one side: end both directions.
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(client: socket.socket, target: tuple[str, int], counters: Counters) -> None:
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
    downstream = threading.Thread(target=pump, args=(server, client, "down", counters), daemon=True)
    downstream.start()
    pump(client, server, "up", counters)
    downstream.join()
    client.close()
    server.close()
    with counters.changed:
        counters.open -= 1
        counters.changed.notify_all()


def serve_relay(listener: socket.socket, target: list[tuple[str, int]], counters: Counters) -> None:
    while True:
        client, _ = listener.accept()
        with counters.changed:
            counters.connections += 1
            counters.open += 1
        threading.Thread(target=relay, args=(client, target[0], counters), daemon=True).start()


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
    if len(argv) != 5:
        raise SystemExit("usage: push_relay.py LISTEN_PORT TARGET_HOST TARGET_PORT CONTROL_PORT")
    counters = Counters()
    relay_listener = listen(int(argv[1]))
    control_listener = listen(int(argv[4]))
    target = [(argv[2], int(argv[3]))]
    threading.Thread(target=serve_control, args=(control_listener, target, counters), daemon=True).start()
    print("ready", flush=True)
    serve_relay(relay_listener, target, counters)


if __name__ == "__main__":
    main(sys.argv)
