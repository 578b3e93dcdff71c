/// Encodes values into one gob stream (one direction of one connection).
///
/// Each type is defined on the stream once, just before its first use, as Go does: the
/// definition of a type, then (depth first) those of the types it contains. The concrete types
/// of interface values are defined before the message that carries them, which Go's decoder
/// accepts like any other definition.
struct GobEncoder {
    let registry: GobTypeRegistry
    private var sent: Set<Int> = []

    init(registry: GobTypeRegistry = .shared) {
        self.registry = registry
    }

    /// The bytes to write for `value`: any new type definitions, then the value's message.
    mutating func encode(_ value: GobValue, as type: GobType) throws -> [UInt8] {
        var output = GobByteWriter()
        sendDefinitions(of: type, into: &output)
        try sendInterfaceDefinitions(in: value, type: type, into: &output, depth: 0)
        var message = GobByteWriter()
        message.writeInt(Int64(registry.id(for: type)))
        try writeTopLevel(value, as: type, into: &message, depth: 0)
        output.writeDelimited(message.bytes)
        return output.bytes
    }

    /// Structs are written field by field; anything else after a 0 delta, with zero values sent.
    private func writeTopLevel(_ value: GobValue, as type: GobType, into writer: inout GobByteWriter, depth: Int) throws {
        if case .structure(let name, let fields) = type {
            try writeStruct(value, name: name, fields: fields, into: &writer, depth: depth)
        } else {
            writer.writeUInt(0)
            try write(value, as: type, into: &writer, depth: depth)
        }
    }

    private mutating func sendDefinitions(of type: GobType, into output: inout GobByteWriter) {
        guard type.builtinID == nil else { return }
        let id = registry.id(for: type)
        guard !sent.contains(id) else { return }
        var message = GobByteWriter()
        message.writeInt(-Int64(id))
        writeDefinition(of: type, id: id, into: &message)
        output.writeDelimited(message.bytes)
        sent.insert(id)
        switch type {
        case .structure(_, let fields):
            for field in fields { sendDefinitions(of: field.type, into: &output) }
        case .array(_, let elem, _), .slice(_, let elem):
            sendDefinitions(of: elem, into: &output)
        case .map(_, let key, let elem):
            sendDefinitions(of: key, into: &output)
            sendDefinitions(of: elem, into: &output)
        default:
            break
        }
    }

    private mutating func sendInterfaceDefinitions(
        in value: GobValue, type: GobType, into output: inout GobByteWriter, depth: Int
    ) throws {
        guard depth <= 100 else { throw GobError("value nested deeper than 100 levels") }
        switch (type, value) {
        case (.interface, .interface(let inner?)):
            sendDefinitions(of: inner.type, into: &output)
            try sendInterfaceDefinitions(in: inner.value, type: inner.type, into: &output, depth: depth + 1)
        case (.array(_, let elem, _), .list(let items)), (.slice(_, let elem), .list(let items)):
            for item in items { try sendInterfaceDefinitions(in: item, type: elem, into: &output, depth: depth + 1) }
        case (.map(_, let keyType, let elemType), .map(let entries)):
            for entry in entries {
                try sendInterfaceDefinitions(in: entry.key, type: keyType, into: &output, depth: depth + 1)
                try sendInterfaceDefinitions(in: entry.value, type: elemType, into: &output, depth: depth + 1)
            }
        case (.structure(_, let fields), .structure(let values)):
            for field in fields {
                if let fieldValue = values[field.name] {
                    try sendInterfaceDefinitions(in: fieldValue, type: field.type, into: &output, depth: depth + 1)
                }
            }
        default:
            break
        }
    }

