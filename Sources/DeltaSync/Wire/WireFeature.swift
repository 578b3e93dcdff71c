/// What a controller reads beyond the first version of the formats, named in its answers (the push answer's
/// `features`, the `X-Fastpush-Features` field of a tree difference) so that a client sends only what the
/// controller it talks to reads; docs/CONTROLLER.md lists them.
public enum WireFeature {
    /// Push bundles whose deltas share a dictionary (docs/FORMAT.md, "Push bundle").
    public static let sharedDictionary = "shared-dictionary"

    /// Everything this build reads.
    public static let all = [sharedDictionary]

    /// The answer field that names them, comma-separated.
    public static let field = "X-Fastpush-Features"
}
