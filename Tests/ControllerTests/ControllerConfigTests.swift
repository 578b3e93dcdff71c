import DeltaSync
import Foundation
import Glibc
import Testing

@testable import Controller

/// Directories standing in for `/etc`, `$HOME/.config` and the working directory, removed when the test ends.
private final class ConfigDirectories {
    let root: String
    let etc: String
    let home: String
    let work: String

    init() throws {
        root = try FileTree.makeTemporaryDirectory(prefix: "fastpush-config")
        etc = root + "/etc"
        home = root + "/home/.config"
        work = root + "/work"
        for directory in [etc, home, work] { try FileTree.makeDirectories(directory) }
    }

    deinit { try? FileTree.removeRecursively(root) }

    var searchPaths: [String] { [etc, home, work] }

    func write(_ text: String, in directory: String) throws {
        try FileTree.write(Array(text.utf8), to: directory + "/" + ControllerConfig.fileName)
    }

    func load(_ environment: [String: String] = [:]) throws -> ControllerConfig {
        try ControllerConfig.load(environment: environment, searchPaths: searchPaths)
    }

    /// The configuration error `environment` and the files give, or a test failure when there is none.
    func loadError(_ environment: [String: String] = [:]) -> ControllerError? {
        do {
            _ = try load(environment)
            Issue.record("expected a configuration error")
            return nil
        } catch let error as ControllerError {
            #expect(error.code == .configuration)
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}

@Suite struct ControllerConfigTests {
    // MARK: Defaults and lookup

    @Test func defaultsWithoutFileOrEnvironment() throws {
        let directories = try ConfigDirectories()
        let config = try directories.load()
        #expect(config == ControllerConfig())
        #expect(config.configFile == nil)
        #expect(config.bindAddress == "0.0.0.0")
        #expect(config.port == 9000)
        #expect(config.backendCommand == "python -m http.server")
        #expect(config.backendDirectories == [""])
        #expect(config.backendPort == 8080)
        #expect(config.restartRule.restartPattern == "^*.py$")
        #expect(config.restartRule.ignorePattern == "")
        #expect(config.basePath == "/_fastpush")
        #expect(config.token == nil)
        #expect(config.cfAPI == nil)
        #expect(config.maxPushBytes == 512 * 1024 * 1024)
        #expect(config.requestWait == .seconds(30))
        #expect(config.restartOnCrash == false)
        #expect(config.gracePeriod == .seconds(10))
        #expect(config.warnings.isEmpty)
    }

    @Test func defaultSearchPathsAreEtcThenHomeConfigThenWorkingDirectory() {
        let cwd = FileManager.default.currentDirectoryPath
        #expect(
            ControllerConfig.defaultSearchPaths(environment: ["HOME": "/home/vcap"]) == [
                "/etc", "/home/vcap/.config", cwd,
            ])
        #expect(ControllerConfig.defaultSearchPaths(environment: [:]) == ["/etc", cwd])
    }

    @Test func firstFileFoundWinsAndIsNotMerged() throws {
        let directories = try ConfigDirectories()
        try directories.write("port: 7003\n", in: directories.work)
        #expect(try directories.load().port == 7003)
        #expect(try directories.load().configFile == directories.work + "/" + ControllerConfig.fileName)

        try directories.write("port: 7002\nbackend_port: 6002\n", in: directories.home)
        #expect(try directories.load().port == 7002)

        try directories.write("port: 7001\n", in: directories.etc)
        let config = try directories.load()
        #expect(config.port == 7001)
        #expect(config.configFile == directories.etc + "/" + ControllerConfig.fileName)
        // Only the first file is read: the backend_port in the second one does not apply.
        #expect(config.backendPort == 8080)
    }

    @Test func everySettingFromTheFile() throws {
        let directories = try ConfigDirectories()
        try directories.write(
            """
            bind_address: 127.0.0.1
            port: 9100
            backend_command: gunicorn app:app
            backend_dirs: ./ static/
            backend_port: "8181"
            restart_regex: \\.(py|html)$
            ignore_regex: ^tests/
            base_path: /_sync/
            token: s3cret
            cf_api: https://api.example.com
            max_push_bytes: 1048576
            request_wait_seconds: 2.5
            restart_on_crash: true
            grace_seconds: 3
            """, in: directories.work)
        let config = try directories.load()
        #expect(config.bindAddress == "127.0.0.1")
        #expect(config.port == 9100)
        #expect(config.backendCommand == "gunicorn app:app")
        #expect(config.backendDirectories == ["", "static"])
        #expect(config.backendPort == 8181)
        #expect(config.restartRule.restartPattern == #"\.(py|html)$"#)
        #expect(config.restartRule.ignorePattern == "^tests/")
        #expect(config.basePath == "/_sync")
        #expect(config.token == "s3cret")
        #expect(config.cfAPI == "https://api.example.com")
        #expect(config.maxPushBytes == 1_048_576)
        #expect(config.requestWait == .milliseconds(2500))
        #expect(config.restartOnCrash == true)
        #expect(config.gracePeriod == .seconds(3))
    }

    @Test func environmentWinsOverTheFile() throws {
        let directories = try ConfigDirectories()
        try directories.write(
            "port: 7001\nbackend_command: from-file\nrestart_regex: \\.rb$\ntoken: file-token\n", in: directories.etc)
        let config = try directories.load([
            "BIND_ADDRESS": "::1", "PORT": "61000", "BACKEND_COMMAND": "node server.js",
            "BACKEND_DIRS": "src/  lib", "BACKEND_PORT": "3000", "RESTART_REGEX": #"\.js$"#, "IGNORE_REGEX": "^test/",
            "BASE_PATH": "sync", "FASTPUSH_TOKEN": "env-token", "FASTPUSH_CF_API": "https://api.cf.example",
            "FASTPUSH_MAX_PUSH_BYTES": "4096", "FASTPUSH_REQUEST_WAIT_SECONDS": "0",
            "FASTPUSH_RESTART_ON_CRASH": "yes", "FASTPUSH_GRACE_SECONDS": "1",
        ])
        #expect(config.bindAddress == "::1")
        #expect(config.port == 61000)
        #expect(config.backendCommand == "node server.js")
        #expect(config.backendDirectories == ["src", "lib"])
        #expect(config.backendPort == 3000)
        #expect(config.restartRule.restartPattern == #"\.js$"#)
        #expect(config.restartRule.ignorePattern == "^test/")
        #expect(config.basePath == "/sync")
        #expect(config.token == "env-token")
        #expect(config.cfAPI == "https://api.cf.example")
        #expect(config.maxPushBytes == 4096)
        #expect(config.requestWait == .zero)
        #expect(config.restartOnCrash == true)
        #expect(config.gracePeriod == .seconds(1))
    }

    @Test func anEmptyVariableCountsAsUnset() throws {
        let directories = try ConfigDirectories()
        try directories.write("port: 7001\n", in: directories.work)
        let config = try directories.load(["PORT": "", "BACKEND_COMMAND": "", "FASTPUSH_TOKEN": ""])
        #expect(config.port == 7001)
        #expect(config.backendCommand == "python -m http.server")
        #expect(config.token == nil)
    }

    @Test func emptyFileAndNullValuesMeanDefaults() throws {
        let directories = try ConfigDirectories()
        try directories.write("# nothing set yet\n", in: directories.work)
        #expect(
            try directories.load()
                == {
                    var config = ControllerConfig()
                    config.configFile = directories.work + "/" + ControllerConfig.fileName
                    return config
                }())
        try directories.write("token:\nport: ~\n", in: directories.work)
        let config = try directories.load()
        #expect(config.token == nil)
        #expect(config.port == 9000)
    }

