extension RestartDecision {
    /// Why the decision contains what it does, for one file: shown to the user so that a surprising
    /// restart or "needs a full cf push" can be traced to the rule (and so the file) that caused it.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        /// The changed file, relative to the app root.
        public let path: String
        /// The ``RestartRule/description`` of the rule that decided the file.
        public let rule: String
        /// What the file asks for (after ``RestartDecision/resolvingMissingTools(isAvailable:)``, a command
        /// whose tool is missing has become ``RestartAction/fullPush``).
        public let effect: RuleEffect
        /// The tool that the rule's command needed but the container lacks, if that is why the file needs a full push.
        public let missingTool: String?

        /// A reason for `path`, decided by `rule`, asking for `effect`.
        public init(path: String, rule: String, effect: RuleEffect, missingTool: String? = nil) {
            self.path = path
            self.rule = rule
            self.effect = effect
            self.missingTool = missingTool
        }

        /// `app.py: restart (rule "*.py")`, or
        /// `npm is not installed in the container: package.json only takes effect with a full cf push`.
        public var description: String {
            if let missingTool {
                return "\(missingTool) is not installed in the container: \(path) only takes effect with a full cf push"
            }
            return "\(path): \(effect) (rule \"\(rule)\")"
        }
    }
}
