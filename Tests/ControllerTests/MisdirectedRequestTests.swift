import Foundation
import NIOHTTP1
import Testing

@testable import Controller
@testable import DeltaSync

/// The controller on a real socket, knowing which instance it is: every control answer says so in
/// `X-Fastpush-Instance`, and a control request addressed (`X-Cf-App-Instance`) to another instance, or with an
/// address that is not `APP_GUID:INDEX`, is refused with a 421 before anything else happens, so a client whose
/// router ignored the field never takes this instance's answer for another's.
@Suite(.serialized) struct MisdirectedRequestTests {
    typealias Harness = ControllerHarness

    static let guid = InstanceIdentityTests.guid
    static let instance = "\(guid):0"

    /// Instance 0 of the app, as Cloud Foundry sets it (the GUID in upper case, to show answers lower-case it).
    static var options: Harness.Options {
        var options = Harness.Options()
        options.platformEnvironment = [
            "CF_INSTANCE_INDEX": "0",
            "VCAP_APPLICATION":
                #"{"application_id":"\#(guid.uppercased())","application_version":"v1","instance_index":0}"#,
        ]
        return options
    }

    /// A one-file push that creates `path`.
    static func push(_ path: String) -> [UInt8] {
        HostileHTTPTests.push(path, "pushed")
    }

