import ArgumentParser
import DeltaSync

/// `fastpush delta SIG NEW DELTA`: what turns the signature's basis into NEW.
struct DeltaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delta", abstract: "Write the delta from the basis described by SIG to NEW.")

    @Argument(help: "A signature made by `fastpush signature`.") var signature: String
    @Argument(help: "The new file.") var new: String
    @Argument(help: "Where to write the delta.") var delta: String
    @Flag(help: "Send literal data uncompressed.") var noCompression = false
    @Flag(help: "Print what was written.") var stats = false

    func run() throws {
        let basis = try DeltaSync.Signature(decoding: FileReader(path: signature))
        let summary = try Delta.make(
            signature: basis, newFile: new, deltaFile: delta, compressLiterals: !noCompression)
        if stats {
            printError(
                "delta: \(summary.encodedSize) bytes; copied \(summary.copiedBytes) bytes in \(summary.copyOperations) runs, \(summary.literalBytes) literal bytes in \(summary.literalOperations) runs (\(summary.literalWireBytes) on the wire)"
            )
        }
    }
}
