/// The app's own restart rules: `.fastpush.yml` at the app root, which travels with pushes like any other file.
///
/// It holds one `restart_rules:` (or `rules:`) list in the syntax of ``RuleListParser``; other keys are refused,
/// so a misspelt key is an error the developer sees instead of rules that silently never apply.
enum AppRulesFile {
    /// The file's path, relative to the app root.
    static let path = ".fastpush.yml"

    /// The rules in the file's bytes; an empty file, or one whose list is empty, has none.
    ///
    /// - Throws: ``ControllerError/Code/configuration`` naming the file, the rule and what to fix.
    static func rules(in bytes: [UInt8]) throws(ControllerError) -> [ConfiguredRule] {
        let file = try ConfigLoader.parse(bytes, path: path, onlyKeys: ConfigLoader.ruleKeys)
        return file.rules ?? []
    }
}
