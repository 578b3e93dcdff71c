/// cf's `plugin.VersionType`: a plugin's version, the plugin library version, or the minimum cf version.
public struct PluginVersion: Equatable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var build: Int

    public init(major: Int = 0, minor: Int = 0, build: Int = 0) {
        self.major = major
        self.minor = minor
        self.build = build
    }

    public var isZero: Bool { major == 0 && minor == 0 && build == 0 }

    /// "M.m.b", the form `IsMinCliVersion` expects.
    public var description: String { "\(major).\(minor).\(build)" }
}

extension PluginVersion: GobConvertible {
    public static let gobType = GobType.structure(
        name: "VersionType", fields: [GobStructField("Major", .int), GobStructField("Minor", .int), GobStructField("Build", .int)])

    public var gobValue: GobValue {
        .structure(["Major": major.gobValue, "Minor": minor.gobValue, "Build": build.gobValue])
    }

    public init(gobValue: GobValue) throws {
        let fields = try GobStructReader(gobValue, typeName: "VersionType")
        self.init(major: try fields.int("Major"), minor: try fields.int("Minor"), build: try fields.int("Build"))
    }
}
