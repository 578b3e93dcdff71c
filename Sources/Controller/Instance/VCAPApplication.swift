import DeltaSync
import Foundation

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
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw ControllerError(
                .configuration, "\(variable) is not a JSON object: \(RelativePath.quoted(String(text.prefix(80))))")
        }
        var application = VCAPApplication()
        application.applicationID = (object["application_id"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        application.applicationVersion = object["application_version"] as? String
        if let index = object["instance_index"] as? Int, index >= 0 { application.instanceIndex = index }
        return application
    }
}
