/// One node of a YAML document, as the config files need it: a scalar's text, a list or a mapping, and the
/// line it starts on for messages. Tags are not kept: every setting is read from its text.
///
/// Read by ``YAMLReader``; aliases are already replaced by the node their anchor names.
struct YAMLNode: Sendable {
    /// What the node holds.
    enum Content: Sendable {
        /// A scalar's text; `plain` when it was written without quotes or block indicators, which is the only
        /// way to write null.
        case scalar(String, plain: Bool)
        /// A list's items, in order.
        case sequence([YAMLNode])
        /// A mapping's pairs in the order written (keys are unique).
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    /// What the node holds.
    var content: Content
    /// The line the node starts on, from 1.
    var line: Int

    /// The scalar's text; `nil` for a list or a mapping.
    var text: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// Whether this is YAML's null (a plain `~`, `null`, `Null`, `NULL` or nothing at all), which the config
    /// files read as "not set". A quoted `'null'` or `""` is text, as in YAML's core schema.
    var isNull: Bool {
        guard case .scalar(let text, plain: true) = content else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// "single value", "list" or "mapping", for messages.
    var kindName: String {
        switch content {
        case .scalar: "single value"
        case .sequence: "list"
        case .mapping: "mapping"
        }
    }
}