    /// The wireType struct: exactly one of ArrayT(0) SliceT(1) StructT(2) MapT(3) or the
    /// marshaler fields (4-6), each holding CommonType{Name; Id} first.
    private func writeDefinition(of type: GobType, id: Int, into writer: inout GobByteWriter) {
        var wire = GobStructWriter()
        switch type {
        case .array(let name, let elem, let count):
            wire.beginField(0, into: &writer)
            var array = GobStructWriter()
            writeCommonType(name: name, id: id, as: 0, in: &array, into: &writer)
            array.int(1, Int64(registry.id(for: elem)), into: &writer)
            array.int(2, Int64(count), into: &writer)
            array.end(into: &writer)
        case .slice(let name, let elem):
            wire.beginField(1, into: &writer)
            var slice = GobStructWriter()
            writeCommonType(name: name, id: id, as: 0, in: &slice, into: &writer)
            slice.int(1, Int64(registry.id(for: elem)), into: &writer)
            slice.end(into: &writer)
        case .structure(let name, let fields):
            wire.beginField(2, into: &writer)
            var structure = GobStructWriter()
            writeCommonType(name: name, id: id, as: 0, in: &structure, into: &writer)
            if !fields.isEmpty {
                structure.beginField(1, into: &writer)
                writer.writeUInt(UInt64(fields.count))
                for field in fields {
                    var fieldType = GobStructWriter()
                    fieldType.string(0, field.name, into: &writer)
                    fieldType.int(1, Int64(registry.id(for: field.type)), into: &writer)
                    fieldType.end(into: &writer)
                }
            }
            structure.end(into: &writer)
        case .map(let name, let key, let elem):
            wire.beginField(3, into: &writer)
            var map = GobStructWriter()
            writeCommonType(name: name, id: id, as: 0, in: &map, into: &writer)
            map.int(1, Int64(registry.id(for: key)), into: &writer)
            map.int(2, Int64(registry.id(for: elem)), into: &writer)
            map.end(into: &writer)
        case .external(let name, let kind):
            wire.beginField(kind.rawValue, into: &writer)
            var external = GobStructWriter()
            writeCommonType(name: name, id: id, as: 0, in: &external, into: &writer)
            external.end(into: &writer)
        default:
            preconditionFailure("built-in types have no definition")
        }
        wire.end(into: &writer)
    }

    private func writeCommonType(
        name: String, id: Int, as field: Int, in parent: inout GobStructWriter, into writer: inout GobByteWriter
    ) {
        parent.beginField(field, into: &writer)
        var common = GobStructWriter()
        common.string(0, name, into: &writer)
        common.int(1, Int64(id), into: &writer)
        common.end(into: &writer)
    }

    /// Writes a value with no field framing; elements of slices, arrays and maps always are sent.
    private func write(_ value: GobValue, as type: GobType, into writer: inout GobByteWriter, depth: Int) throws {
        guard depth <= 100 else { throw GobError("value nested deeper than 100 levels") }
        switch (type, value) {
        case (.bool, .bool(let b)): writer.writeUInt(b ? 1 : 0)
        case (.int, .int(let i)): writer.writeInt(i)
        case (.uint, .uint(let u)): writer.writeUInt(u)
        case (.float, .float(let d)): writer.writeFloat(d)
        case (.complex, .complex(let real, let imaginary)):
            writer.writeFloat(real)
            writer.writeFloat(imaginary)
        case (.bytes, .bytes(let bytes)): writer.writeByteString(bytes)
        case (.string, .string(let s)): writer.writeString(s)
        case (.interface, .interface(nil)): writer.writeUInt(0)
        case (.interface, .interface(let inner?)):
            guard !inner.name.isEmpty else { throw GobError("interface value of type \(inner.type.summary) has no name") }
            writer.writeString(inner.name)
            writer.writeInt(Int64(registry.id(for: inner.type)))
            var data = GobByteWriter()
            try writeTopLevel(inner.value, as: inner.type, into: &data, depth: depth + 1)
            writer.writeDelimited(data.bytes)
        case (.array(_, let elem, let count), .list(let items)):
            guard items.count == count else {
                throw GobError("array \(type.summary) needs \(count) elements, got \(items.count)")
            }
            try writeElements(items, as: elem, into: &writer, depth: depth)
        case (.slice(_, let elem), .list(let items)):
            try writeElements(items, as: elem, into: &writer, depth: depth)
        case (.map(_, let keyType, let elemType), .map(let entries)):
            writer.writeUInt(UInt64(entries.count))
            for entry in entries {
                try write(entry.key, as: keyType, into: &writer, depth: depth + 1)
                try write(entry.value, as: elemType, into: &writer, depth: depth + 1)
            }
        case (.structure(let name, let fields), .structure):
            try writeStruct(value, name: name, fields: fields, into: &writer, depth: depth)
        case (.external, .encoded(let bytes)): writer.writeByteString(bytes)
        default:
            throw GobError("cannot encode a \(value.kindName) value as \(type.summary)")
        }
    }

