import Glibc

/// Writes a line to standard error, where messages go so standard output stays for data.
func printError(_ message: String) {
    let line = Array((message + "\n").utf8)
    line.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}
