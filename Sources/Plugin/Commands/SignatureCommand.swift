import ArgumentParser
import DeltaSync

/// `fastpush signature OLD SIG`: the block checksums of a basis file.
struct SignatureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signature", abstract: "Write the block signature of OLD to SIG.")

    @Argument(help: "The basis file.") var old: String
    @Argument(help: "Where to write the signature.") var signature: String
    @Option(help: "Block size in bytes (default: chosen from the file size).") var blockSize: Int?
    @Option(help: "Strong-hash bytes per block, 1 to 8 (default: chosen from the file size).") var strongBytes: Int?
    @Flag(help: "Print what was written.") var stats = false

    func run() throws {
        let size = try FileReader(path: old).count
        let defaults = SignatureParameters.forFile(size: size)
        let parameters = try SignatureParameters(
            blockSize: blockSize ?? defaults.blockSize, strongHashLength: strongBytes ?? defaults.strongHashLength)
        let result = try DeltaSync.Signature(file: old, parameters: parameters)
        let encoded = result.encoded()
        // A signature is checked when read and cheap to remake: atomic, but not flushed to disk.
        let output = try AtomicFileWriter(path: signature, durable: false)
        try encoded.withUnsafeBytes { try output.write($0) }
        try output.commit()
        if stats {
            printError(
                "signature: \(result.blockCount) blocks of \(parameters.blockSize) bytes, \(parameters.strongHashLength)-byte strong hashes, \(encoded.count) bytes"
            )
        }
    }
}
