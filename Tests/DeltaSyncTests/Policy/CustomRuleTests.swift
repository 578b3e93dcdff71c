import Glibc
import Testing
@testable import DeltaSync

/// Templates are re-read on SIGHUP, but deleting one should restart (cached references would break).
struct TemplateReloadRule: RestartRule {
    func evaluate(_ change: PathChange) -> RuleEffect? {
        guard change.path.hasPrefix("templates/") else { return nil }
        return change.kind == .deleted ? .restart : .signal(SIGHUP)
    }

    var description: String { "templates reload" }
}

@Suite("Rules defined outside the library")
struct CustomRuleTests {
    @Test("a custom rule takes part in ordering, aggregation and reasons")
    func customRule() {
        var rules = RestartRuleSet.defaults(topLevelNames: ["app.py"])
        rules.rules.insert(TemplateReloadRule(), at: 0)

        let reload = rules.decide([PathChange("templates/index.html")])
        #expect(reload.action == .signal(SIGHUP))
        #expect(reload.reasons.map(\.description) == [#"templates/index.html: signal SIGHUP (rule "templates reload")"#])

        // The custom rule comes first, so it decides a .py file under templates/ too.
        #expect(rules.decide([PathChange("templates/macros.py")]).action == .signal(SIGHUP))
        #expect(rules.decide([PathChange("templates/old.html", .deleted)]).action == .restart)
        #expect(rules.decide([PathChange("templates/a.html"), PathChange("app.py")]).action == .restart)
        #expect(rules.decide([PathChange("static/a.css")]) == .nothing)
    }
}
