extension PushBundle {
    /// This bundle completing `held`, the operations a server kept from an earlier push that conflicted: this
    /// bundle's operations replace the held ones for the same paths (compared as bytes), and the whole is put
    /// back in the order ``PushPlanner`` makes (removals deepest first, then new directories parents first, then
    /// files and links, then mode changes), so that the result applies as one push. The held operations were
    /// made with `heldDictionary`; this bundle must have been made with the same one.
    public func completing(_ held: [PushOperation], dictionary heldDictionary: [UInt8] = []) throws(DeltaSyncError) -> PushBundle {
        guard dictionary == heldDictionary else {
            throw DeltaSyncError(
                .invalidArgument,
                "push refused: it completes a held push but was not made with that push's shared dictionary; push again without naming the held push")
        }
        let replaced = Set(operations.map { PathKey($0.path) })
        let merged = held.filter { !replaced.contains(PathKey($0.path)) } + operations
        func phase(_ operation: PushOperation) -> Int {
            switch operation {
            case .delete: 0
            case .directory: 1
            case .file, .symlink: 2
            case .mode: 3
            }
        }
        let ordered = merged.enumerated().sorted { lhs, rhs in
            let (left, right) = (phase(lhs.element), phase(rhs.element))
            if left != right { return left < right }
            switch lhs.element {
            case .delete: return RelativePath.precedes(rhs.element.path, lhs.element.path)
            case .directory: return RelativePath.precedes(lhs.element.path, rhs.element.path)
            default: return lhs.offset < rhs.offset
            }
        }
        return PushBundle(operations: ordered.map(\.element), dictionary: dictionary)
    }
}
