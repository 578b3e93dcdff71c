import Foundation

/// Hands out type ids the way Go does: once per type per process, in first-use order, a struct
/// before its fields and a slice, array or map after its elements.
///
/// Go's ids are process-wide, so two connections from one Go plugin share them. Sharing one
/// registry between encoders reproduces a Go plugin's bytes exactly; any assignment is valid gob.
final class GobTypeRegistry: @unchecked Sendable {
    /// The registry of this process, used by connections unless told otherwise.
    static let shared = GobTypeRegistry()

    private let lock = NSLock()
    private var ids: [GobType: Int] = [:]
    private var lastID: Int

    init(firstID: Int = GobTypeID.firstAllocated) {
        lastID = firstID - 1
    }

    func id(for type: GobType) -> Int {
        if let builtin = type.builtinID { return builtin }
        lock.lock()
        defer { lock.unlock() }
        return assign(type)
    }

    private func assign(_ type: GobType) -> Int {
        if let builtin = type.builtinID { return builtin }
        if let known = ids[type] { return known }
        switch type {
        case .structure(_, let fields):
            let id = allocate(type)
            for field in fields { _ = assign(field.type) }
            return id
        case .array(_, let elem, _), .slice(_, let elem):
            _ = assign(elem)
            return allocate(type)
        case .map(_, let key, let elem):
            _ = assign(key)
            _ = assign(elem)
            return allocate(type)
        default:
            return allocate(type)
        }
    }

    private func allocate(_ type: GobType) -> Int {
        lastID += 1
        ids[type] = lastID
        return lastID
    }
}
