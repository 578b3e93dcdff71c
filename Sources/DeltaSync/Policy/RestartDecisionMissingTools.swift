internal import Glibc

extension RestartDecision {
    /// The decision with every command whose tool is missing replaced by ``RestartAction/fullPush``.
    ///
    /// A command that cannot run would leave the app restarted on stale dependencies; a full `cf push`
    /// lets the buildpack install them instead. Each affected reason says which tool is missing.
    ///
    /// - Parameter isAvailable: Whether a tool (the first word of a command, e.g. `npm`) can be run; asked
    ///   once per tool. Defaults to ``toolExists(_:)``, a `PATH` lookup.
    public func resolvingMissingTools(isAvailable: (String) -> Bool = RestartDecision.toolExists) -> RestartDecision {
        var availability: [String: Bool] = [:]
        let resolved = reasons.map { reason -> Reason in
            guard let command = reason.effect.command, let tool = Self.tool(of: command) else { return reason }
            let available = availability[tool] ?? isAvailable(tool)
            availability[tool] = available
            guard !available else { return reason }
            return Reason(path: reason.path, rule: reason.rule, effect: .fullPush, missingTool: tool)
        }
        return RestartDecision(reasons: resolved)
    }

    /// Whether `name` is an executable file: the path itself when it contains a `/`, otherwise the first
    /// match in the `PATH` directories, as a shell would find it.
    public static func toolExists(_ name: String) -> Bool {
        toolExists(name, searchPath: getenv("PATH").map { String(cString: $0) })
    }

    /// Whether `name` is an executable file, searching `searchPath` (a `:`-separated list, where an empty
    /// entry means the current directory); nil stands for the shell's default `/usr/local/bin:/usr/bin:/bin`.
    public static func toolExists(_ name: String, searchPath: String?) -> Bool {
        guard !name.isEmpty else { return false }
        if name.contains("/") { return isExecutableFile(name) }
        let directories = (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false)
        return directories.contains { directory in
            isExecutableFile(directory.isEmpty ? name : "\(directory)/\(name)")
        }
    }

    /// The first word of `command`: the program a shell would run.
    static func tool(of command: String) -> String? {
        command.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
    }

    /// A regular file (after following links) that this process may execute.
    private static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
