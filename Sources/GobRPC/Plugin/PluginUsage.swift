/// cf's `plugin.Usage`: the usage line and the options `cf help CMD` lists.
public struct PluginUsage: Equatable, Sendable {
    public var usage: String
    /// Option name (bare, no dashes: one character prints as `-k`, longer as `--key`) to help text.
    public var options: [String: String]

    public init(usage: String = "", options: [String: String] = [:]) {
        self.usage = usage
        self.options = options
    }
}

extension PluginUsage: GobConvertible {
    static let optionsType = GobType.map(name: "map[string]string", key: .string, elem: .string)

    public static let gobType = GobType.structure(
        name: "Usage", fields: [GobStructField("Usage", .string), GobStructField("Options", optionsType)])

    /// Options in key order, so the bytes are the same on every run.
    public var gobValue: GobValue {
        var fields: [String: GobValue] = ["Usage": .string(usage)]
        if !options.isEmpty {
            fields["Options"] = .map(options.sorted { $0.key < $1.key }.map { GobMapEntry(key: .string($0.key), value: .string($0.value)) })
        }
        return .structure(fields)
    }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "Usage")
        var options: [String: String] = [:]
        for (key, value) in try fields.stringMap("Options") {
            do {
                options[key] = try String(gobValue: value)
            } catch let error as GobError {
                throw error.prefixed("Usage.Options[\(key)]")
            }
        }
        self.init(usage: try fields.string("Usage"), options: options)
    }
}
