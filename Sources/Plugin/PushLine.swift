import DeltaSync

/// The one line a push prints for a changed path: `[NEW]`, `[MOD] (delta 1.2 KiB of 48 MiB)`, `[DEL]`.
struct PushLine: CustomStringConvertible {
    let item: PushPlanner.Item

    init(_ item: PushPlanner.Item) { self.item = item }

    var description: String {
        let name = item.path + (item.kind == .directory ? "/" : "")
        switch item.change {
        case .new:
            return item.kind == .file ? "[NEW]  \(name) (\(ByteCount(item.deltaBytes)))" : "[NEW]  \(name)"
        case .modified:
            return item.kind == .file
                ? "[MOD]  \(name) (delta \(ByteCount(item.deltaBytes)) of \(ByteCount(item.fileSize)))" : "[MOD]  \(name)"
        case .deleted:
            return "[DEL]  \(name)"
        case .mode:
            return "[MODE] \(name)"
        }
    }
}
