/// Type ids gob predefines. User types get ids from 65 on (Go's first allocation after 64).
enum GobTypeID {
    static let bool = 1
    static let int = 2
    static let uint = 3
    static let float = 4
    static let bytes = 5
    static let string = 6
    static let complex = 7
    static let interface = 8
    /// The lowest id a stream may define; everything below is reserved.
    static let firstUser = 64
    /// The first id Go hands out in a fresh process.
    static let firstAllocated = 65
}
