import ArgumentParser
import DeltaSync

/// `fastpush patch OLD DELTA OUT`: rebuild the new file, verified, written atomically.
struct PatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch",
        abstract: "Rebuild OUT from OLD and DELTA; OUT appears only once its digest is verified.",
        discussion: "OUT may be OLD itself to update it in place. On any error OUT is left as it was.")

    @Argument(help: "The basis file the signature was made from.") var old: String
    @Argument(help: "A delta made by `fastpush delta`.") var delta: String
    @Argument(help: "Where to write the rebuilt file.") var out: String
    @Flag(help: "Print what was applied.") var stats = false

    func run() throws {
        let summary = try Patch.apply(basisFile: old, deltaFile: delta, outputFile: out)
        if stats {
            printError(
                "patch: wrote \(summary.targetSize) bytes (\(summary.copiedBytes) copied, \(summary.literalBytes) literal), XXH3-128 \(summary.targetDigest.hex)"
            )
        }
    }
}
