/// One key/value pair of a gob map.
public struct GobMapEntry: Equatable, Sendable {
    public var key: GobValue
    public var value: GobValue

    public init(key: GobValue, value: GobValue) {
        self.key = key
        self.value = value
    }
}
