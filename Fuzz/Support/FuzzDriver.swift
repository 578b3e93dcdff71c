internal import CLibFuzzer
import Glibc

/// Runs libFuzzer with the process's arguments, feeding every input to `body`, and exits with its status.
///
/// Each fuzz target is a SwiftPM executable whose `@main` calls this: SwiftPM makes the module's entry point the
/// program's `main`, so libFuzzer's own `main` never runs and its driver is called instead.
public func runFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, body))
}

/// The bytes of one input.
public func input(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}
