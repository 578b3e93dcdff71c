import DeltaSync
import Glibc
import Synchronization

/// Where the backend's output lines are copied as they arrive: the controller's own stdout and stderr unless
/// told otherwise, so the platform's log collection sees the app exactly as if it ran alone.
struct OutputPassThrough: Sendable, Hashable {
    /// Receives the backend's stdout lines; `nil` drops them (they still reach the tail).
    var standardOutput: Int32?
    /// Receives the backend's stderr lines and the supervisor's own messages; `nil` drops them.
    var standardError: Int32?

    /// Secrets of the controller's (its control token) that no line passed on or kept may show: each is replaced by
    /// ``hiddenMark`` wherever it appears.
    var hidden: [[UInt8]] = []

    static let controllerStreams = OutputPassThrough(standardOutput: STDOUT_FILENO, standardError: STDERR_FILENO)

    static let hiddenMark = Array("[PRIVATE DATA HIDDEN]".utf8)

    /// `line` with every hidden secret replaced.
    func redacted(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var result = line
        for secret in hidden where !secret.isEmpty && result.count >= secret.count {
            var output: [UInt8] = []
            var index = result.startIndex
            var found = false
            while index < result.endIndex {
                if result.endIndex - index >= secret.count, result[index..<index + secret.count].elementsEqual(secret) {
                    output += Self.hiddenMark
                    index += secret.count
                    found = true
                } else {
                    output.append(result[index])
                    index += 1
                }
            }
            if found { result = output[...] }
        }
        return result
    }

    /// Writes one line and its newline in a single `write` where possible, so lines from the backend's two
    /// streams and from the supervisor do not tear each other apart.
    static func write(_ line: some Collection<UInt8>, to descriptor: Int32?) {
        guard let descriptor else { return }
        var bytes = Array(line)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            // A closed or broken destination must not stop the pipes from being drained: errors are dropped.
            try? SystemCall.writeAll(descriptor, buffer, path: "the controller's output")
        }
    }
}

/// The last lines the backend printed on stdout and stderr, in arrival order, for clients that ask why it
/// crashed. Filled by the output thread and read from any task, hence the lock.
final class OutputTail: Sendable {
    private struct Ring {
        var lines: [String] = []
        /// Index of the oldest line once `lines` is full.
        var oldest = 0
        let capacity: Int

        mutating func append(_ line: String) {
            guard capacity > 0 else { return }
            if lines.count < capacity {
                lines.append(line)
            } else {
                lines[oldest] = line
                oldest = (oldest + 1) % capacity
            }
        }

        var inOrder: [String] { Array(lines[oldest...] + lines[..<oldest]) }
    }

    private let ring: Mutex<Ring>

    init(capacity: Int) {
        ring = Mutex(Ring(capacity: max(0, capacity)))
    }

    func append(_ line: String) {
        ring.withLock { $0.append(line) }
    }

    /// Oldest first.
    func lines() -> [String] {
        ring.withLock { $0.inOrder }
    }
}

/// Cuts a byte stream into lines. A line longer than `maximumLineLength` is cut there, so a backend that prints
/// megabytes without a newline cannot grow the controller's memory.
struct LineSplitter {
    let maximumLineLength: Int
    private var pending: [UInt8] = []

    init(maximumLineLength: Int = 64 * 1024) {
        self.maximumLineLength = maximumLineLength
    }

    /// Calls `emit` with every line completed by `bytes`, without its newline.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (ArraySlice<UInt8>) -> Void) {
        pending.append(contentsOf: bytes)
        var lineStart = pending.startIndex
        var index = lineStart
        while index < pending.endIndex {
            if pending[index] == 0x0A {
                emit(pending[lineStart..<index])
                lineStart = index + 1
            } else if index - lineStart >= maximumLineLength {
                // Cut only when another byte of the same line arrives, so a full-length line keeps its newline.
                emit(pending[lineStart..<index])
                lineStart = index
            }
            index += 1
        }
        pending.removeSubrange(..<lineStart)
    }

    /// Emits what is left after the stream ended without a final newline.
    mutating func finish(emit: (ArraySlice<UInt8>) -> Void) {
        if !pending.isEmpty { emit(pending[...]) }
        pending.removeAll()
    }
}

/// Drains a backend's stdout and stderr pipes until both reach end of file, copying each line to the
/// pass-through destinations and to the tail. A backend whose pipe fills up blocks on its next write and,
/// once its reader is gone, dies of SIGPIPE, so the pipes are read for as long as anyone holds their write ends.
enum OutputPump {
    /// Blocks the calling thread until both pipes are closed by every process that holds them, then closes them.
    static func run(
        standardOutput: Int32, standardError: Int32, passThrough: OutputPassThrough, tail: OutputTail
    ) {
        let destinations = [passThrough.standardOutput, passThrough.standardError]
        var splitters = [LineSplitter(), LineSplitter()]
        var descriptors = [
            pollfd(fd: standardOutput, events: Int16(POLLIN), revents: 0),
            pollfd(fd: standardError, events: Int16(POLLIN), revents: 0),
        ]
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }

        func deliver(_ line: ArraySlice<UInt8>, stream: Int) {
            let line = passThrough.redacted(line)
            OutputPassThrough.write(line, to: destinations[stream])
            var text = line
            if text.last == 0x0D { text = text.dropLast() }
            tail.append(String(decoding: text, as: UTF8.self))
        }

        // poll ignores negative descriptors, which is how a stream that reached end of file drops out.
        while descriptors.contains(where: { $0.fd >= 0 }) {
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if Glibc.errno == EINTR { continue }
                break
            }
            for stream in descriptors.indices where descriptors[stream].fd >= 0 && descriptors[stream].revents != 0 {
                let count = Glibc.read(descriptors[stream].fd, chunk.baseAddress, chunk.count)
                if count < 0, Glibc.errno == EINTR || Glibc.errno == EAGAIN { continue }
                if count <= 0 {
                    splitters[stream].finish { deliver($0, stream: stream) }
                    Glibc.close(descriptors[stream].fd)
                    descriptors[stream].fd = -1
                    continue
                }
                splitters[stream].feed(UnsafeRawBufferPointer(rebasing: chunk[..<count])) {
                    deliver($0, stream: stream)
                }
            }
        }
        for stream in descriptors.indices where descriptors[stream].fd >= 0 {
            Glibc.close(descriptors[stream].fd)
        }
    }
}
