import Testing
@testable import DeltaSync

@Suite("GlobRule matching (the .cfignore engine)")
struct GlobRuleTests {
    @Test("an unanchored name matches at any depth; a leading / anchors it at the root")
    func anchoring() {
        let anywhere = GlobRule("Gemfile", effect: .restart)
        #expect(anywhere.matches("Gemfile"))
        #expect(anywhere.matches("vendor/gem/Gemfile"))

        let root = GlobRule("/Gemfile", effect: .restart)
        #expect(root.matches("Gemfile"))
        #expect(root.matches("./Gemfile"))
        #expect(!root.matches("vendor/gem/Gemfile"))

        let middle = GlobRule("config/*.yml", effect: .restart)
        #expect(middle.matches("config/app.yml"))
        #expect(!middle.matches("lib/config/app.yml"))
        #expect(!middle.matches("config/sub/app.yml"))
    }

    @Test("** spans directories")
    func doubleStar() {
        let leading = GlobRule("**/migrations/*.py", effect: .restart)
        #expect(leading.matches("migrations/0001.py"))
        #expect(leading.matches("apps/blog/migrations/0001.py"))
        #expect(!leading.matches("apps/blog/models.py"))

        let inner = GlobRule("src/**/*.ts", effect: .restart)
        #expect(inner.matches("src/index.ts"))
        #expect(inner.matches("src/a/b/c.ts"))
        #expect(!inner.matches("test/a.ts"))

        let trailing = GlobRule("assets/**", effect: .noRestart)
        #expect(trailing.matches("assets/css/site.css"))
        #expect(!trailing.matches("assets"))
    }

    @Test("a trailing / matches everything under the directory; ! excludes within the same rule, as in git")
    func directoriesAndNegation() {
        let directory = GlobRule("templates/", effect: .restart)
        #expect(directory.matches("templates/base.html"))
        #expect(directory.matches("app/templates/deep/x.html"))
        #expect(!directory.matches("templates"))

        let negated = GlobRule(["templates/**", "!*.md"], effect: .restart)
        #expect(negated.matches("templates/base.html"))
        #expect(!negated.matches("templates/README.md"))

        // Git's rule: once a directory matches, nothing below it can be excluded again.
        let sealed = GlobRule(["templates/", "!*.md"], effect: .restart)
        #expect(sealed.matches("templates/README.md"))
    }

    @Test("a rule with several patterns matches any; its description lists them")
    func severalPatterns() {
        let rule = GlobRule(["*.js", "*.mjs"], effect: .restart)
        #expect(rule.evaluate(PathChange("lib/a.mjs")) == .restart)
        #expect(rule.evaluate(PathChange("a.json")) == nil)
        #expect(rule.description == "*.js *.mjs")
    }

    @Test("deleted and mode-only changes are judged like edits")
    func kindsAreAllJudged() {
        let rule = GlobRule("*.rb", effect: .restart)
        for kind in PathChange.Kind.allCases {
            #expect(rule.evaluate(PathChange("app.rb", kind)) == .restart)
        }
    }
}
