import Glibc

/// A regular file open for reading: sequentially as a ``ByteSource`` and at any offset as a
/// ``RandomAccessByteSource``. Reads go straight to the kernel; callers bring their own buffers.
public final class FileReader: ByteSource, RandomAccessByteSource {
    /// The path the file was opened by, for messages.
    public let path: String
    /// The size at open time.
    public let count: Int
    /// The permission bits at open time.
    public let mode: UInt32
    private let descriptor: Int32
    private var position = 0

    /// Opens `path` for reading; refuses anything that is not a regular file.
    public init(path: String) throws(DeltaSyncError) {
        self.path = path
        descriptor = try SystemCall.open(path, O_RDONLY)
        do throws(DeltaSyncError) {
            let status = try SystemCall.fstat(descriptor, path: path)
            guard status.st_mode & S_IFMT == S_IFREG else {
                throw DeltaSyncError(.invalidArgument, "\(path) is not a regular file")
            }
            count = Int(status.st_size)
            mode = UInt32(status.st_mode & 0o7777)
        } catch {
            SystemCall.close(descriptor)
            throw error
        }
        posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit { SystemCall.close(descriptor) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(DeltaSyncError) -> Int {
        let count = try SystemCall.pread(descriptor, buffer, offset: position, path: path)
        position += count
        return count
    }

    /// Fills `buffer` with the bytes at `offset` until it is full or the file ends; returns how many it read.
    /// It leaves the sequential position alone, so threads may read different ranges at once.
    func readAvailable(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(DeltaSyncError) -> Int {
        var done = 0
        while done < buffer.count {
            let count = try SystemCall.pread(
                descriptor, UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), offset: offset + done, path: path)
            if count == 0 { break }
            done += count
        }
        return done
    }

    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(DeltaSyncError) {
        let count = try readAvailable(at: offset, into: buffer)
        if count < buffer.count {
            throw DeltaSyncError(.truncated, "\(path) ended at \(offset + count) bytes; it changed while being read")
        }
    }
}
