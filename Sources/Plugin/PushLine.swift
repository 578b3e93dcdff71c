import DeltaSync

/// The one line a push prints for a changed path: `[NEW]  a.js (71 B, sent 112 B whole)`,
/// `[MOD]  model.bin (4.0 MiB, sent 1.1 KiB as a delta)`, `[DEL]  old.html`.
///
/// A file's line gives its size first, then the bytes of content the push sends for it and in which form,
/// so the two numbers cannot be taken for each other.
struct PushLine: CustomStringConvertible {
    let item: PushPlanner.Item

    init(_ item: PushPlanner.Item) { self.item = item }

    var description: String {
        let name = RelativePath.displayed(item.path) + (item.kind == .directory ? "/" : "")
        switch item.change {
        case .new: return "[NEW]  \(name)\(sizes)"
        case .modified: return "[MOD]  \(name)\(sizes)"
        case .deleted: return "[DEL]  \(name)"
        case .mode: return "[MODE] \(name)"
        }
    }

    /// ` (3.9 KiB, sent 1.0 KiB whole)` for a file whose content travels; empty for other entries.
    private var sizes: String {
        guard item.kind == .file, let form = item.form else { return "" }
        let how =
            switch form {
            case .delta: "as a delta"
            case .whole: "whole"
            }
        return " (\(ByteCount(item.fileSize)), sent \(ByteCount(item.sentBytes)) \(how))"
    }
}
