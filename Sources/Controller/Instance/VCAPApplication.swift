import DeltaSync

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What Cloud Foundry's `VCAP_APPLICATION` variable says about the app and this instance of it: the few fields
/// the controller uses, read in one place.
struct VCAPApplication: Sendable, Equatable {
    static let variable = "VCAP_APPLICATION"

    /// The app's GUID (`application_id`); never empty.
    var applicationID: String?
    /// The droplet's version (`application_version`), which changes with every `cf push`.
    var applicationVersion: String?
    /// This instance's number (`instance_index`), from 0.
    var instanceIndex: Int?

    /// The variable's fields; `nil` when it is not set (or empty), as off Cloud Foundry.
    ///
    /// - Throws: ``ControllerError/Code/configuration`` when it is set but is not a JSON object. Callers decide
    ///   whether that matters: the controller runs on without what it would have said.
    static func read(from environment: [String: String]) throws(ControllerError) -> VCAPApplication? {
        guard let text = environment[variable], !text.isEmpty else { return nil }
        guard let fields = try? JSONDecoder().decode(Fields.self, from: Data(text.utf8)) else {
            throw ControllerError(
                .configuration, "\(variable) is not a JSON object: \(RelativePath.quoted(String(text.prefix(80))))")
        }
        var application = VCAPApplication()
        application.applicationID = fields.applicationID.flatMap { $0.isEmpty ? nil : $0 }
        application.applicationVersion = fields.applicationVersion
        if let index = fields.instanceIndex, index >= 0 { application.instanceIndex = index }
        return application
    }

    /// The JSON object's fields; one of the wrong type is left out without making the others unreadable.
    private struct Fields: Decodable {
        var applicationID: String?
        var applicationVersion: String?
        var instanceIndex: Int?

        enum CodingKeys: String, CodingKey {
            case applicationID = "application_id", applicationVersion = "application_version"
            case instanceIndex = "instance_index"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            applicationID = try? container.decodeIfPresent(String.self, forKey: .applicationID)
            applicationVersion = try? container.decodeIfPresent(String.self, forKey: .applicationVersion)
            instanceIndex = try? container.decodeIfPresent(Int.self, forKey: .instanceIndex)
        }
    }
}
