/// `withUnsafeBytes` and `withUnsafeMutableBytes` with typed throws, so engine code that reads into or
/// out of arrays keeps `throws(DeltaSyncError)` without casts.
extension Array where Element == UInt8 {
    @inline(__always)
    package func withBytes<Result>(
        _ body: (UnsafeRawBufferPointer) throws(DeltaSyncError) -> Result
    ) throws(DeltaSyncError) -> Result {
        try withUnsafeBytes { bytes in Swift.Result { () throws(DeltaSyncError) in try body(bytes) } }.get()
    }

    @inline(__always)
    package mutating func withMutableBytes<Result>(
        _ body: (UnsafeMutableRawBufferPointer) throws(DeltaSyncError) -> Result
    ) throws(DeltaSyncError) -> Result {
        try withUnsafeMutableBytes { bytes in Swift.Result { () throws(DeltaSyncError) in try body(bytes) } }.get()
    }
}