    @Test func backendDirectoriesAsAYAMLListAndNormalized() throws {
        let directories = try ConfigDirectories()
        try directories.write("backend_dirs:\n  - ./src/\n  - ./\n  - src\n", in: directories.work)
        #expect(try directories.load().backendDirectories == ["src", ""])
    }

    @Test func keysAreCaseInsensitiveAndUnknownKeysAreReported() throws {
        let directories = try ConfigDirectories()
        try directories.write("PORT: 9300\nrestart_regx: foo\n", in: directories.work)
        let config = try directories.load()
        #expect(config.port == 9300)
        #expect(config.warnings.count == 1)
        #expect(config.warnings.first?.contains("unknown setting `restart_regx`") == true)
    }

    // MARK: Errors

    @Test func malformedYAMLNamesTheFile() throws {
        let directories = try ConfigDirectories()
        try directories.write("port: [9000\nbackend_port: 1\n", in: directories.home)
        let error = try #require(directories.loadError())
        #expect(error.message.contains(directories.home + "/" + ControllerConfig.fileName))
        #expect(error.message.contains("not valid YAML"))
    }

    @Test func aFileThatIsNotAMappingIsRefused() throws {
        let directories = try ConfigDirectories()
        try directories.write("- port\n- 9000\n", in: directories.work)
        let error = try #require(directories.loadError())
        #expect(error.message.contains("must be a mapping of settings"))
        #expect(error.message.contains(directories.work))
    }

