#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Every setting of the controller, with the defaults of the original cf-fastpush-controller.
///
/// Settings come from `cf-fastpush-controller.yml` (the first found in `/etc`, `$HOME/.config` and the working
/// directory) and from environment variables, which win over the file. An environment variable that is set but
/// empty counts as not set, as it did before. The legacy keys and variables are:
///
/// | file key          | variable          | default                 |
/// |-------------------|-------------------|-------------------------|
/// | `bind_address`    | `BIND_ADDRESS`    | `0.0.0.0`               |
/// | `port`            | `PORT`            | `9000`                  |
/// | `backend_command` | `BACKEND_COMMAND` | `python -m http.server` |
/// | `backend_dirs`    | `BACKEND_DIRS`    | `./` (space separated)  |
/// | `backend_port`    | `BACKEND_PORT`    | `8080`                  |
/// | `restart_regex`   | `RESTART_REGEX`   | `^*.py$` (see ``RestartRegex``) |
/// | `ignore_regex`    | `IGNORE_REGEX`    | empty                   |
/// | `base_path`       | `BASE_PATH`       | `/_fastpush`            |
///
/// and the settings this controller adds: `token` (`FASTPUSH_TOKEN`), `cf_api` (`FASTPUSH_CF_API`),
/// `max_push_bytes` (`FASTPUSH_MAX_PUSH_BYTES`, 512 MiB), `request_wait_seconds`
/// (`FASTPUSH_REQUEST_WAIT_SECONDS`, 30), `restart_on_crash` (`FASTPUSH_RESTART_ON_CRASH`, false) and
/// `grace_seconds` (`FASTPUSH_GRACE_SECONDS`, 10) and `command_timeout_seconds` (`FASTPUSH_COMMAND_TIMEOUT_SECONDS`,
/// 300), `header_timeout_seconds` (`FASTPUSH_HEADER_TIMEOUT_SECONDS`, 30) and `idle_timeout_seconds`
/// (`FASTPUSH_IDLE_TIMEOUT_SECONDS`, 120). The file may also hold a `restart_rules:` (or `rules:`) list, read by ``RuleListParser``.
///
/// In Cloud Foundry the platform sets `PORT`: it is the port the controller must listen on. The backend is
/// started with its own `PORT` set to ``backendPort``.
struct ControllerConfig: Sendable, Equatable {
    /// The config file's name in each search directory.
    static let fileName = "cf-fastpush-controller.yml"

    /// The address the controller listens on.
    var bindAddress = "0.0.0.0"
    /// The port the controller listens on (`PORT`); 0 lets the system choose one, which tests use.
    var port = 9000
    /// The command that starts the app, split on spaces (no shell).
    var backendCommand = "python -m http.server"
    /// The directories whose files the legacy API lists and accepts, relative to the app root and normalized
    /// ("" is the app root itself, from `./`); never absolute and never containing `..`.
    var backendDirectories = [""]
    /// The port the backend is told to listen on, through its `PORT` variable.
    var backendPort = 8080
    /// Which pushed paths restart the backend (`restart_regex` and `ignore_regex`, compiled). The original API
    /// always decides with it; v2 pushes only when ``legacyRegexIsSet``.
    var restartRule: RestartRegex
    /// Whether `restart_regex` or `ignore_regex` was set (file or environment): then v2 pushes ask the legacy
    /// regex where they would otherwise ask the defaults for the app's kind, so old configurations keep working.
    var legacyRegexIsSet = false
    /// The file's `restart_rules:`, asked after the app's `.fastpush.yml` and before the regex or the defaults.
    var restartRules: [ConfiguredRule] = []
    /// How long a rule's command may run before its process group is killed.
    var commandTimeout: Duration = .seconds(300)
    /// The path prefix of the sync API: starts with '/' and has no trailing '/' (or is empty).
    var basePath = "/_fastpush"
    /// The token control requests must present; `nil` falls back to the legacy rule
    /// (see `LegacyFileAPI.legacyToken(config:environment:)`).
    var token: String?
    /// The Cloud Controller API endpoint, for checking cf access tokens; `nil` when not configured.
    var cfAPI: String?
    /// The largest request body a push may have, in bytes.
    var maxPushBytes = 512 * 1024 * 1024
    /// How long a proxied request waits for a backend that is restarting before it fails.
    var requestWait: Duration = .seconds(30)
    /// Whether a backend that exits on its own is started again.
    var restartOnCrash = false
    /// How long the backend has to exit after SIGTERM before it gets SIGKILL.
    var gracePeriod: Duration = .seconds(10)
    /// How long a client has to send a request's head: from its connection's opening for the first request, from
    /// the first byte of the head for the next ones. Then it gets a 408 and the connection ends.
    var headerTimeout: Duration = .seconds(30)
    /// How long a kept-alive connection may wait for its next request with nothing arriving before it is closed.
    /// Longer than Cloud Foundry's router keeps idle connections to an app (90 s), so that the router never sends
    /// a request on a connection the controller is closing.
    var idleTimeout: Duration = .seconds(120)
    /// The config file the settings were read from; `nil` when none was found.
    var configFile: String?
    /// Things worth telling the operator that are not errors, such as unknown keys in the file.
    var warnings: [String] = []

    /// All defaults, as when there is no file and no variable is set.
    init() {
        // The default patterns are known to compile.
        // swift-format-ignore: NeverForceUnwrap
        restartRule = try! RestartRegex(restart: RestartRegex.legacyDefault, ignore: "")
    }

    /// The directories searched for ``fileName``, in order: `/etc`, `$HOME/.config` (when `HOME` is set) and the
    /// working directory.
    static func defaultSearchPaths(environment: [String: String]) -> [String] {
        var paths = ["/etc"]
        if let home = environment["HOME"], !home.isEmpty { paths.append(home + "/.config") }
        paths.append(FileManager.default.currentDirectoryPath)
        return paths
    }

    /// Reads the settings: defaults, then the first config file found in `searchPaths`, then `environment`.
    ///
    /// - Parameters:
    ///   - environment: The process environment (or a test's).
    ///   - searchPaths: Directories to look in for ``fileName``, first found wins; `nil` means
    ///     ``defaultSearchPaths(environment:)``.
    /// - Throws: ``ControllerError/Code/configuration`` naming the file or variable and the bad value: a file
    ///   that is not valid YAML or not a mapping, a port that is not a number, a regex that does not compile.
    static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment, searchPaths: [String]? = nil
    ) throws(ControllerError) -> ControllerConfig {
        let paths = searchPaths ?? defaultSearchPaths(environment: environment)
        let loader = ConfigLoader(environment: environment, file: try ConfigLoader.findFile(in: paths))
        return try loader.load()
    }
}
