import DeltaSync
import Glibc

/// Turns one config file and the environment into a ``ControllerConfig``, remembering where every value came
/// from so an error can name the file or variable and the value that is wrong.
struct ConfigLoader {
    /// A config file that was found and parsed.
    struct ConfigFile: Sendable, Equatable {
        /// Where it was read from.
        var path: String
        /// Its settings by lower-cased key; YAML nulls are left out (they mean "not set").
        var values: [String: Value]

        /// The `restart_rules:` (or `rules:`) list; nil when the file has none.
        var rules: [ConfiguredRule]? {
            for key in ConfigLoader.ruleKeys {
                if case .rules(let rules)? = values[key] { return rules }
            }
            return nil
        }
    }

    /// A setting's value in the file: one scalar, a list (only `backend_dirs` accepts one), or restart rules.
    enum Value: Sendable, Equatable {
        case scalar(String)
        case list([String])
        case rules([ConfiguredRule])
    }

    /// A value and a phrase naming where it came from, for messages.
    private struct Setting {
        var text: String
        var list: [String]?
        var source: String
    }

    /// Keys the file may hold, each with the environment variable that overrides it.
    static let variables: [String: String] = [
        "bind_address": "BIND_ADDRESS", "port": "PORT", "backend_command": "BACKEND_COMMAND",
        "backend_dirs": "BACKEND_DIRS", "backend_port": "BACKEND_PORT", "restart_regex": "RESTART_REGEX",
        "ignore_regex": "IGNORE_REGEX", "base_path": "BASE_PATH", "token": "FASTPUSH_TOKEN",
        "cf_api": "FASTPUSH_CF_API", "max_push_bytes": "FASTPUSH_MAX_PUSH_BYTES",
        "request_wait_seconds": "FASTPUSH_REQUEST_WAIT_SECONDS", "restart_on_crash": "FASTPUSH_RESTART_ON_CRASH",
        "grace_seconds": "FASTPUSH_GRACE_SECONDS", "command_timeout_seconds": "FASTPUSH_COMMAND_TIMEOUT_SECONDS",
        "header_timeout_seconds": "FASTPUSH_HEADER_TIMEOUT_SECONDS",
        "idle_timeout_seconds": "FASTPUSH_IDLE_TIMEOUT_SECONDS",
    ]

    /// The keys of a rules list (two names for one list; a file may use one of them), which exist in files only.
    static let ruleKeys = ["restart_rules", "rules"]

    let environment: [String: String]
    let file: ConfigFile?

    // MARK: Finding and parsing the file

    /// The first `cf-fastpush-controller.yml` in `directories`, parsed; `nil` when there is none.
    ///
    /// A directory without the file is skipped; a file that exists but cannot be read or parsed is an error,
    /// not skipped, so a typo in the file the operator meant to use is not silently replaced by defaults.
    static func findFile(in directories: [String]) throws(ControllerError) -> ConfigFile? {
        for directory in directories where !directory.isEmpty {
            let path =
                directory.hasSuffix("/")
                ? directory + ControllerConfig.fileName : directory + "/" + ControllerConfig.fileName
            let bytes: [UInt8]
            do throws(DeltaSyncError) {
                bytes = try FileTree.read(path)
            } catch {
                if error.errno == ENOENT || error.errno == ENOTDIR { continue }
                throw ControllerError(
                    .configuration, "cannot read the config file \(path): \(error.message); fix or remove it")
            }
            return try parse(bytes, path: path)
        }
        return nil
    }

