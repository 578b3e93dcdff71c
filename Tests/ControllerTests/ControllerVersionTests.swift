import DeltaSync
import Testing

@testable import Controller

@Suite struct ControllerVersionTests {
    @Test func reportsTheEngineVersion() {
        #expect(!FastPushVersion.current.isEmpty)
    }
}
