/// Writes whole lines to standard error, where both executables put their messages so that standard
/// output stays for data.
package enum StandardError {
    package static func writeLine(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { buffer in
            // A message that cannot be written has nowhere else to go.
            try? SystemCall.writeAll(2, buffer, path: "standard error")
        }
    }
}
