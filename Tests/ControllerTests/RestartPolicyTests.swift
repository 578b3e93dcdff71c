import Foundation
import Glibc
import Testing

@testable import Controller
@testable import DeltaSync

/// The restart policy through the whole controller: rules from `.fastpush.yml`, the controller's YAML, the
/// legacy regex and the defaults; commands run for real; signals reach a real backend that reloads; answers as
/// clients read them.
@Suite(.serialized) struct RestartPolicyTests {
    typealias Harness = ControllerHarness

    /// A push from `local`, its answer as JSON (or the error text when it is not a 200).
    struct Pushed {
        var status: Int
        var text: String
        var json: [String: Any]

        var action: String? { json["action"] as? String }
        var restart: Bool? { json["restart"] as? Bool }
        var reasons: [String] { json["reasons"] as? [String] ?? [] }
        var commands: [[String: Any]] { json["commands"] as? [[String: Any]] ?? [] }
        func string(_ key: String) -> String? { json[key] as? String }
    }

    static func push(_ harness: Harness, from local: String, dryRun: Bool = false) async throws -> Pushed {
        let (status, body) = try await harness.push(from: local, dryRun: dryRun)
        let json = (try? harness.json(body)) ?? [:]
        guard status == 200 else {
            // Errors are {"error": {"message": ...}}: the text is the message.
            let message = (json["error"] as? [String: Any])?["message"] as? String
            return Pushed(status: status, text: message ?? String(decoding: body, as: UTF8.self), json: [:])
        }
        return Pushed(status: status, text: String(decoding: body, as: UTF8.self), json: json)
    }

    static func write(_ text: String, to path: String, mode: UInt32 = 0o644) throws {
        try FileTree.write(Array(text.utf8), to: path, mode: mode)
    }

    /// Rules as the controller's config file would give them.
    static func controllerRules(_ yaml: String) throws -> [ConfiguredRule] {
        try #require(try ConfigLoader.parse(Array(yaml.utf8), path: "test.yml").rules)
    }

    /// Options whose controller reads `yaml`'s `restart_rules`.
    static func options(
        files: [String: String] = [:], controllerRules yaml: String? = nil, commandTimeout: Duration? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Harness.Options {
        var options = Harness.Options()
        options.files = files
        options.environment = environment
        let rules = try yaml.map(controllerRules) ?? []
        options.configure = { config in
            config.restartRules = rules
            if let commandTimeout { config.commandTimeout = commandTimeout }
        }
        return options
    }

    /// Waits (up to 10 s) for `condition`, for effects that land shortly after an answer (a signal handler).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// Whether `pid` is a live process (a zombie waiting to be reaped counts as gone).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[close...].dropFirst(2).hasPrefix("Z")
    }

    // MARK: Signals

