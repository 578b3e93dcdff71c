/// Parses the `wireType` struct that follows a negative type id.
///
/// wireType{ArrayT *arrayType; SliceT *sliceType; StructT *structType; MapT *mapType;
/// GobEncoderT, BinaryMarshalerT, TextMarshalerT *gobEncoderType}, exactly one field set.
enum GobTypeDefinitionParser {
    /// Upper bound on how many fields a struct definition may declare.
    static let maxStructFields = 1 << 16

    static func parse(_ reader: inout GobByteReader, id: Int) throws(GobError) -> GobWireType {
        var result: GobWireType?
        try forEachField(&reader, fieldCount: 7, what: "wireType") { (reader, index) throws(GobError) in
            guard result == nil else { throw GobError("type definition \(id) sets more than one kind") }
            switch index {
            case 0:
                var name = "", elem = 0, count: Int64 = 0
                try forEachField(&reader, fieldCount: 3, what: "arrayType") { (reader, field) throws(GobError) in
                    switch field {
                    case 0: name = try parseCommonType(&reader)
                    case 1: elem = try readTypeID(&reader)
                    default: count = try reader.readInt()
                    }
                }
                guard elem != 0 else { throw GobError("array type \(id) has no element type") }
                guard count >= 0, count <= Int64(Int32.max) else { throw GobError("array type \(id) has invalid length \(count)") }
                result = .array(name: name, elem: elem, count: Int(count))
            case 1:
                var name = "", elem = 0
                try forEachField(&reader, fieldCount: 2, what: "sliceType") { (reader, field) throws(GobError) in
                    if field == 0 { name = try parseCommonType(&reader) } else { elem = try readTypeID(&reader) }
                }
                guard elem != 0 else { throw GobError("slice type \(id) has no element type") }
                result = .slice(name: name, elem: elem)
            case 2:
                var name = "", fields: [GobWireField] = []
                try forEachField(&reader, fieldCount: 2, what: "structType") { (reader, field) throws(GobError) in
                    if field == 0 {
                        name = try parseCommonType(&reader)
                    } else {
                        let count = try reader.readCount("struct field", minimumSize: 2)
                        guard count <= maxStructFields else { throw GobError("struct type \(id) has \(count) fields") }
                        fields.reserveCapacity(count)
                        for _ in 0..<count { fields.append(try parseFieldType(&reader, structID: id)) }
                    }
                }
                result = .structure(name: name, fields: fields)
            case 3:
                var name = "", key = 0, elem = 0
                try forEachField(&reader, fieldCount: 3, what: "mapType") { (reader, field) throws(GobError) in
                    switch field {
                    case 0: name = try parseCommonType(&reader)
                    case 1: key = try readTypeID(&reader)
                    default: elem = try readTypeID(&reader)
                    }
                }
                guard key != 0, elem != 0 else { throw GobError("map type \(id) lacks a key or element type") }
                result = .map(name: name, key: key, elem: elem)
            default:
                var name = ""
                try forEachField(&reader, fieldCount: 1, what: "gobEncoderType") { (reader, _) throws(GobError) in
                    name = try parseCommonType(&reader)
                }
                result = .external(name: name, kind: GobExternalKind(rawValue: index)!)
            }
        }
        guard let result else { throw GobError("type definition \(id) is empty") }
        return result
    }

    /// CommonType{Name string; Id int}. The id is informational (it may even differ from the
    /// message's id), so only the name is kept.
    private static func parseCommonType(_ reader: inout GobByteReader) throws(GobError) -> String {
        var name = ""
        try forEachField(&reader, fieldCount: 2, what: "CommonType") { (reader, field) throws(GobError) in
            if field == 0 { name = try reader.readString("type name") } else { _ = try reader.readInt() }
        }
        return name
    }

    private static func parseFieldType(_ reader: inout GobByteReader, structID: Int) throws(GobError) -> GobWireField {
        var name = "", fieldID = 0
        try forEachField(&reader, fieldCount: 2, what: "fieldType") { (reader, field) throws(GobError) in
            if field == 0 { name = try reader.readString("field name") } else { fieldID = try readTypeID(&reader) }
        }
        guard fieldID != 0 else { throw GobError("field '\(name)' of struct type \(structID) has no type") }
        return GobWireField(name: name, id: fieldID)
    }

    private static func readTypeID(_ reader: inout GobByteReader) throws(GobError) -> Int {
        let value = try reader.readInt()
        guard value > 0, value <= Int64(Int32.max) else { throw GobError("invalid type id \(value) in definition") }
        return Int(value)
    }

    /// Walks a struct's field deltas until the terminating 0, rejecting fields past the end.
    static func forEachField(
        _ reader: inout GobByteReader, fieldCount: Int, what: String,
        _ body: (inout GobByteReader, Int) throws(GobError) -> Void
    ) throws(GobError) {
        var field = -1
        while true {
            let delta = try reader.readUInt()
            if delta == 0 { return }
            guard delta <= UInt64(fieldCount - 1 - field) else {
                throw GobError("field delta \(delta) after field \(field) is out of range for \(what) (\(fieldCount) fields)")
            }
            field += Int(delta)
            try body(&reader, field)
        }
    }
}
