/// The version of FastPush this engine belongs to; both executables report it.
public enum FastPushVersion {
    /// Semantic version.
    public static let current = "0.1.0"
}
