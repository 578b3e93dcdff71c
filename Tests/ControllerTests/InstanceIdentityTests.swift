import Testing

@testable import Controller

/// Which instance the controller is, from what Cloud Foundry sets (`CF_INSTANCE_INDEX`, `VCAP_APPLICATION`), and
/// which `X-Cf-App-Instance` values name it. The controller on a real socket is in MisdirectedRequestTests.
@Suite struct InstanceIdentityTests {
    static let guid = "6b4b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
    static let otherGUID = "9f1e5c2a-0b1c-4d2e-8f3a-4b5c6d7e8f90"

    /// A `VCAP_APPLICATION` as Cloud Foundry writes it, with `fields` among others the controller ignores.
    static func vcap(_ fields: String) -> String {
        #"{"application_name":"demo","space_name":"dev","limits":{"mem":256},"# + fields + "}"
    }

    /// The identity `environment` gives, and the warnings reading it gave.
    static func read(_ environment: [String: String]) -> (identity: InstanceIdentity?, warnings: [String]) {
        var warnings: [String] = []
        let identity = InstanceIdentity.read(from: environment) { warnings.append($0) }
        return (identity, warnings)
    }

    @Test func theIndexVariableAloneGivesTheIndexButNoGUID() {
        let (identity, warnings) = Self.read(["CF_INSTANCE_INDEX": "2"])
        #expect(identity == InstanceIdentity(applicationID: nil, index: 2))
        #expect(warnings.isEmpty)
        #expect(identity?.answerValue == "2")
        #expect(identity?.description == "instance 2 of app (unknown: VCAP_APPLICATION names none)")
    }

