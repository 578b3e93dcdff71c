/// cf's `plugin.PluginMetadata`, which a plugin sends with `SetPluginMetadata` during install.
///
/// cf rejects the plugin when the name is empty, there are no commands, or
/// `libraryVersion.major > 1`; a zero `minCliVersion` means no minimum.
public struct PluginMetadata: Equatable, Sendable {
    public var name: String
    public var version: PluginVersion
    public var libraryVersion: PluginVersion
    public var minCliVersion: PluginVersion
    public var commands: [PluginCommand]

    public init(
        name: String, version: PluginVersion = PluginVersion(), libraryVersion: PluginVersion = PluginVersion(),
        minCliVersion: PluginVersion = PluginVersion(), commands: [PluginCommand] = []
    ) {
        self.name = name
        self.version = version
        self.libraryVersion = libraryVersion
        self.minCliVersion = minCliVersion
        self.commands = commands
    }
}

extension PluginMetadata: GobConvertible {
    /// Named as the Go plugin library names it, so the bytes match a Go plugin's.
    public static let gobType = GobType.structure(
        name: "PluginMetadata",
        fields: [
            GobStructField("Name", .string), GobStructField("Version", PluginVersion.gobType),
            GobStructField("LibraryVersion", PluginVersion.gobType), GobStructField("MinCliVersion", PluginVersion.gobType),
            GobStructField("Commands", .slice(name: "[]plugin.Command", elem: PluginCommand.gobType)),
        ])

    public var gobValue: GobValue {
        .structure([
            "Name": .string(name), "Version": version.gobValue, "LibraryVersion": libraryVersion.gobValue,
            "MinCliVersion": minCliVersion.gobValue, "Commands": .list(commands.map(\.gobValue)),
        ])
    }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "PluginMetadata")
        self.init(
            name: try fields.string("Name"), version: try fields.optional("Version") ?? PluginVersion(),
            libraryVersion: try fields.optional("LibraryVersion") ?? PluginVersion(),
            minCliVersion: try fields.optional("MinCliVersion") ?? PluginVersion(),
            commands: try fields.list("Commands"))
    }
}