    @Test func nestedValuesAreRefused() throws {
        let directories = try ConfigDirectories()
        try directories.write("port:\n  number: 9000\n", in: directories.work)
        #expect(directories.loadError()?.message.contains("`port` in \(directories.work)") == true)
        try directories.write("port: [1, 2]\n", in: directories.work)
        #expect(directories.loadError()?.message.contains("is a list; give it a single value") == true)
    }

    @Test func nonNumericPortFromTheEnvironmentNamesTheVariableAndValue() throws {
        let directories = try ConfigDirectories()
        let error = try #require(directories.loadError(["PORT": "eighty"]))
        #expect(
            error.message
                == "the environment variable PORT is \"eighty\", which is not a port number; "
                + "set it to a whole number from 1 to 65535")
    }

    @Test func badPortInTheFileNamesTheFileAndKey() throws {
        let directories = try ConfigDirectories()
        try directories.write("backend_port: http\n", in: directories.etc)
        let error = try #require(directories.loadError())
        #expect(error.message.contains("`backend_port` in \(directories.etc)/\(ControllerConfig.fileName)"))
        #expect(error.message.contains("\"http\""))
        #expect(directories.loadError(["BACKEND_PORT": "70000"])?.message.contains("BACKEND_PORT") == true)
        #expect(directories.loadError(["BACKEND_PORT": "0"])?.message.contains("not a port number") == true)
    }

    @Test func otherMalformedValues() throws {
        let directories = try ConfigDirectories()
        #expect(
            directories.loadError(["FASTPUSH_RESTART_ON_CRASH": "maybe"])?.message.contains("true or false") == true)
        #expect(directories.loadError(["FASTPUSH_GRACE_SECONDS": "-1"])?.message.contains("seconds") == true)
        #expect(directories.loadError(["FASTPUSH_MAX_PUSH_BYTES": "1GB"])?.message.contains("byte count") == true)
        #expect(directories.loadError(["BACKEND_COMMAND": "   "])?.message.contains("blank") == true)
        #expect(directories.loadError(["BACKEND_DIRS": "/home/vcap/app"])?.message.contains("absolute") == true)
        #expect(directories.loadError(["BACKEND_DIRS": "../other"])?.message.contains("'..'") == true)
        #expect(directories.loadError(["BACKEND_DIRS": " \t "])?.message.contains("lists no directories") == true)
    }

    @Test func anInvalidRegexIsAConfigurationError() throws {
        let directories = try ConfigDirectories()
        let error = try #require(directories.loadError(["RESTART_REGEX": "(unclosed"]))
        #expect(error.message.hasPrefix("the environment variable RESTART_REGEX \"(unclosed\" is not a valid regular"))
        try directories.write("ignore_regex: \"[a-\"\n", in: directories.work)
        #expect(directories.loadError()?.message.contains("`ignore_regex` in \(directories.work)") == true)
    }

    // MARK: The restart rule

    @Test func theLegacyDefaultMeansPathsEndingInPy() throws {
        let rule = try ControllerConfig.load(environment: [:], searchPaths: []).restartRule
        #expect(rule.needsRestart(path: "app.py"))
        #expect(rule.needsRestart(path: "lib/models/user.py"))
        #expect(!rule.needsRestart(path: "static/style.css"))
        #expect(!rule.needsRestart(path: "app.pyc"))
        #expect(!rule.needsRestart(path: "py"))
        #expect(!rule.needsRestart(path: "app_py"))
    }

    @Test func aCustomRegexMatchesAnywhereInThePath() throws {
        let rule = try RestartRegex(restart: #"\.(py|html)$|^config/"#, ignore: "")
        #expect(rule.needsRestart(path: "app.py"))
        #expect(rule.needsRestart(path: "templates/index.html"))
        #expect(rule.needsRestart(path: "config/settings.yml"))
        #expect(!rule.needsRestart(path: "static/config/x.css"))
        #expect(!rule.needsRestart(path: "README.md"))
        let unanchored = try RestartRegex(restart: "models", ignore: "")
        #expect(unanchored.needsRestart(path: "app/models/user.rb"))
    }

    @Test func theIgnoreRegexWins() throws {
        let rule = try RestartRegex(restart: #"\.py$"#, ignore: "^tests/|_test\\.py$")
        #expect(rule.needsRestart(path: "app.py"))
        #expect(!rule.needsRestart(path: "tests/test_app.py"))
        #expect(!rule.needsRestart(path: "app_test.py"))
        let config = try ConfigDirectories().load(["IGNORE_REGEX": "^migrations/"])
        #expect(config.restartRule.needsRestart(path: "app.py"))
        #expect(!config.restartRule.needsRestart(path: "migrations/0001.py"))
    }

    @Test func anEmptyRestartRegexNeverRestarts() throws {
        let rule = try RestartRegex(restart: "", ignore: "")
        #expect(!rule.needsRestart(path: "app.py"))
    }

    @Test func classesAreASCIIOnlyAsInRE2() throws {
        let rule = try RestartRegex(restart: #"^v\d+\.py$"#, ignore: "")
        #expect(rule.needsRestart(path: "v12.py"))
        #expect(!rule.needsRestart(path: "v\u{0663}.py"))  // ARABIC-INDIC DIGIT THREE
    }

    // MARK: Restart rules

    @Test func restartRulesAreReadFromTheFileInOrder() throws {
        let directories = try ConfigDirectories()
        try directories.write(
            """
            port: 9100
            restart_rules:
              - paths: /requirements.txt
                run: pip install -r requirements.txt
              - paths: ["templates/**", "*.jinja"]
                signal: SIGUSR2
              - regex: '^migrations/'
                action: none
              - paths: "*.py"
                run: make assets
                then: signal:HUP
              - paths: /runtime.txt
                action: full-push
              - paths: "*.sock"
                signal: 28
            """, in: directories.work)
        let config = try directories.load()
        #expect(config.warnings.isEmpty, "restart_rules is a known key: \(config.warnings)")
        #expect(
            config.restartRules == [
                try ConfiguredRule(
                    paths: .globs(["/requirements.txt"]), effect: .run("pip install -r requirements.txt", then: .restart),
                    source: "test"),
                try ConfiguredRule(paths: .globs(["templates/**", "*.jinja"]), effect: .signal(SIGUSR2), source: "test"),
                try ConfiguredRule(paths: .regex("^migrations/"), effect: .noRestart, source: "test"),
                try ConfiguredRule(paths: .globs(["*.py"]), effect: .run("make assets", then: .signal(SIGHUP)), source: "test"),
                try ConfiguredRule(paths: .globs(["/runtime.txt"]), effect: .fullPush, source: "test"),
                try ConfiguredRule(paths: .globs(["*.sock"]), effect: .signal(SIGWINCH), source: "test"),
            ])
        // The rules decide as written: first rule per file, gitignore-style globs, unanchored regexes.
        let set = RestartRuleSet(config.restartRules)
        #expect(set.decidingRule(for: PathChange("templates/a/b.html"))?.effect == .signal(SIGUSR2))
        #expect(set.decidingRule(for: PathChange("migrations/0001.py"))?.effect == .noRestart)
        #expect(set.decidingRule(for: PathChange("app/views.py"))?.effect == .run("make assets", then: .signal(SIGHUP)))
        #expect(set.decidingRule(for: PathChange("lib/requirements.txt")) == nil, "anchored at the root")
        #expect(!config.legacyRegexIsSet)
    }

    @Test func rulesIsAnotherNameForTheList() throws {
        let directories = try ConfigDirectories()
        try directories.write("rules:\n  - paths: \"*.css\"\n    action: none\n", in: directories.work)
        #expect(try directories.load().restartRules.count == 1)
        try directories.write(
            "rules:\n  - paths: a\n    action: none\nrestart_rules:\n  - paths: b\n    action: none\n", in: directories.work)
        #expect(directories.loadError()?.message.contains("has both `restart_rules` and `rules`") == true)
    }

    @Test func badRulesNameTheFileTheRuleAndWhatToWrite() throws {
        let directories = try ConfigDirectories()
        let cases: [(rules: String, says: [String])] = [
            ("  - paths: a\n    action: reboot\n", ["rule 1 (line 2)", "\"reboot\"", "use none, restart or full-push"]),
            ("  - paths: a\n    action: none\n  - paths: b\n", ["rule 2 (line 4)", "does not say what to do"]),
            ("  - paths: a\n    regex: b\n    action: none\n", ["both paths: and regex:"]),
            ("  - paths: a\n    action: none\n    signal: HUP\n", ["has action: and signal:", "only one"]),
            ("  - paths: a\n    action: restart\n    then: none\n", ["then: without run:"]),
            ("  - paths: a\n    run: make\n    then: reboot\n", ["then: \"reboot\"", "signal:HUP"]),
            ("  - paths: a\n    signal: STOP\n", ["\"STOP\"", "HUP, INT, QUIT, TERM, USR1, USR2, WINCH"]),
            ("  - paths: a\n    signal: 99\n", ["\"99\"", "a number from 1 to 64"]),
            ("  - paths: []\n    action: none\n", ["empty paths: list"]),
            ("  - paths: a\n    run:\n", ["run: without a value"]),
            ("  - paths: a\n    action: none\n    when: always\n", ["unknown key `when`"]),
            ("  - regex: '[a-'\n    action: none\n", ["\"[a-\"", "not a valid regular expression"]),
            ("  - \"*.py\"\n", ["rule 1", "is not a rule"]),
        ]
        for (rules, says) in cases {
            try directories.write("restart_rules:\n" + rules, in: directories.work)
            let message = directories.loadError()?.message ?? ""
            #expect(message.hasPrefix("`restart_rules` in \(directories.work)/\(ControllerConfig.fileName), rule "), "\(message)")
            for phrase in says { #expect(message.contains(phrase), "\(phrase) in \(message)") }
        }
        try directories.write("restart_rules: \"*.py\"\n", in: directories.work)
        #expect(directories.loadError()?.message.contains("must be a list of rules") == true)
    }

    @Test func anAppRulesFileHoldsOnlyItsRules() throws {
        #expect(try AppRulesFile.rules(in: []) == [])
        #expect(try AppRulesFile.rules(in: Array("restart_rules: []\n".utf8)) == [])
        let rules = try AppRulesFile.rules(in: Array("restart_rules:\n  - paths: \"*.py\"\n    signal: HUP\n".utf8))
        #expect(rules == [try ConfiguredRule(paths: .globs(["*.py"]), effect: .signal(SIGHUP), source: "test")])
        #expect(rules.first?.description == "*.py")
        #expect(throws: ControllerError.self) { try AppRulesFile.rules(in: Array("port: 9000\n".utf8)) }
        do {
            _ = try AppRulesFile.rules(in: Array("restart_rules:\n  - paths: a\n".utf8))
            Issue.record("a rule without an action was accepted")
        } catch {
            #expect(error.message.hasPrefix("`restart_rules` in .fastpush.yml, rule 1 (line 2)"), "\(error.message)")
        }
    }

    @Test func theLegacyRegexDecidesOnlyWhenSet() throws {
        let directories = try ConfigDirectories()
        #expect(!(try directories.load().legacyRegexIsSet))
        #expect(try directories.load(["RESTART_REGEX": #"\.rb$"#]).legacyRegexIsSet)
        #expect(try directories.load(["IGNORE_REGEX": "^tmp/"]).legacyRegexIsSet)
        try directories.write("restart_regex: \"^*.py$\"\n", in: directories.etc)
        #expect(try directories.load().legacyRegexIsSet)

        // As a rule: ignored paths get "no restart" (so nothing later restarts them), matches restart, others pass.
        let rule = RegexRule(legacy: try RestartRegex(restart: #"\.py$"#, ignore: "^tests/"))
        #expect(rule.evaluate(PathChange("tests/test_app.py")) == .noRestart)
        #expect(rule.evaluate(PathChange("app.py", .deleted)) == .restart)
        #expect(rule.evaluate(PathChange("style.css")) == nil)
        #expect(rule.description == #"restart_regex "\.py$" unless ignore_regex "^tests/""#)
        let legacyDefault = RegexRule(legacy: try RestartRegex(restart: RestartRegex.legacyDefault, ignore: ""))
        #expect(legacyDefault.evaluate(PathChange("lib/models.py")) == .restart)
        #expect(legacyDefault.evaluate(PathChange("app.pyc")) == nil)
    }

    @Test func theCommandTimeoutIsASettingInSeconds() throws {
        let directories = try ConfigDirectories()
        #expect(try directories.load().commandTimeout == .seconds(300))
        #expect(try directories.load(["FASTPUSH_COMMAND_TIMEOUT_SECONDS": "2.5"]).commandTimeout == .seconds(2.5))
        try directories.write("command_timeout_seconds: 60\n", in: directories.work)
        #expect(try directories.load().commandTimeout == .seconds(60))
        let zero = directories.loadError(["FASTPUSH_COMMAND_TIMEOUT_SECONDS": "0"])
        #expect(zero?.message.contains("FASTPUSH_COMMAND_TIMEOUT_SECONDS") == true)
        #expect(directories.loadError(["FASTPUSH_COMMAND_TIMEOUT_SECONDS": "soon"])?.message.contains("not a number of seconds") == true)
    }

    @Test func theConnectionTimeoutsAreSettingsInSeconds() throws {
        let directories = try ConfigDirectories()
        let defaults = try directories.load()
        #expect(defaults.headerTimeout == .seconds(30))
        #expect(defaults.idleTimeout == .seconds(120))
        let set = try directories.load(["FASTPUSH_HEADER_TIMEOUT_SECONDS": "2.5", "FASTPUSH_IDLE_TIMEOUT_SECONDS": "7"])
        #expect(set.headerTimeout == .seconds(2.5))
        #expect(set.idleTimeout == .seconds(7))
        try directories.write("header_timeout_seconds: 10\nidle_timeout_seconds: 90\n", in: directories.work)
        #expect(try directories.load().headerTimeout == .seconds(10))
        #expect(try directories.load().idleTimeout == .seconds(90))
        let zero = directories.loadError(["FASTPUSH_IDLE_TIMEOUT_SECONDS": "0"])
        #expect(zero?.message.contains("FASTPUSH_IDLE_TIMEOUT_SECONDS") == true, "\(String(describing: zero))")
        #expect(zero?.message.contains("would close every connection at once") == true)
    }

    @Test func everyYAMLExampleInTheRestartPolicyDocParses() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let doc = try String(contentsOf: repository.appendingPathComponent("docs/RESTART-POLICY.md"), encoding: .utf8)
        let blocks = doc.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        #expect(blocks.count >= 4, "Python, Node, PHP and static site examples")
        for block in blocks {
            #expect(try !AppRulesFile.rules(in: Array(block.utf8)).isEmpty, "\(block)")
        }
    }
}

