import Foundation
import Testing

@testable import GobRPC

/// Every kind of value survives encode then decode, on a stream that carries several messages.
@Suite struct GobRoundTripTests {
    static let point = GobType.structure(name: "Point", fields: [GobStructField("X", .int), GobStructField("Y", .int)])
    static let everything = GobType.structure(
        name: "Everything",
        fields: [
            GobStructField("B", .bool), GobStructField("I", .int), GobStructField("U", .uint), GobStructField("F", .float),
            GobStructField("C", .complex), GobStructField("Bytes", .bytes), GobStructField("S", .string),
            GobStructField("Any", .interface), GobStructField("Arr", .array(name: "", elem: .int, count: 3)),
            GobStructField("Slice", .slice(name: "[]string", elem: .string)),
            GobStructField("Map", .map(name: "map[string]int", key: .string, elem: .int)),
            GobStructField("Nested", point), GobStructField("Points", .slice(name: "[]main.Point", elem: point)),
            GobStructField("When", .time), GobStructField("Grid", .slice(name: "", elem: .slice(name: "", elem: .float))),
            GobStructField("Text", .external(name: "Text", kind: .textMarshaler)),
        ])

    static let environment = GobType.map(name: "", key: .string, elem: .interface)

    static let samples: [(GobValue, GobType)] = [
        (.bool(false), .bool), (.bool(true), .bool), (.int(0), .int), (.int(Int64.min), .int), (.uint(UInt64.max), .uint),
        (.float(-2.5), .float), (.complex(real: 1, imaginary: -1), .complex), (.bytes([]), .bytes),
        (.bytes([0, 255, 7]), .bytes), (.string(""), .string), (.string("héllo ✓"), .string),
        (.interface(nil), .interface), (.interface(.string("x")), .interface),
        (.list([.int(1), .int(0), .int(-1)]), .array(name: "", elem: .int, count: 3)),
        (.list([]), .slice(name: "", elem: .string)), (.list([.string(""), .string("a")]), .slice(name: "", elem: .string)),
        (.map([GobMapEntry(key: .int(1), value: .string("one"))]), .map(name: "", key: .int, elem: .string)),
        (.structure([:]), point), (.structure(["X": .int(3)]), point),
        (.encoded(GobTime(secondsSinceYear1: 5, nanoseconds: 6).marshaled), .time),
        (
            .structure([
                "B": .bool(true), "I": .int(-7), "U": .uint(9), "F": .float(0.25), "C": .complex(real: 0, imaginary: 2),
                "Bytes": .bytes([1]), "S": .string("s"), "Any": .interface(.float64(1.5)),
                "Arr": .list([.int(0), .int(0), .int(0)]), "Slice": .list([.string("a"), .string("")]),
                "Map": .map([GobMapEntry(key: .string("k"), value: .int(0))]), "Nested": .structure([:]),
                "Points": .list([.structure(["Y": .int(2)]), .structure([:])]),
                "When": .encoded(GobTime(Date(timeIntervalSince1970: 0)).marshaled),
                "Grid": .list([.list([.float(1)]), .list([])]), "Text": .encoded(Array("hi".utf8)),
            ]), everything
        ),
        (
            .map([
                GobMapEntry(key: .string("nested"), value: .interface(GobInterface(
                    name: "map[string]interface {}", type: environment,
                    value: .map([GobMapEntry(key: .string("list"), value: .interface(GobInterface(
                        name: "[]interface {}", type: .slice(name: "", elem: .interface),
                        value: .list([.interface(.int(1)), .interface(nil), .interface(GobInterface(name: "main.Point", type: point, value: .structure(["X": .int(4)])))])
                    )))])
                ))),
                GobMapEntry(key: .string("nil"), value: .interface(nil)),
            ]), environment
        ),
    ]

    @Test func everyKindRoundTrips() throws {
        var encoder = GobEncoder(registry: GobTypeRegistry())
        var stream: [UInt8] = []
        for (value, type) in Self.samples { stream += try encoder.encode(value, as: type) }
        var decoder = GobDecoder()
        let decoded = try decoder.decodeAll(stream)
        #expect(decoded.count == Self.samples.count)
        for (message, sample) in zip(decoded, Self.samples) {
            // Zero fields are left out on the wire and come back absent.
            #expect(message.value == Self.withoutZeroFields(sample.0, sample.1))
            #expect(try decoder.type(forID: message.typeID) == sample.1)
        }
    }

    /// What Go's decoder would give back: zero-valued scalars in structs read as absent.
    static func withoutZeroFields(_ value: GobValue, _ type: GobType) -> GobValue {
        switch (value, type) {
        case (.structure(let fields), .structure(_, let fieldTypes)):
            var kept: [String: GobValue] = [:]
            for field in fieldTypes {
                guard let fieldValue = fields[field.name] else { continue }
                switch fieldValue {
                case .bool(false), .int(0), .uint(0), .float(0), .string(""), .bytes([]), .interface(nil): continue
                case .complex(0, 0): continue
                case .list([]) where !{ if case .array = field.type { true } else { false } }(): continue
                default: kept[field.name] = withoutZeroFields(fieldValue, field.type)
                }
            }
            return .structure(kept)
        case (.list(let items), .slice(_, let elem)), (.list(let items), .array(_, let elem, _)):
            return .list(items.map { withoutZeroFields($0, elem) })
        case (.map(let entries), .map(_, let key, let elem)):
            return .map(entries.map { GobMapEntry(key: withoutZeroFields($0.key, key), value: withoutZeroFields($0.value, elem)) })
        case (.interface(let inner?), .interface):
            return .interface(GobInterface(name: inner.name, type: inner.type, value: withoutZeroFields(inner.value, inner.type)))
        default:
            return value
        }
    }

