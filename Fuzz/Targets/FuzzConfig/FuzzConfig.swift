@testable import Controller
import FuzzSupport

/// One input: any bytes as the operator's `cf-fastpush-controller.yml` (parsed, then turned into
/// settings with rules, regexes and durations checked) and as an app's `.fastpush.yml` (which travels with
/// pushes, so a developer's mistake or a hostile push reaches this parser). Each must give settings or a
/// configuration error, never crash.
func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    if let file = try? ConfigLoader.parse(bytes, path: "cf-fastpush-controller.yml") {
        _ = try? ConfigLoader(environment: [:], file: file).load()
    }
    _ = try? AppRulesFile.rules(in: bytes)
    return 0
}

@main enum FuzzConfigMain {
    static func main() { runFuzzer(fuzzConfig) }
}
