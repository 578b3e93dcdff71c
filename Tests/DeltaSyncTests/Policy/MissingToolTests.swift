import Glibc
import Testing
@testable import DeltaSync

@Suite("Commands whose tool is missing")
struct MissingToolTests {
    @Test("a missing tool turns its command into a full push, with a reason per file")
    func missingToolNeedsFullPush() {
        let rules = RestartRuleSet.defaults(topLevelNames: ["package.json"])
        let decision = rules.decide([PathChange("package.json"), PathChange("server.js")])
        #expect(decision.commands == ["npm install"] && decision.action == .restart)

        var asked: [String] = []
        let resolved = decision.resolvingMissingTools { tool in
            asked.append(tool)
            return false
        }
        #expect(asked == ["npm"])
        #expect(resolved.action == .fullPush)
        #expect(resolved.commands.isEmpty)
        #expect(resolved.reasons.map(\.description) == [
            "npm is not installed in the container: package.json only takes effect with a full cf push",
            #"server.js: restart (rule "*.js *.mjs *.cjs *.ts")"#,
        ])
        #expect(resolved.reasons[0].missingTool == "npm")
    }

    @Test("available tools keep their commands; each tool is asked about once")
    func availableToolsAreKept() {
        let rules = RestartRuleSet([
            GlobRule("Gemfile", effect: .run("bundle install", then: .restart)),
            GlobRule("Gemfile.lock", effect: .run("bundle install --frozen", then: .restart)),
            GlobRule("requirements.txt", effect: .run("pip install -r requirements.txt", then: .restart)),
        ])
        let decision = rules.decide(["Gemfile", "Gemfile.lock", "requirements.txt"].map { PathChange($0) })
        var asked: [String] = []
        let resolved = decision.resolvingMissingTools { tool in
            asked.append(tool)
            return tool == "bundle"
        }
        #expect(asked == ["bundle", "pip"])
        #expect(resolved.commands == ["bundle install", "bundle install --frozen"])
        #expect(resolved.action == .fullPush)
        #expect(resolved.reasons.compactMap(\.missingTool) == ["pip"])

        let allThere = decision.resolvingMissingTools { _ in true }
        #expect(allThere == decision)
    }

    @Test("toolExists searches PATH for an executable regular file")
    func pathLookup() {
        #expect(RestartDecision.toolExists("sh", searchPath: "/nonexistent:/bin:/usr/bin"))
        #expect(!RestartDecision.toolExists("sh", searchPath: "/nonexistent"))
        #expect(!RestartDecision.toolExists("definitely-not-a-tool-\(getpid())"))
        #expect(RestartDecision.toolExists("/bin/sh", searchPath: ""))
        // A directory or a non-executable file is not a tool.
        #expect(!RestartDecision.toolExists("bin", searchPath: "/"))
        #expect(!RestartDecision.toolExists("passwd", searchPath: "/etc"))
        #expect(RestartDecision.tool(of: "  pip install -r requirements.txt") == "pip")
    }
}