    @Test func typesAreDefinedOncePerStream() throws {
        var encoder = GobEncoder(registry: GobTypeRegistry())
        let first = try encoder.encode(.structure(["X": .int(1)]), as: Self.point)
        let second = try encoder.encode(.structure(["X": .int(1)]), as: Self.point)
        #expect(first.count > second.count)
        #expect(second == [0x05, 0xff, 0x82, 0x01, 0x02, 0x00])
        var decoder = GobDecoder()
        #expect(try decoder.decodeAll(first + second).count == 2)
        // A second stream defines the type again, with the process-wide id.
        var other = GobEncoder(registry: encoder.registry)
        #expect(try other.encode(.structure(["X": .int(1)]), as: Self.point) == first)
    }

    @Test func idsFollowGoAllocationOrder() {
        let registry = GobTypeRegistry()
        // A struct takes its id before its fields; a slice or map after its element.
        #expect(registry.id(for: PluginMetadata.gobType) == 65)
        #expect(registry.id(for: PluginVersion.gobType) == 66)
        #expect(registry.id(for: PluginCommand.gobType) == 67)
        #expect(registry.id(for: PluginUsage.gobType) == 68)
        #expect(registry.id(for: PluginUsage.optionsType) == 69)
        #expect(registry.id(for: .slice(name: "[]plugin.Command", elem: PluginCommand.gobType)) == 70)
        #expect(registry.id(for: .string) == 6)
    }

    @Test func protocolModelsRoundTrip() throws {
        let app = GetAppModel(
            guid: "g", name: "n", buildpackUrl: "b", command: "c", detectedStartCommand: "d", diskQuota: 1024,
            environmentVars: ["A": .interface(.string("x")), "N": .interface(.float64(2)), "Z": .interface(nil)],
            instanceCount: 3, memory: -1, runningInstances: 2, healthCheckTimeout: 60, state: "STARTED", spaceGuid: "s",
            packageUpdatedAt: Date(timeIntervalSince1970: 1_700_000_000.5), packageState: "STAGED",
            stagingFailedReason: "none", stack: GetAppStack(guid: "sg", name: "cflinuxfs4", description: "d"),
            instances: [
                GetAppInstance(state: "RUNNING", details: "x", since: Date(timeIntervalSince1970: 12), cpuUsage: 0.1,
                    diskQuota: 1, diskUsage: 2, memQuota: 3, memUsage: 4),
                GetAppInstance(),
            ],
            routes: [GetAppRoute(guid: "r", host: "", domain: GetAppDomain(guid: "d", name: "example.org"), path: "", port: 8080)],
            services: [GetAppService(guid: "svc", name: "db")])
        let metadata = PluginMetadata(
            name: "p", version: PluginVersion(major: 1), libraryVersion: PluginVersion(build: 9),
            commands: [PluginCommand(name: "a"), PluginCommand(name: "b", usageDetails: PluginUsage(options: ["x": "y", "long": "z"]))])
        let org = Organization(
            guid: "o", name: "org",
            quotaDefinition: OrganizationQuota(guid: "q", name: "default", memoryLimit: 10, instanceMemoryLimit: -1,
                routesLimit: 1, servicesLimit: 2, nonBasicServicesAllowed: true))
        #expect(try roundTrip(app) == app)
        #expect(try roundTrip(GetAppModel()) == GetAppModel())
        #expect(try roundTrip(metadata) == metadata)
        #expect(try roundTrip(org) == org)
        #expect(try roundTrip(Space(guid: "s", name: "dev")) == Space(guid: "s", name: "dev"))
        #expect(try roundTrip(["a", "", "c"]) == ["a", "", "c"])
        #expect(app.routeURLs == ["example.org"])
    }

    private func roundTrip<T: GobConvertible>(_ value: T) throws -> T {
        var encoder = GobEncoder(registry: GobTypeRegistry())
        let bytes = try encoder.encode(value.gobValue, as: T.gobType)
        var decoder = GobDecoder()
        let messages = try decoder.decodeAll(bytes)
        #expect(messages.count == 1)
        return try T(gobValue: messages[0].value)
    }

    @Test func mismatchedValuesAreRejected() {
        var encoder = GobEncoder(registry: GobTypeRegistry())
        #expect(throws: GobError("cannot encode a string value as int")) { try encoder.encode(.string("x"), as: .int) }
        #expect(throws: GobError.self) { try encoder.encode(.structure(["Q": .int(1)]), as: Self.point) }
        #expect(throws: GobError.self) { try encoder.encode(.list([.int(1)]), as: .array(name: "", elem: .int, count: 2)) }
        #expect(throws: GobError.self) { try PluginVersion(gobValue: .structure(["Major": .string("1")])) }
        #expect(throws: GobError.self) { try Bool(gobValue: .int(1)) }
    }
}
