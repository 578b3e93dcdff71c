/// The last bytes a patch wrote: the dictionary for the next deflated literal.
struct OutputHistory {
    private var storage: [UInt8] = []
    private let length = DeltaFormat.dictionaryLength

    /// A history that starts with `primer` (its last dictionary length of bytes) before anything is written.
    init(primer: [UInt8] = []) {
        storage.reserveCapacity(2 * DeltaFormat.dictionaryLength)
        storage.append(contentsOf: primer.suffix(length))
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count >= length {
            storage.removeAll(keepingCapacity: true)
            storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - length)...]))
            return
        }
        storage.append(contentsOf: bytes)
        if storage.count > 2 * length { storage.removeFirst(storage.count - length) }
    }

    /// Runs `body` with the last (up to) 32 KiB written.
    func withWindow<Result>(_ body: (UnsafeRawBufferPointer) throws(DeltaSyncError) -> Result) throws(DeltaSyncError)
        -> Result
    {
        try storage.withBytes { (all) throws(DeltaSyncError) in
            try body(UnsafeRawBufferPointer(rebasing: all[max(0, all.count - length)...]))
        }
    }
}