    @Test func aSignalRuleReloadsTheAppAndKeepsItsPid() async throws {
        let rules = "restart_rules:\n  - paths: \"templates/**\"\n    signal: HUP\n"
        let options = try Self.options(files: [".fastpush.yml": rules, "templates/index.html": "<h1>v1</h1>\n"])
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()
            #expect(try await harness.backendReloads() == 0)

            try Self.write("<h1>v2</h1>\n", to: local + "/templates/index.html")
            let pushed = try await Self.push(harness, from: local)
            #expect(pushed.status == 200, "\(pushed.text)")
            #expect(pushed.action == "signal")
            #expect(pushed.string("signal") == "SIGHUP")
            #expect(pushed.restart == false)
            #expect(pushed.reasons == ["templates/index.html (modified): templates/** -> signal SIGHUP"])
            #expect(pushed.string("rules") == ".fastpush.yml, then the defaults for a Python app")
            #expect(pushed.json["backendReady"] as? Bool == true)
            #expect(try await Self.eventually { try await harness.backendReloads() == 1 }, "the app handled SIGHUP")
            #expect(try await harness.backendPid() == pid, "a reload keeps the process")

            let status = try harness.json(try await harness.request("/_fastpush/v2/status").body)
            let lastPush = try #require(status["lastPush"] as? [String: Any])
            #expect(lastPush["action"] as? String == "signal")
            #expect(lastPush["restarted"] as? Bool == false)
            #expect((status["backend"] as? [String: Any])?["restarts"] as? Int == 0)
        }
    }

    // MARK: Commands

    /// The control token is the controller's: neither the app nor a rule's command gets it in its environment, and
    /// output that shows it anyway (the app found it elsewhere) reaches neither the log nor an answer.
    @Test func theControlTokenNeverReachesTheAppsEnvironmentOrItsOutput() async throws {
        let token = "secret-\(UInt32.random(in: 0...UInt32.max))"
        var environment = ProcessInfo.processInfo.environment
        environment["FASTPUSH_TOKEN"] = token
        environment["FASTPUSH_GRACE_SECONDS"] = "2"
        environment["SOMEWHERE_ELSE"] = "a copy: \(token)."
        let show = "#!/bin/sh\nenv | grep -c '^FASTPUSH_' || true\necho \"leaked $SOMEWHERE_ELSE\"\n"
        let options = try Self.options(
            files: ["show.sh": show, "requirements.txt": "flask==3.0\n"],
            controllerRules: "restart_rules:\n  - paths: /requirements.txt\n    run: ./show.sh\n", environment: environment)
        try await Harness.with(token: token, options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            try Self.write("flask==3.1\n", to: local + "/requirements.txt")
            let pushed = try await Self.push(harness, from: local)
            #expect(pushed.status == 200, "\(pushed.text)")
            let output = try #require(pushed.commands.first?["output"] as? [String])
            #expect(output.first == "0", "no FASTPUSH_ variable reached the command: \(output)")
            #expect(output.contains("leaked a copy: [PRIVATE DATA HIDDEN]."), "\(output)")
            #expect(!pushed.text.contains(token))
        }
    }

    @Test func aSucceedingInstallCommandRunsInTheAppWithTheAppsEnvironmentThenRestarts() async throws {
        let install = "#!/bin/sh\necho \"installing $(cat requirements.txt)\"\necho \"PORT=$PORT\"\npwd\n"
        let options = try Self.options(
            files: ["install.sh": install, "requirements.txt": "flask==3.0\n"],
            controllerRules: "restart_rules:\n  - paths: /requirements.txt\n    run: ./install.sh\n")
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()

            try Self.write("flask==3.1\n", to: local + "/requirements.txt")
            let pushed = try await Self.push(harness, from: local)
            #expect(pushed.status == 200, "\(pushed.text)")
            #expect(pushed.action == "restart")
            #expect(pushed.restart == true)
            #expect(pushed.string("restartSkipped") == nil)
            #expect(pushed.string("rules") == "the controller's restart_rules, then the defaults for a Python app")
            #expect(
                pushed.reasons == [
                    #"requirements.txt (modified): /requirements.txt -> run "./install.sh", then restart"#
                ])
            let command = try #require(pushed.commands.first)
            #expect(pushed.commands.count == 1)
            #expect(command["command"] as? String == "./install.sh")
            #expect(command["succeeded"] as? Bool == true)
            #expect(command["exitStatus"] as? String == "exit 0")
            #expect(command["seconds"] is Double)
            let output = command["output"] as? [String] ?? []
            #expect(output.contains("installing flask==3.1"), "the command saw the pushed file: \(output)")
            #expect(
                output.contains("PORT=\(harness.server.config.backendPort)"), "the backend's environment: \(output)")
            let appDirectory = try #require(realpath(harness.app, nil).map { String(cString: $0) })
            #expect(output.last == appDirectory, "it ran in the app directory: \(output)")
            #expect(pushed.json["backendReady"] as? Bool == true)
            #expect(try await harness.backendPid() != pid)
        }
    }

    @Test func aFailingInstallCommandKeepsTheFilesAndSkipsTheRestart() async throws {
        let install = """
            #!/bin/sh
            i=1
            while [ $i -le 50 ]; do echo "line $i"; i=$((i + 1)); done
            echo "ERROR: No matching distribution found for nothing==0" >&2
            exit 1
            """
        let rules = """
            restart_rules:
              - paths: /requirements.txt
                run: sh install.sh
                then: restart
              - paths: /vendor.txt
                run: touch "$MARKER"
            """
        let marker = NSTemporaryDirectory() + "fastpush-marker-\(UInt32.random(in: 0...UInt32.max))"
        var environment = ProcessInfo.processInfo.environment
        environment["MARKER"] = marker
        let options = try Self.options(
            files: ["install.sh": install, "requirements.txt": "flask\n", ".fastpush.yml": rules, "vendor.txt": "1\n"],
            environment: environment)
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()

            try Self.write("nothing==0\n", to: local + "/requirements.txt")
            try Self.write("2\n", to: local + "/vendor.txt")
            try Self.write("print('v2')\n", to: local + "/app.py")
            let pushed = try await Self.push(harness, from: local)
            #expect(pushed.status == 200, "\(pushed.text)")
            #expect(pushed.action == "restart")
            #expect(pushed.restart == false)
            let skipped = try #require(pushed.string("restartSkipped"))
            #expect(skipped.hasPrefix(#""sh install.sh" failed (exit 1)"#), "\(skipped)")
            #expect(skipped.contains("fix it and push again"))
            #expect(pushed.commands.count == 2)
            let failed = try #require(pushed.commands.first)
            #expect(failed["succeeded"] as? Bool == false)
            #expect(failed["exitStatus"] as? String == "exit 1")
            let output = failed["output"] as? [String] ?? []
            #expect(output.count == 40, "the last 40 lines: \(output)")
            #expect(output.contains("ERROR: No matching distribution found for nothing==0"))
            #expect(output.contains("line 50") && !output.contains("line 1"))
            let second = try #require(pushed.commands.last)
            #expect(second["succeeded"] as? Bool == false)
            #expect(second["exitStatus"] as? String == #"not run: "sh install.sh" failed first"#)
            #expect(!FileManager.default.fileExists(atPath: marker), "a command after a failed one does not run")
            // Every file is applied; the app keeps running the old code, unrestarted.
            #expect(try FileTree.read(harness.app + "/requirements.txt") == Array("nothing==0\n".utf8))
            #expect(try FileTree.read(harness.app + "/app.py") == Array("print('v2')\n".utf8))
            #expect(try await harness.backendPid() == pid)
        }
    }

    @Test func aCommandOverItsTimeLimitIsKilledWithItsWholeGroup() async throws {
        let slow = "#!/bin/sh\necho \"starting a long build\"\nsleep 60 &\necho $! > \"$SLEEPER\"\nwait\n"
        let sleeper = NSTemporaryDirectory() + "fastpush-sleeper-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileTree.removeRecursively(sleeper) }
        var environment = ProcessInfo.processInfo.environment
        environment["SLEEPER"] = sleeper
        let options = try Self.options(
            files: ["slow.sh": slow, "slow.txt": "1\n"],
            controllerRules: "restart_rules:\n  - paths: slow.txt\n    run: sh slow.sh\n    then: signal:HUP\n",
            commandTimeout: .milliseconds(700), environment: environment)
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()

            try Self.write("2\n", to: local + "/slow.txt")
            let pushed = try await Self.push(harness, from: local)
            #expect(pushed.status == 200, "\(pushed.text)")
            #expect(pushed.action == "signal")
            let command = try #require(pushed.commands.first)
            #expect(command["succeeded"] as? Bool == false)
            #expect(command["exitStatus"] as? String == "timed out after 0.7 s")
            #expect((command["output"] as? [String])?.contains("starting a long build") == true)
            #expect(
                pushed.string("restartSkipped")?.hasPrefix(
                    #""sh slow.sh" timed out after 0.7 s; the app was not sent SIGHUP"#) == true)
            // The background sleep was in the command's process group: it is gone too.
            let sleeperPid = try #require(
                pid_t(
                    String(decoding: try FileTree.read(sleeper), as: UTF8.self).trimmingCharacters(
                        in: .whitespacesAndNewlines)))
            #expect(try await Self.eventually { !Self.isAlive(sleeperPid) }, "the command's group was killed")
            #expect(try await harness.backendReloads() == 0)
            #expect(try await harness.backendPid() == pid)
            #expect(try FileTree.read(harness.app + "/slow.txt") == Array("2\n".utf8))
        }
    }

    // MARK: Where rules come from

    @Test func theAppsRulesComeFirstThenTheControllersThenTheDefaults() async throws {
        let appRules = "restart_rules:\n  - paths: app.py\n    signal: HUP\n"
        let controllerRules = """
            restart_rules:
              - paths: app.py
                action: full-push
              - paths: "*.py"
                action: none
            """
        let options = try Self.options(files: [".fastpush.yml": appRules], controllerRules: controllerRules)
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()

            try Self.write("print('v2')\n", to: local + "/app.py")
            try Self.write("x = 1\n", to: local + "/lib.py")
            let first = try await Self.push(harness, from: local)
            #expect(first.status == 200, "\(first.text)")
            #expect(
                Set(first.reasons) == [
                    "app.py (modified): app.py -> signal SIGHUP", "lib.py (added): *.py -> no restart",
                ])
            #expect(first.action == "signal")
            #expect(
                first.string("rules")
                    == ".fastpush.yml, then the controller's restart_rules, then the defaults for a Python app")

            // runtime.txt reaches the defaults, which say it needs a full cf push.
            try Self.write("python-3.12.4\n", to: local + "/runtime.txt")
            let second = try await Self.push(harness, from: local)
            #expect(second.status == 200, "\(second.text)")
            #expect(second.action == "full-push")
            #expect(second.restart == false)
            #expect(
                second.reasons == [
                    "runtime.txt (added): /runtime.txt /Procfile /manifest.yml /.buildpacks /apt.yml -> full cf push"
                ])
            let fullPush = try #require(second.string("fullPushNeeded"))
            #expect(fullPush.hasPrefix("runtime.txt only takes effect with a full `cf push`"), "\(fullPush)")
            #expect(fullPush.contains("the files were applied anyway and the app was not restarted"))
            #expect(try FileTree.read(harness.app + "/runtime.txt") == Array("python-3.12.4\n".utf8))
            #expect(try await harness.backendPid() == pid)
        }
    }

    @Test func aPushThatChangesTheRulesFileIsDecidedByTheNewRules() async throws {
        let options = try Self.options(files: [
            ".fastpush.yml": "restart_rules:\n  - paths: \"*.css\"\n    action: restart\n"
        ])
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()

            try Self.write("rules:\n  - paths: \"*.css\"\n    signal: HUP\n", to: local + "/.fastpush.yml")
            try Self.write("body { color: blue }\n", to: local + "/static/page.css")
            let changed = try await Self.push(harness, from: local)
            #expect(changed.status == 200, "\(changed.text)")
            #expect(changed.action == "signal", "the new rules decided, not the old restart rule")
            #expect(
                changed.reasons == [
                    ".fastpush.yml (modified): the app's restart rules changed; this push was decided by the new rules",
                    "static/page.css (modified): *.css -> signal SIGHUP",
                ])
            #expect(try await Self.eventually { try await harness.backendReloads() == 1 })
            #expect(try await harness.backendPid() == pid)

            // Without the file, the defaults decide again (a stylesheet needs nothing).
            try FileTree.removeRecursively(local + "/.fastpush.yml")
            try Self.write("body { color: green }\n", to: local + "/static/page.css")
            let removed = try await Self.push(harness, from: local)
            #expect(removed.status == 200, "\(removed.text)")
            #expect(removed.action == "none")
            #expect(removed.string("rules") == "the defaults for a Python app")
            #expect(
                removed.reasons.first?.hasPrefix(".fastpush.yml (deleted): the app's own restart rules are gone")
                    == true)
            #expect(removed.reasons.count == 1)
        }
    }

    @Test func anInvalidRulesFileIsRefusedBeforeAnythingIsWritten() async throws {
        try await Harness.with(options: Harness.Options()) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()
            let before = try ControllerServerTests.snapshot(harness.app)
            try Self.write("print('v2')\n", to: local + "/app.py")

            let cases: [(yaml: String, says: [String])] = [
                (
                    "restart_rules:\n  - paths: \"*.py\"\n    action: restart\n  - paths: \"*.css\"\n    action: reboot\n",
                    [
                        ".fastpush.yml", "rule 2 (line 4)", "\"reboot\"", "use none, restart or full-push",
                        "fix .fastpush.yml",
                    ]
                ),
                ("restart_rules:\n  - paths: \"*.py\"\n    signal: KILL\n", ["rule 1", "\"KILL\"", "HUP"]),
                ("restart_rules:\n  - action: restart\n", ["rule 1", "names no files", "paths:"]),
                ("restart_rules:\n  - paths: x\n    then: restart\n", ["rule 1", "then: without run:"]),
                (
                    "restart_rules:\n  - regex: \"(unclosed\"\n    action: restart\n",
                    ["rule 1", "not a valid regular expression"]
                ),
                (
                    "restart_rule:\n  - paths: x\n    action: none\n",
                    ["`restart_rule`", "may only hold `restart_rules:` or `rules:`"]
                ),
                ("restart_rules: [unclosed\n", [".fastpush.yml", "not valid YAML"]),
            ]
            for (yaml, says) in cases {
                try Self.write(yaml, to: local + "/.fastpush.yml")
                for dryRun in [false, true] {
                    let pushed = try await Self.push(harness, from: local, dryRun: dryRun)
                    #expect(pushed.status == 400, "\(yaml): \(pushed.text)")
                    for phrase in says { #expect(pushed.text.contains(phrase), "\(phrase) in \(pushed.text)") }
                }
            }
            #expect(try ControllerServerTests.snapshot(harness.app) == before, "nothing was written")
            #expect(try await harness.backendPid() == pid)

            // Fixed, the same push goes through.
            try Self.write("restart_rules:\n  - paths: \"*.py\"\n    action: none\n", to: local + "/.fastpush.yml")
            let fixed = try await Self.push(harness, from: local)
            #expect(fixed.status == 200, "\(fixed.text)")
            #expect(fixed.action == "none")
            #expect(try FileTree.read(harness.app + "/app.py") == Array("print('v2')\n".utf8))
        }
    }

    @Test func legacyRegexConfigsDecideAsBefore() async throws {
        let legacy = try ControllerConfig.load(
            environment: ["RESTART_REGEX": #"\.html$"#, "IGNORE_REGEX": "^static/partials/"], searchPaths: [])
        #expect(legacy.legacyRegexIsSet)
        var options = Harness.Options()
        options.configure = { config in
            config.restartRule = legacy.restartRule
            config.legacyRegexIsSet = legacy.legacyRegexIsSet
        }
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()
            try FileTree.makeDirectories(local + "/static/partials")

            // app.py would restart under the Python defaults; the configured regex does not name it.
            try Self.write("print('v2')\n", to: local + "/app.py")
            try Self.write("<nav/>\n", to: local + "/static/partials/nav.html")
            let ignored = try await Self.push(harness, from: local)
            #expect(ignored.status == 200, "\(ignored.text)")
            #expect(ignored.action == "none")
            #expect(ignored.restart == false)
            #expect(ignored.string("rules") == "the controller's restart_regex/ignore_regex")
            #expect(
                ignored.reasons == [
                    #"static/partials/nav.html (added): restart_regex "\.html$" unless ignore_regex "^static/partials/" -> no restart"#
                ])
            #expect(try await harness.backendPid() == pid)

            try Self.write("<h1/>\n", to: local + "/static/index.html")
            let matched = try await Self.push(harness, from: local)
            #expect(matched.action == "restart")
            #expect(matched.restart == true)
            #expect(try await harness.backendPid() != pid)

            // The original API keeps its exact answers under the same regex.
            let quiet = #"{"static/partials/footer.html":{"Content":"PGZvb3Rlci8+Cg=="}}"#
            let quietAnswer = try harness.json(
                try await harness.request("/_fastpush/files", method: .PUT, body: Array(quiet.utf8)).body)
            #expect(quietAnswer["Health"] as? String == "Updated 1 files without restart")
            let loud = #"{"static/about.html":{"Content":"PGgxLz4K"}}"#
            let loudAnswer = try harness.json(
                try await harness.request("/_fastpush/files", method: .PUT, body: Array(loud.utf8)).body)
            #expect(loudAnswer["Health"] as? String == "Restarting after updating 1 files")
        }
    }

    @Test func theLegacyDefaultRegexSetExplicitlyMeansPathsEndingInPy() async throws {
        let legacy = try ControllerConfig.load(environment: ["RESTART_REGEX": "^*.py$"], searchPaths: [])
        var options = Harness.Options()
        options.configure = { config in
            config.restartRule = legacy.restartRule
            config.legacyRegexIsSet = legacy.legacyRegexIsSet
        }
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            // The Python defaults would call runtime.txt a full push; the legacy regex has no opinion on it.
            try Self.write("bytecode", to: local + "/app.pyc")
            try Self.write("python-3.12.4\n", to: local + "/runtime.txt")
            let other = try await Self.push(harness, from: local)
            #expect(other.action == "none")
            #expect(other.reasons.isEmpty)
            try Self.write("x = 1\n", to: local + "/tool.py")
            let python = try await Self.push(harness, from: local)
            #expect(python.action == "restart")
            #expect(python.reasons == [#"tool.py (added): restart_regex "^*.py$" -> restart"#])
        }
    }

    // MARK: Defaults by kind

    @Test func nodeDefaultsInstallWithTheAppsToolsThenRestart() async throws {
        let tools = try FileTree.makeTemporaryDirectory(prefix: "fastpush-tools")
        defer { try? FileTree.removeRecursively(tools) }
        try Self.write("#!/bin/sh\necho \"added 1 package in $(pwd)\"\n", to: tools + "/npm", mode: 0o755)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = tools + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        var options = try Self.options(
            files: ["package.json": "{}\n", "index.js": "// v1\n"], environment: environment)
        options.pythonFilesInApp = false
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()

            try Self.write("{\"dependencies\": {\"left-pad\": \"1.3.0\"}}\n", to: local + "/package.json")
            let install = try await Self.push(harness, from: local)
            #expect(install.status == 200, "\(install.text)")
            #expect(install.string("rules") == "the defaults for a Node (npm) app")
            #expect(install.action == "restart")
            #expect(install.restart == true)
            let command = try #require(install.commands.first)
            #expect(command["command"] as? String == "npm install")
            #expect(command["succeeded"] as? Bool == true)
            #expect((command["output"] as? [String])?.first?.hasPrefix("added 1 package in /") == true)
            #expect(try await harness.backendPid() != pid)

            // yarn.lock makes it a yarn app; without yarn in the container that is a full push, said plainly.
            guard !RestartDecision.toolExists("yarn", searchPath: environment["PATH"]) else { return }
            try Self.write("# yarn lockfile v1\n", to: local + "/yarn.lock")
            let yarn = try await Self.push(harness, from: local)
            #expect(yarn.action == "full-push")
            #expect(
                yarn.reasons == [
                    "yarn is not installed in the container: yarn.lock only takes effect with a full cf push"
                ])
            #expect(yarn.commands.isEmpty)
            #expect(
                yarn.string("fullPushNeeded")?.contains("yarn.lock: yarn is not installed in the container") == true)
        }
    }

    @Test func phpAndStaticDefaultsNeverRestart() async throws {
        var php = try Self.options(files: ["index.php": "<?php echo 1;\n"])
        php.pythonFilesInApp = false
        try await Harness.with(options: php) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()
            try Self.write("<?php echo 2;\n", to: local + "/index.php")
            let pushed = try await Self.push(harness, from: local)
            #expect(pushed.string("rules") == "the defaults for a PHP app")
            #expect(pushed.action == "none")
            #expect(pushed.reasons == ["index.php (modified): *.php -> no restart"])
            #expect(try await harness.backendPid() == pid)
        }
        var site = Harness.Options()
        site.pythonFilesInApp = false
        try await Harness.with(options: site) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()
            try Self.write("body { color: blue }\n", to: local + "/static/page.css")
            let css = try await Self.push(harness, from: local)
            #expect(css.string("rules") == "the defaults for a static app")
            #expect(css.action == "none")
            #expect(css.reasons.isEmpty)
            #expect(
                String(decoding: try await harness.request("/page").body, as: UTF8.self) == "body { color: blue }\n")

            try Self.write("web: python3 server.py\n", to: local + "/Procfile")
            let procfile = try await Self.push(harness, from: local)
            #expect(procfile.action == "full-push")
            #expect(procfile.restart == false)
            #expect(
                procfile.string("fullPushNeeded")?.hasPrefix("Procfile only takes effect with a full `cf push`") == true
            )
            #expect(try await harness.backendPid() == pid)
        }
    }

    // MARK: Dry runs

    @Test func aDryRunAnswersTheSameDecisionAndRunsAndChangesNothing() async throws {
        let marker = NSTemporaryDirectory() + "fastpush-marker-\(UInt32.random(in: 0...UInt32.max))"
        var environment = ProcessInfo.processInfo.environment
        environment["MARKER"] = marker
        let options = try Self.options(
            files: ["requirements.txt": "flask\n"],
            controllerRules: "restart_rules:\n  - paths: /requirements.txt\n    run: touch \"$MARKER\"\n",
            environment: environment)
        try await Harness.with(options: options) { harness in
            let local = try harness.localCopy()
            defer { try? FileTree.removeRecursively(local) }
            let pid = try await harness.backendPid()
            let before = try ControllerServerTests.snapshot(harness.app)

            try Self.write("flask==3.1\n", to: local + "/requirements.txt")
            try Self.write("print('v2')\n", to: local + "/app.py")
            let dry = try await Self.push(harness, from: local, dryRun: true)
            #expect(dry.status == 200, "\(dry.text)")
            #expect(dry.json["dryRun"] as? Bool == true)
            #expect(dry.action == "restart")
            #expect(dry.restart == true)
            #expect(dry.commands.count == 1)
            #expect(dry.commands.first?["command"] as? String == #"touch "$MARKER""#)
            #expect(dry.commands.first?["succeeded"] as? Bool == true)
            #expect(dry.commands.first?["exitStatus"] as? String == "not run (dry run)")
            #expect((dry.commands.first?["output"] as? [String])?.isEmpty == true)
            #expect(!FileManager.default.fileExists(atPath: marker), "the command did not run")
            #expect(try ControllerServerTests.snapshot(harness.app) == before, "no file changed")
            #expect(try await harness.backendPid() == pid, "no restart")
            let status = try harness.json(try await harness.request("/_fastpush/v2/status").body)
            #expect(status["lastPush"] == nil, "a dry run is not a push")

            // The real push takes the decision the dry run announced.
            let real = try await Self.push(harness, from: local)
            defer { try? FileTree.removeRecursively(marker) }
            #expect(real.action == dry.action)
            #expect(real.reasons == dry.reasons)
            #expect(real.string("rules") == dry.string("rules"))
            #expect(real.commands.first?["exitStatus"] as? String == "exit 0")
            #expect(FileManager.default.fileExists(atPath: marker))
            #expect(try await harness.backendPid() != pid)
        }
    }
}