    @Test func vcapApplicationAloneGivesTheGUIDAndTheIndex() {
        let (identity, warnings) = Self.read([
            "VCAP_APPLICATION": Self.vcap(#""application_id":"\#(Self.guid.uppercased())","instance_index":1"#)
        ])
        // The GUID is lower-cased, as the router wants it in X-Cf-App-Instance.
        #expect(identity == InstanceIdentity(applicationID: Self.guid, index: 1))
        #expect(warnings.isEmpty)
        #expect(identity?.answerValue == "\(Self.guid):1")
        #expect(identity?.description == "instance 1 of app \(Self.guid)")
    }

    @Test func bothTogetherAndTheIndexVariableWinsWhenTheyDisagree() {
        let agreeing = Self.read([
            "CF_INSTANCE_INDEX": "3",
            "VCAP_APPLICATION": Self.vcap(#""application_id":"\#(Self.guid)","instance_index":3"#),
        ])
        #expect(agreeing.identity == InstanceIdentity(applicationID: Self.guid, index: 3))
        #expect(agreeing.warnings.isEmpty)
        let disagreeing = Self.read([
            "CF_INSTANCE_INDEX": "3",
            "VCAP_APPLICATION": Self.vcap(#""application_id":"\#(Self.guid)","instance_index":0"#),
        ])
        #expect(disagreeing.identity == InstanceIdentity(applicationID: Self.guid, index: 3))
        #expect(disagreeing.warnings.count == 1)
        #expect(disagreeing.warnings.first?.contains("disagree") == true, "\(disagreeing.warnings)")
    }

    @Test func offCloudFoundryThereIsNoIdentityAndNothingToSay() {
        for environment in [
            [:], ["CF_INSTANCE_INDEX": ""], ["VCAP_APPLICATION": ""],
            // A GUID alone does not say which instance this is (the test harness's default).
            ["VCAP_APPLICATION": Self.vcap(#""application_id":"\#(Self.guid)""#)],
        ] {
            let (identity, warnings) = Self.read(environment)
            #expect(identity == nil, "\(environment)")
            #expect(warnings.isEmpty, "\(environment): \(warnings)")
        }
    }

    @Test func malformedValuesAreWarningsNotFailures() {
        for text in ["{not json", "[0, 1]", "\"instance 0\""] {
            let (identity, warnings) = Self.read(["VCAP_APPLICATION": text])
            #expect(identity == nil, "\(text)")
            #expect(warnings.count == 1, "\(text): \(warnings)")
            #expect(warnings.first?.contains("VCAP_APPLICATION is not a JSON object") == true, "\(warnings)")
        }
        // The index variable still counts when VCAP_APPLICATION cannot be read.
        let indexOnly = Self.read(["VCAP_APPLICATION": "{not json", "CF_INSTANCE_INDEX": "1"])
        #expect(indexOnly.identity == InstanceIdentity(applicationID: nil, index: 1))
        #expect(indexOnly.warnings.count == 1)
        // An index that is not a number is ignored (with a warning), also when VCAP_APPLICATION has a good one.
        for text in ["one", "-1", "1.5", "0x1"] {
            let (identity, warnings) = Self.read(["CF_INSTANCE_INDEX": text])
            #expect(identity == nil, "\(text)")
            #expect(warnings.first?.contains("not an instance number") == true, "\(text): \(warnings)")
        }
        let fallback = Self.read([
            "CF_INSTANCE_INDEX": "one",
            "VCAP_APPLICATION": Self.vcap(#""application_id":"\#(Self.guid)","instance_index":4"#),
        ])
        #expect(fallback.identity == InstanceIdentity(applicationID: Self.guid, index: 4))
        // An instance_index that is not a whole number from 0 says nothing.
        for value in [#""4""#, "-4", "null"] {
            let (identity, _) = Self.read([
                "VCAP_APPLICATION": Self.vcap(#""application_id":"\#(Self.guid)","instance_index":\#(value)"#)
            ])
            #expect(identity == nil, "instance_index \(value)")
        }
    }

    @Test func instanceAddressesAreAGUIDAndAnIndex() {
        #expect(InstanceAddress("\(Self.guid):0") == InstanceAddress("\(Self.guid.uppercased()):0"))
        #expect(InstanceAddress("\(Self.guid):12")?.index == 12)
        #expect(InstanceAddress("\(Self.guid.uppercased()):1")?.applicationID == Self.guid)
        for malformed in [
            "", "0", Self.guid, "\(Self.guid):", ":1", "\(Self.guid):1:2", "\(Self.guid):-1", "\(Self.guid):+1",
            "\(Self.guid):one", "\(Self.guid): 1", "\(Self.guid)/1", "\(Self.guid):1, \(Self.guid):2",
            "\(Self.guid):99999999999999999999", "gu id:1", "guïd:1",
        ] {
            #expect(InstanceAddress(malformed) == nil, "\(malformed)")
        }
    }

    @Test func requestsForAnotherInstanceOrAppOrWithAMalformedAddressAreMisdirected() throws {
        let identity = InstanceIdentity(applicationID: Self.guid, index: 0)
        // Served: no address, or this instance's (the GUID in any case).
        #expect(identity.misdirection(addressedTo: []) == nil)
        #expect(identity.misdirection(addressedTo: ["\(Self.guid):0"]) == nil)
        #expect(identity.misdirection(addressedTo: ["\(Self.guid.uppercased()):0"]) == nil)

        let otherIndex = try #require(identity.misdirection(addressedTo: ["\(Self.guid):1"]))
        #expect(
            otherIndex
                == "this is instance 0 of app \(Self.guid); the request was addressed to instance 1: the router did not honour X-Cf-App-Instance (a route service in front of the app ignores it)"
        )
        let otherApp = try #require(identity.misdirection(addressedTo: ["\(Self.otherGUID):0"]))
        #expect(otherApp.contains("addressed to instance 0 of app \(Self.otherGUID):"), "\(otherApp)")
        let malformed = try #require(identity.misdirection(addressedTo: ["instance-1"]))
        #expect(malformed.contains(#"X-Cf-App-Instance is "instance-1", which is not APP_GUID:INDEX"#), "\(malformed)")
        #expect(malformed.contains("this is instance 0 of app \(Self.guid)"), "\(malformed)")
        let twice = try #require(identity.misdirection(addressedTo: ["\(Self.guid):0", "\(Self.guid):0"]))
        #expect(twice.contains("names 2 instances"), "\(twice)")

        // Without its own GUID, an instance can only compare the index.
        let indexOnly = InstanceIdentity(applicationID: nil, index: 0)
        #expect(indexOnly.misdirection(addressedTo: ["\(Self.otherGUID):0"]) == nil)
        #expect(indexOnly.misdirection(addressedTo: ["\(Self.otherGUID):1"]) != nil)
        #expect(indexOnly.misdirection(addressedTo: ["garbage"]) != nil)
    }
}
