import Testing

@testable import DeltaSync

@Suite struct DurationForPeopleTests {
    @Test func durationsAreRoundedForPeople() {
        #expect(Duration.nanoseconds(1_780_467).forPeople == "2 ms")
        #expect(Duration.zero.forPeople == "0 ms")
        #expect(Duration.milliseconds(254).forPeople == "254 ms")
        #expect(Duration.milliseconds(999).forPeople == "999 ms")
        #expect(Duration.milliseconds(2_349).forPeople == "2.3 s")
        #expect(Duration.milliseconds(59_960).forPeople == "60.0 s")
        #expect(Duration.seconds(245).forPeople == "4 min 05 s")
    }
}
