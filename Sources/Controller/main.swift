import DeltaSync
import Glibc

// The controller runs inside the app container as its start command. This build carries its command
// line only; the HTTP server, reverse proxy and backend supervisor are not part of it yet, so it says so
// and fails rather than pretending to serve.
let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "--version" {
    print("cf-fastpush-controller \(FastPushVersion.current)")
} else {
    print("""
        cf-fastpush-controller \(FastPushVersion.current)
        This build has no sync server: it provides the DeltaSync engine and the `fastpush` command only.
        Usage: cf-fastpush-controller --version
        """)
    exit(arguments.isEmpty ? 1 : 2)
}