    /// Parses a config file's bytes: YAML whose top level is a mapping of settings (or an empty document).
    ///
    /// - Parameter onlyKeys: When given, any other key is an error (for files that hold nothing else).
    static func parse(_ bytes: [UInt8], path: String, onlyKeys: [String]? = nil) throws(ControllerError) -> ConfigFile {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw ControllerError(.configuration, "the config file \(path) is not UTF-8 text; save it as UTF-8")
        }
        let root: YAMLNode?
        do throws(YAMLError) {
            root = try YAMLReader.document(bytes)
        } catch {
            throw ControllerError(.configuration, "the config file \(path) is not valid YAML: \(error)")
        }
        var values: [String: Value] = [:]
        guard let root else { return ConfigFile(path: path, values: values) }
        guard case .mapping(let mapping) = root.content else {
            throw ControllerError(
                .configuration,
                "the config file \(path) must be a mapping of settings, one `key: value` per line "
                    + "(such as `port: 9000`), not a \(root.kindName)")
        }
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.text else {
                throw ControllerError(
                    .configuration, "the config file \(path) has a \(keyNode.kindName) as a key; keys are names")
            }
            let name = key.lowercased()
            if let onlyKeys, !onlyKeys.contains(name) {
                throw ControllerError(
                    .configuration,
                    "\(path) has the key `\(name)`, but it may only hold "
                        + onlyKeys.map { "`\($0):`" }.joined(separator: " or ") + "; remove or rename the key")
            }
            if ruleKeys.contains(name) {
                guard values.keys.allSatisfy({ !ruleKeys.contains($0) }) else {
                    throw ControllerError(
                        .configuration, "\(path) has both `restart_rules` and `rules`, two names for one list; keep one")
                }
                if !valueNode.isNull {
                    values[name] = .rules(try RuleListParser.rules(from: valueNode, source: "`\(name)` in \(path)"))
                }
                continue
            }
            switch valueNode.content {
            case .scalar(let text, _):
                if !valueNode.isNull { values[name] = .scalar(text) }
            case .sequence(let sequence):
                var items: [String] = []
                for item in sequence {
                    guard let text = item.text else {
                        throw ControllerError(
                            .configuration, "`\(name)` in \(path) lists a \(item.kindName); list plain values only")
                    }
                    items.append(text)
                }
                values[name] = .list(items)
            case .mapping:
                throw ControllerError(
                    .configuration, "`\(name)` in \(path) is a \(valueNode.kindName); give it a single value")
            }
        }
        return ConfigFile(path: path, values: values)
    }

    // MARK: Reading the settings

    /// Defaults, overridden by the file, overridden by the environment.
    func load() throws(ControllerError) -> ControllerConfig {
        var config = ControllerConfig()
        config.configFile = file?.path
        if let file {
            for key in file.values.keys.sorted() where Self.variables[key] == nil && !Self.ruleKeys.contains(key) {
                config.warnings.append("\(file.path): unknown setting `\(key)` ignored")
            }
        }
        if let setting = try lookup("bind_address") { config.bindAddress = setting.text }
        if let setting = try lookup("port") { config.port = try Self.port(setting, allowZero: true) }
        if let setting = try lookup("backend_command") {
            guard !setting.text.allSatisfy(\.isWhitespace) else {
                throw ControllerError(.configuration, "\(setting.source) is blank; set the command that starts the app")
            }
            config.backendCommand = setting.text
        }
        if let setting = try lookup("backend_dirs", acceptsList: true) {
            config.backendDirectories = try Self.directories(setting)
        }
        if let setting = try lookup("backend_port") { config.backendPort = try Self.port(setting, allowZero: false) }
        let restart = try lookup("restart_regex")
        let ignore = try lookup("ignore_regex")
        config.legacyRegexIsSet = restart != nil || ignore != nil
        config.restartRules = file?.rules ?? []
        config.restartRule = try RestartRegex(
            restart: restart?.text ?? RestartRegex.legacyDefault, ignore: ignore?.text ?? "",
            restartSource: restart?.source ?? "the default restart_regex",
            ignoreSource: ignore?.source ?? "the default ignore_regex")
        if let setting = try lookup("base_path") { config.basePath = Self.basePath(setting.text) }
        config.token = try lookup("token")?.text
        config.cfAPI = try lookup("cf_api")?.text
        if let setting = try lookup("max_push_bytes") {
            guard let bytes = Int(Self.trimmed(setting.text)), bytes > 0 else {
                throw invalid(setting, "is not a byte count; set a whole number of bytes, such as 536870912")
            }
            config.maxPushBytes = bytes
        }
        if let setting = try lookup("request_wait_seconds") { config.requestWait = try Self.duration(setting) }
        if let setting = try lookup("restart_on_crash") { config.restartOnCrash = try Self.boolean(setting) }
        if let setting = try lookup("grace_seconds") { config.gracePeriod = try Self.duration(setting) }
        if let setting = try lookup("command_timeout_seconds") {
            let timeout = try Self.duration(setting)
            guard timeout > .zero else {
                throw invalid(setting, "would stop every command at once; set a number of seconds above 0, such as 300")
            }
            config.commandTimeout = timeout
        }
        for (key, keyPath) in [
            ("header_timeout_seconds", \ControllerConfig.headerTimeout), ("idle_timeout_seconds", \.idleTimeout),
        ] {
            guard let setting = try lookup(key) else { continue }
            let timeout = try Self.duration(setting)
            guard timeout > .zero else {
                throw invalid(setting, "would close every connection at once; set a number of seconds above 0, such as 30")
            }
            config[keyPath: keyPath] = timeout
        }
        return config
    }

    /// The setting for `key`: its environment variable when set and not empty, else the file's value, else `nil`.
    private func lookup(_ key: String, acceptsList: Bool = false) throws(ControllerError) -> Setting? {
        let variable = Self.variables[key] ?? key.uppercased()
        if let text = environment[variable], !text.isEmpty {
            return Setting(text: text, list: nil, source: "the environment variable \(variable)")
        }
        guard let file, let value = file.values[key] else { return nil }
        let source = "`\(key)` in \(file.path)"
        switch value {
        case .scalar(let text):
            return text.isEmpty ? nil : Setting(text: text, list: nil, source: source)
        case .list(let items):
            guard acceptsList else {
                throw ControllerError(.configuration, "\(source) is a list; give it a single value")
            }
            return Setting(text: items.joined(separator: " "), list: items, source: source)
        case .rules:
            throw ControllerError(.configuration, "\(source) is a rules list; give it a single value")
        }
    }

    private func invalid(_ setting: Setting, _ problem: String) -> ControllerError {
        ControllerError(.configuration, "\(setting.source) is \(RelativePath.quoted(setting.text)), which \(problem)")
    }

    private static func port(_ setting: Setting, allowZero: Bool) throws(ControllerError) -> Int {
        guard let port = Int(trimmed(setting.text)), port >= (allowZero ? 0 : 1), port <= 65535 else {
            throw ControllerError(
                .configuration,
                "\(setting.source) is \(RelativePath.quoted(setting.text)), which is not a port number; "
                    + "set it to a whole number from 1 to 65535")
        }
        return port
    }

    private static func duration(_ setting: Setting) throws(ControllerError) -> Duration {
        guard let seconds = Double(trimmed(setting.text)), seconds.isFinite, seconds >= 0, seconds < 1e9 else {
            throw ControllerError(
                .configuration,
                "\(setting.source) is \(RelativePath.quoted(setting.text)), which is not a number of seconds; "
                    + "set it to a number such as 10 or 2.5")
        }
        return .seconds(seconds)
    }

    private static func boolean(_ setting: Setting) throws(ControllerError) -> Bool {
        switch trimmed(setting.text).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            throw ControllerError(
                .configuration,
                "\(setting.source) is \(RelativePath.quoted(setting.text)), which is not true or false; "
                    + "set it to true or false")
        }
    }

    /// The backend directories, split on white space like the original, each normalized relative to the app.
    private static func directories(_ setting: Setting) throws(ControllerError) -> [String] {
        let entries = setting.list ?? setting.text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !entries.isEmpty else {
            throw ControllerError(.configuration, "\(setting.source) lists no directories; use ./ for the whole app")
        }
        var directories: [String] = []
        for entry in entries {
            do throws(DeltaSyncError) {
                let directory = try LegacyFileAPI.normalizeAppPath(entry)
                if !directories.contains(directory) { directories.append(directory) }
            } catch {
                throw ControllerError(
                    .configuration,
                    "\(setting.source) lists \(RelativePath.quoted(entry)), which is not a directory inside the app "
                        + "(\(error.message)); list directories relative to the app directory, such as ./ or src/")
            }
        }
        return directories
    }

    /// `base_path` with one leading '/' and no trailing '/', so `\(basePath)/files` is always a well-formed route.
    private static func basePath(_ text: String) -> String {
        var path = trimmed(text)
        while path.hasSuffix("/") { path.removeLast() }
        if !path.isEmpty && !path.hasPrefix("/") { path = "/" + path }
        return path
    }

    /// `text` without white space (Unicode's, newlines included) at either end.
    static func trimmed(_ text: String, newlines: Bool = true) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isWhitespace && (newlines || !Self.newlines.contains(scalar))
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    /// The characters Foundation's `CharacterSet.newlines` holds, which `trimmed(_:newlines: false)` keeps.
    private static let newlines: Set<Unicode.Scalar> = [
        "\n", "\u{0B}", "\u{0C}", "\r", "\u{85}", "\u{2028}", "\u{2029}",
    ]
}
