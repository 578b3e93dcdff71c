/// A client's word on restarting, over the rules: `--restart` (restart even if no rule asks; a reload becomes a
/// restart) or `--no-restart` (neither restart nor signal). A full push stays a full push either way: the files
/// cannot take effect without one.
enum RestartOverride: String, Sendable {
    case always, never
}
