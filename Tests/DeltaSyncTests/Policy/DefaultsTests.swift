import Glibc
import Testing
@testable import DeltaSync

@Suite("Default rules per app kind")
struct DefaultsTests {
    private func decide(_ names: [String], _ paths: String...) -> RestartDecision {
        RestartRuleSet.defaults(topLevelNames: names).decide(paths.map { PathChange($0) })
    }

    @Test("detection follows Cloud Foundry's buildpack order")
    func detection() {
        #expect(AppKind(topLevelNames: ["requirements.txt"]) == .python)
        #expect(AppKind(topLevelNames: ["Pipfile"]) == .python)
        #expect(AppKind(topLevelNames: ["pyproject.toml"]) == .python)
        #expect(AppKind(topLevelNames: ["main.py"]) == .python)
        #expect(AppKind(topLevelNames: ["package.json", "index.js"]) == .node(.npm))
        #expect(AppKind(topLevelNames: ["package.json", "yarn.lock"]) == .node(.yarn))
        #expect(AppKind(topLevelNames: ["Gemfile", "package.json", "app.py"]) == .ruby)
        #expect(AppKind(topLevelNames: ["package.json", "build.py"]) == .node(.npm))
        #expect(AppKind(topLevelNames: ["composer.json"]) == .php)
        #expect(AppKind(topLevelNames: ["index.php"]) == .php)
        #expect(AppKind(topLevelNames: ["index.html", "style.css"]) == .staticFiles)
        #expect(AppKind(topLevelNames: []) == .staticFiles)
    }

    @Test("Python: requirements.txt installs then restarts; *.py restarts")
    func python() {
        let names = ["requirements.txt", "app.py"]
        let install = decide(names, "requirements.txt")
        #expect(install.commands == ["pip install -r requirements.txt"])
        #expect(install.action == .restart)
        let code = decide(names, "pkg/views.py")
        #expect(code.commands.isEmpty && code.action == .restart)
        #expect(decide(names, "static/site.css") == .nothing)
    }

    @Test("Node with npm: every manifest runs npm install once, then restart; scripts restart")
    func nodeNpm() {
        let names = ["package.json", "package-lock.json", "server.js"]
        let install = decide(names, "package.json", "package-lock.json", "npm-shrinkwrap.json")
        #expect(install.commands == ["npm install"])
        #expect(install.action == .restart)
        for script in ["server.js", "lib/a.mjs", "lib/b.cjs", "src/c.ts"] {
            #expect(decide(names, script).action == .restart, "\(script)")
        }
        // Only the root manifest: a vendored package's manifest does not trigger an install.
        #expect(decide(names, "vendor/lib/package.json") == .nothing)
    }

    @Test("Node with yarn: yarn.lock switches the install command to yarn install")
    func nodeYarn() {
        let decision = decide(["package.json", "yarn.lock"], "yarn.lock", "package.json")
        #expect(decision.commands == ["yarn install"])
        #expect(decision.action == .restart)
    }

    @Test("Ruby: Gemfile and Gemfile.lock run bundle install then restart; *.rb restarts")
    func ruby() {
        let names = ["Gemfile", "config.ru"]
        let install = decide(names, "Gemfile.lock", "Gemfile")
        #expect(install.commands == ["bundle install"])
        #expect(install.action == .restart)
        #expect(decide(names, "app/models/user.rb").action == .restart)
    }

    @Test("PHP: scripts need nothing")
    func php() {
        let decision = decide(["index.php"], "index.php", "lib/db.php")
        #expect(decision.action == .none)
        #expect(decision.reasons.count == 2)
    }

    @Test("static: nothing restarts")
    func staticFiles() {
        let decision = decide(["index.html"], "index.html", "app.js", "x.py")
        #expect(decision == .nothing)
    }

    @Test("runtime.txt, Procfile, manifest.yml, .buildpacks and apt.yml need a full push, for every kind")
    func fullPushFiles() {
        let apps: [[String]] = [["app.py"], ["package.json"], ["package.json", "yarn.lock"], ["Gemfile"], ["index.php"], []]
        for names in apps {
            for file in ["runtime.txt", "Procfile", "manifest.yml", ".buildpacks", "apt.yml"] {
                let decision = decide(names, "index.js", file)
                #expect(decision.action == .fullPush, "\(file) in \(names)")
                #expect(decision.reasons.last?.description.hasPrefix("\(file): full cf push (rule ") == true)
            }
        }
    }

    @Test("defaults(forAppAt:) lists the directory; a missing one is a readable error")
    func fromDirectory() throws {
        let root = "/tmp/policytests-\(getpid())"
        mkdir(root, 0o755)
        defer {
            unlink(root + "/Gemfile")
            rmdir(root)
        }
        let fd = open(root + "/Gemfile", O_CREAT | O_WRONLY, 0o644)
        close(fd)
        let rules = try RestartRuleSet.defaults(forAppAt: root)
        #expect(rules.decide([PathChange("Gemfile")]).commands == ["bundle install"])

        #expect(throws: DeltaSyncError.self) { try RestartRuleSet.defaults(forAppAt: root + "/missing") }
    }
}
