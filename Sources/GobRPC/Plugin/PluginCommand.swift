/// cf's `plugin.Command`: one command the plugin adds to cf.
public struct PluginCommand: Equatable, Sendable {
    public var name: String
    public var alias: String
    public var helpText: String
    public var usageDetails: PluginUsage

    public init(name: String, alias: String = "", helpText: String = "", usageDetails: PluginUsage = PluginUsage()) {
        self.name = name
        self.alias = alias
        self.helpText = helpText
        self.usageDetails = usageDetails
    }
}

extension PluginCommand: GobConvertible {
    public static let gobType = GobType.structure(
        name: "Command",
        fields: [
            GobStructField("Name", .string), GobStructField("Alias", .string), GobStructField("HelpText", .string),
            GobStructField("UsageDetails", PluginUsage.gobType),
        ])

    public var gobValue: GobValue {
        .structure([
            "Name": .string(name), "Alias": .string(alias), "HelpText": .string(helpText),
            "UsageDetails": usageDetails.gobValue,
        ])
    }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "Command")
        self.init(
            name: try fields.string("Name"), alias: try fields.string("Alias"), helpText: try fields.string("HelpText"),
            usageDetails: try fields.optional("UsageDetails") ?? PluginUsage())
    }
}
