import Glibc
import Testing
@testable import DeltaSync

@Suite("RestartRuleSet precedence and aggregation")
struct RuleSetTests {
    @Test("the first rule with an opinion decides a file, even when a later one asks for more")
    func firstMatchWinsPerFile() {
        let rules = RestartRuleSet([
            GlobRule("tests/**", effect: .noRestart),
            GlobRule("*.py", effect: .restart),
        ])
        let decision = rules.decide([PathChange("tests/test_app.py")])
        #expect(decision.action == .none)
        #expect(decision.reasons.map(\.rule) == ["tests/**"])

        let reversed = RestartRuleSet(rules.rules.reversed())
        #expect(reversed.decide([PathChange("tests/test_app.py")]).action == .restart)
    }

    @Test("across files the strongest action wins, whatever the order of the changes")
    func strongestActionAcrossFiles() {
        let rules = RestartRuleSet([
            GlobRule("Procfile", effect: .fullPush),
            GlobRule("*.py", effect: .restart),
            GlobRule("*.html", effect: .signal(SIGHUP)),
            GlobRule("*.css", effect: .noRestart),
        ])
        let changes = [PathChange("a.css"), PathChange("b.html"), PathChange("c.py")]
        #expect(rules.decide(changes).action == .restart)
        #expect(rules.decide(changes.reversed()).action == .restart)
        #expect(rules.decide([PathChange("a.css"), PathChange("b.html")]).action == .signal(SIGHUP))
        #expect(rules.decide(changes + [PathChange("Procfile", .deleted)]).action == .fullPush)
        #expect(rules.decide([PathChange("a.css")]).action == .none)
    }

    @Test("files no rule matches have no effect and no reason")
    func unmatchedFilesAreIgnored() {
        let rules = RestartRuleSet([GlobRule("*.py", effect: .restart)])
        let decision = rules.decide([PathChange("README.md"), PathChange("logo.png", .added)])
        #expect(decision == .nothing)
        #expect(decision.reasons.isEmpty && decision.commands.isEmpty)
    }

    @Test("each distinct command runs once, in first-seen order")
    func commandsDeduplicatedInOrder() {
        let rules = RestartRuleSet([
            GlobRule(["package.json", "yarn.lock"], effect: .run("yarn install", then: .restart)),
            GlobRule("requirements.txt", effect: .run("pip install -r requirements.txt", then: .restart)),
            GlobRule("*.scss", effect: .run("npm run css", then: .none)),
        ])
        let decision = rules.decide([
            PathChange("yarn.lock"), PathChange("main.scss"), PathChange("package.json"),
            PathChange("requirements.txt"), PathChange("other.scss"),
        ])
        #expect(decision.commands == ["yarn install", "npm run css", "pip install -r requirements.txt"])
        #expect(decision.action == .restart)
        #expect(decision.reasons.count == 5)
    }

    @Test("reasons name the file, the effect and the rule")
    func reasonsAreReadable() {
        let rules = RestartRuleSet([
            GlobRule("requirements.txt", effect: .run("pip install -r requirements.txt", then: .restart)),
            GlobRule("*.py", effect: .restart),
            GlobRule("*.php", effect: .noRestart),
            GlobRule("templates/", effect: .signal(SIGHUP)),
        ])
        let decision = rules.decide([
            PathChange("app.py"), PathChange("requirements.txt"), PathChange("index.php"),
            PathChange("templates/base.html"),
        ])
        #expect(decision.reasons.map(\.description) == [
            #"app.py: restart (rule "*.py")"#,
            #"requirements.txt: run "pip install -r requirements.txt", then restart (rule "requirements.txt")"#,
            #"index.php: no restart (rule "*.php")"#,
            #"templates/base.html: signal SIGHUP (rule "templates/")"#,
        ])
        #expect(decision.reasons[0].path == "app.py" && decision.reasons[0].rule == "*.py")
    }

    @Test("actions order weakest to strongest; two different signals combine to a restart")
    func actionOrder() {
        let ordered: [RestartAction] = [.none, .signal(SIGHUP), .restart, .fullPush]
        #expect(ordered.shuffled().sorted() == ordered)
        #expect(RestartAction.signal(SIGHUP).combined(with: .signal(SIGHUP)) == .signal(SIGHUP))
        #expect(RestartAction.signal(SIGHUP).combined(with: .signal(SIGUSR1)) == .restart)
        #expect(RestartAction.signal(SIGUSR1).combined(with: .fullPush) == .fullPush)
        #expect(RestartAction.none.combined(with: .signal(SIGUSR2)) == .signal(SIGUSR2))
    }
}