    /// Expects a 421 whose JSON body (the shape of the controller's other errors) says `says`, from instance 0.
    static func expectRefused(
        _ response: (status: Int, body: [UInt8], headers: HTTPHeaders), says: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == 421, sourceLocation: sourceLocation)
        #expect(response.headers.first(name: "X-Fastpush-Instance") == instance, sourceLocation: sourceLocation)
        #expect(
            response.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true,
            sourceLocation: sourceLocation)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let message = try #require(
            (json["error"] as? [String: Any])?["message"] as? String, sourceLocation: sourceLocation)
        #expect(message.contains(says), "\(message)", sourceLocation: sourceLocation)
        #expect(message.hasPrefix("this is instance 0 of app \(guid); "), "\(message)", sourceLocation: sourceLocation)
    }

    @Test func everyControlAnswerSaysWhichInstanceGaveIt() async throws {
        try await Harness.with(options: Self.options) { harness in
            let stale = PushBundle(operations: [
                .file(
                    path: "app.py", expected: .file(FileDigest(of: Array("something else".utf8))), mode: 0o644,
                    delta: Delta.make(signature: Signature(bytes: []), bytes: Array("x".utf8)).delta)
            ]).encoded()
            let answers: [(name: String, status: Int, response: (status: Int, body: [UInt8], headers: HTTPHeaders))] = [
                ("v2 status", 200, try await harness.request("/_fastpush/v2/status")),
                ("v2 manifest", 200, try await harness.request("/_fastpush/v2/manifest")),
                (
                    "a stale push (an error a route throws)", 409,
                    try await harness.request("/_fastpush/v2/push", method: .POST, body: stale)
                ),
                ("the original API's status", 200, try await harness.request("/_fastpush/status")),
                ("the original API's file list", 200, try await harness.request("/_fastpush/files")),
                ("no token", 401, try await harness.request("/_fastpush/v2/status", token: .some(nil))),
                ("no such route", 404, try await harness.request("/_fastpush/v2/nothing")),
            ]
            for answer in answers {
                #expect(answer.response.status == answer.status, "\(answer.name)")
                #expect(answer.response.headers.first(name: "X-Fastpush-Instance") == Self.instance, "\(answer.name)")
            }
            let status = try harness.json(try await harness.request("/_fastpush/v2/status").body)
            #expect((status["container"] as? [String: Any])?["instanceIndex"] as? String == "0")
            // The app's own answers are the app's: never checked, and they say nothing about the instance.
            let proxied = try await harness.request(
                "/whoami", token: .some(nil), headers: [("X-Cf-App-Instance", "\(Self.guid):7")])
            #expect(proxied.status == 200)
            #expect(proxied.headers.first(name: "X-Fastpush-Instance") == nil)
        }
    }

    @Test func requestsAddressedToThisInstanceOrToNoneAreServed() async throws {
        try await Harness.with(options: Self.options) { harness in
            for (path, address) in [
                ("static/addressed.txt", Self.instance), ("static/upper.txt", "\(Self.guid.uppercased()):0"),
            ] {
                let push = try await harness.request(
                    "/_fastpush/v2/push", method: .POST, body: Self.push(path),
                    headers: [("X-Cf-App-Instance", address)])
                #expect(push.status == 200, "\(address): \(String(decoding: push.body, as: UTF8.self))")
                #expect(push.headers.first(name: "X-Fastpush-Instance") == Self.instance)
                #expect(try FileTree.read(harness.app + "/" + path) == Array("pushed".utf8))
            }
            let unaddressed = try await harness.request(
                "/_fastpush/v2/push", method: .POST, body: Self.push("static/plain.txt"))
            #expect(unaddressed.status == 200)
            #expect(try FileTree.read(harness.app + "/static/plain.txt") == Array("pushed".utf8))
        }
    }

    @Test func aPushAddressedToAnotherInstanceIsRefusedAndChangesNothing() async throws {
        try await Harness.with(options: Self.options) { harness in
            let before = try ControllerServerTests.snapshot(harness.app)
            let pid = try await harness.backendPid()
            let elsewhere = [("X-Cf-App-Instance", "\(Self.guid):1")]
            let push = try await harness.request(
                "/_fastpush/v2/push", method: .POST, body: Self.push("static/owned.txt"), headers: elsewhere)
            try Self.expectRefused(
                push,
                says:
                    "the request was addressed to instance 1: the router did not honour X-Cf-App-Instance (a route service in front of the app ignores it)"
            )
            // The body was not read: the connection ends with the answer.
            #expect(push.headers.first(name: "Connection")?.lowercased() == "close")
            // Refused before authentication: a wrong token does not change the answer.
            let wrongToken = try await harness.request(
                "/_fastpush/v2/push", method: .POST, body: Self.push("static/owned.txt"), token: "wrong",
                headers: elsewhere)
            try Self.expectRefused(wrongToken, says: "addressed to instance 1")
            // The other control routes too: an upload through the original API, a restart.
            let upload = #"{"static/page.css":{"Content":"b3duZWQK"}}"#
            try Self.expectRefused(
                try await harness.request(
                    "/_fastpush/files", method: .PUT, body: Array(upload.utf8), headers: elsewhere),
                says: "addressed to instance 1")
            try Self.expectRefused(
                try await harness.request("/_fastpush/restart", method: .POST, headers: elsewhere),
                says: "addressed to instance 1")
            #expect(try ControllerServerTests.snapshot(harness.app) == before)
            #expect(try await harness.backendPid() == pid)
            #expect(try await harness.request("/_fastpush/v2/status").status == 200)
        }
    }

    @Test func aRequestForAnotherAppIsRefused() async throws {
        try await Harness.with(options: Self.options) { harness in
            let before = try ControllerServerTests.snapshot(harness.app)
            let other = InstanceIdentityTests.otherGUID
            let push = try await harness.request(
                "/_fastpush/v2/push", method: .POST, body: Self.push("static/owned.txt"),
                headers: [("X-Cf-App-Instance", "\(other):0")])
            try Self.expectRefused(
                push, says: "the request was addressed to instance 0 of app \(other): the router did not honour")
            #expect(try ControllerServerTests.snapshot(harness.app) == before)
        }
    }

    @Test func aMalformedAddressIsRefused() async throws {
        try await Harness.with(options: Self.options) { harness in
            for malformed in [
                "1", Self.guid, "\(Self.guid):", "\(Self.guid):-1", "\(Self.guid):0:0", "\(Self.guid):zero",
            ] {
                let status = try await harness.request(
                    "/_fastpush/v2/status", headers: [("X-Cf-App-Instance", malformed)])
                try Self.expectRefused(status, says: "which is not APP_GUID:INDEX (such as \(Self.instance))")
                // Without a body there is nothing left to read: the connection may stay.
                #expect(status.headers.first(name: "Connection") == nil, "\(malformed)")
            }
            let twice = try await harness.request(
                "/_fastpush/v2/status",
                headers: [("X-Cf-App-Instance", Self.instance), ("X-Cf-App-Instance", "\(Self.guid):1")])
            try Self.expectRefused(twice, says: "names 2 instances")
            // A refusal without a body leaves the connection to the next request, which is served.
            let token = try #require(harness.token)
            try await RawConnection.with(port: harness.port) { connection in
                try await connection.write(
                    Array(
                        ("GET /_fastpush/v2/status HTTP/1.1\r\nHost: app.example\r\nx-auth-token: \(token)\r\nX-Cf-App-Instance: \(Self.guid):3\r\n\r\n"
                            + "GET /_fastpush/v2/status HTTP/1.1\r\nHost: app.example\r\nx-auth-token: \(token)\r\n\r\n")
                            .utf8))
                #expect(try await connection.readResponse().head.hasPrefix("HTTP/1.1 421 "))
                let served = try await connection.readResponse()
                #expect(served.head.hasPrefix("HTTP/1.1 200 "))
                #expect(served.head.contains("X-Fastpush-Instance: \(Self.instance)\r\n"))
            }
        }
    }

    @Test func aBodyWithNoEndForAnotherInstanceIsAnsweredAndTheConnectionEnds() async throws {
        try await Harness.with(options: Self.options) { harness in
            let before = try ControllerServerTests.snapshot(harness.app)
            let token = try #require(harness.token)
            let start =
                "POST /_fastpush/v2/push HTTP/1.1\r\nHost: app.example\r\nx-auth-token: \(token)\r\nX-Cf-App-Instance: \(Self.guid):1\r\n"
            let chunk = Array(("4000\r\n" + String(repeating: "x", count: 0x4000) + "\r\n").utf8)
            for (framing, body) in [
                ("Transfer-Encoding: chunked", chunk),
                ("Content-Length: 10000000000", Array(repeating: UInt8(ascii: "x"), count: 0x4000)),
            ] {
                let (answer, sent, after) = try await RawConnection.with(port: harness.port) { connection in
                    try await connection.write(Array((start + framing + "\r\n\r\n").utf8))
                    // The client keeps sending while it reads, as an upload does.
                    let sender = connection.sender
                    let sending = Task { await sender.sendRepeatedly(body) }
                    let answer = try await connection.readResponse()
                    let answered = ContinuousClock.now
                    let ended = try await connection.atEnd()
                    let after = ContinuousClock.now - answered
                    sending.cancel()
                    #expect(ended, "\(framing): the connection did not end after the answer")
                    return (answer, await sending.value, after)
                }
                #expect(answer.head.hasPrefix("HTTP/1.1 421 "), "\(framing): \(answer.head)")
                #expect(answer.head.lowercased().contains("connection: close\r\n"), "\(framing): \(answer.head)")
                #expect(answer.head.contains("X-Fastpush-Instance: \(Self.instance)\r\n"), "\(framing): \(answer.head)")
                #expect(String(decoding: answer.body, as: UTF8.self).contains("addressed to instance 1"))
                // At once, not when the controller stops reading the rest (RequestForwarder.lingerLimit, 10 s).
                #expect(after < .seconds(5), "\(framing): the connection ended \(after) after the answer")
                #expect(sent > 0, "\(framing)")
            }
            #expect(try ControllerServerTests.snapshot(harness.app) == before)
            try await HostileHTTPTests.expectStillServing(harness, unchanged: before)
        }
    }

    @Test func withoutAnIdentityNothingIsCheckedOrSaid() async throws {
        // The harness's default: VCAP_APPLICATION names the app but no instance, and CF_INSTANCE_INDEX is not set.
        try await Harness.with { harness in
            let status = try await harness.request(
                "/_fastpush/v2/status", headers: [("X-Cf-App-Instance", "\(Self.guid):5")])
            #expect(status.status == 200)
            #expect(status.headers.first(name: "X-Fastpush-Instance") == nil)
            let push = try await harness.request(
                "/_fastpush/v2/push", method: .POST, body: Self.push("static/anywhere.txt"),
                headers: [("X-Cf-App-Instance", "garbage")])
            #expect(push.status == 200)
            #expect(try FileTree.read(harness.app + "/static/anywhere.txt") == Array("pushed".utf8))
        }
    }
}