    private func writeElements(_ items: [GobValue], as elem: GobType, into writer: inout GobByteWriter, depth: Int) throws {
        writer.writeUInt(UInt64(items.count))
        for (index, item) in items.enumerated() {
            do {
                try write(item, as: elem, into: &writer, depth: depth + 1)
            } catch let error as GobError {
                throw error.prefixed("element \(index)")
            }
        }
    }

    /// Go leaves out zero scalars, empty strings and slices, and nil interfaces; nested structs,
    /// arrays, maps and marshaled values are sent whenever present (absent means nil).
    private func writeStruct(
        _ value: GobValue, name: String, fields: [GobStructField], into writer: inout GobByteWriter, depth: Int
    ) throws {
        guard case .structure(let values) = value else {
            throw GobError("cannot encode a \(value.kindName) value as struct \(name)")
        }
        guard depth <= 100 else { throw GobError("value nested deeper than 100 levels") }
        if values.count > 0, let unknown = values.keys.sorted().first(where: { key in !fields.contains { $0.name == key } }) {
            throw GobError("struct \(name) has no field '\(unknown)'")
        }
        var structWriter = GobStructWriter()
        for (index, field) in fields.enumerated() {
            guard let fieldValue = values[field.name], !Self.isOmitted(fieldValue, as: field.type) else { continue }
            structWriter.beginField(index, into: &writer)
            do {
                try write(fieldValue, as: field.type, into: &writer, depth: depth + 1)
            } catch let error as GobError {
                throw error.prefixed("\(name).\(field.name)")
            }
        }
        structWriter.end(into: &writer)
    }

    private static func isOmitted(_ value: GobValue, as type: GobType) -> Bool {
        if case .array = type { return false }
        return switch value {
        case .bool(let b): !b
        case .int(let i): i == 0
        case .uint(let u): u == 0
        case .float(let d): d == 0
        case .complex(let real, let imaginary): real == 0 && imaginary == 0
        case .bytes(let bytes): bytes.isEmpty
        case .string(let s): s.isEmpty
        case .list(let items): items.isEmpty
        case .interface(let inner): inner == nil
        case .map, .structure, .encoded: false
        }
    }
}

/// Writes struct field deltas (previous field number starts at -1) and the closing 0.
struct GobStructWriter {
    private var lastField = -1

    mutating func beginField(_ index: Int, into writer: inout GobByteWriter) {
        writer.writeUInt(UInt64(index - lastField))
        lastField = index
    }

    mutating func string(_ index: Int, _ value: String, into writer: inout GobByteWriter) {
        guard !value.isEmpty else { return }
        beginField(index, into: &writer)
        writer.writeString(value)
    }

    mutating func int(_ index: Int, _ value: Int64, into writer: inout GobByteWriter) {
        guard value != 0 else { return }
        beginField(index, into: &writer)
        writer.writeInt(value)
    }

    func end(into writer: inout GobByteWriter) {
        writer.writeUInt(0)
    }
}
