import DeltaSync

/// Writes a line to standard error, where messages go so standard output stays for data.
func printError(_ message: String) {
    StandardError.writeLine(message)
}
