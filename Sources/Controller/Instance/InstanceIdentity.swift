import DeltaSync

/// Which instance of which Cloud Foundry app this controller is, as the platform tells it at start-up.
///
/// A client reaches one instance through the app's route by naming it in `X-Cf-App-Instance`
/// (``InstanceAddress``); a router or route service that ignores the field delivers the request to whichever
/// instance it picks. So the controller says who answered (``answerField``) and refuses requests addressed to
/// another instance (``misdirection(addressedTo:)``): a client must never report instance 1 as updated when
/// instance 0 answered.
///
/// The index comes from `CF_INSTANCE_INDEX` or `VCAP_APPLICATION`'s `instance_index` (either is enough), the
/// app's GUID from `VCAP_APPLICATION`'s `application_id`. Off Cloud Foundry neither is set and there is no
/// identity: nothing is checked and answers do not say who gave them.
struct InstanceIdentity: Sendable, Equatable, CustomStringConvertible {
    /// The answer field that names the instance that answered: `GUID:INDEX`, or the index alone when the GUID is
    /// unknown.
    static let answerField = "X-Fastpush-Instance"
    static let indexVariable = "CF_INSTANCE_INDEX"

    /// The app's GUID, lower-cased; `nil` when `VCAP_APPLICATION` names none.
    let applicationID: String?
    /// This instance's number, from 0.
    let index: Int

    init(applicationID: String?, index: Int) {
        self.applicationID = applicationID?.lowercased()
        self.index = index
    }

    /// The identity `environment` gives; `nil` when it gives no index. What is set but cannot be read (a
    /// malformed `VCAP_APPLICATION`, an index that is not a number) is passed to `warn` and otherwise ignored:
    /// it must not stop the app from starting.
    static func read(
        from environment: [String: String], warn: (String) -> Void = ControllerLog.warning
    ) -> InstanceIdentity? {
        var application: VCAPApplication?
        do {
            application = try VCAPApplication.read(from: environment)
        } catch {
            warn("\(error.message); this instance does not know its app GUID or index from it")
        }
        var index: Int?
        if let text = environment[indexVariable], !text.isEmpty {
            if let number = Int(text), number >= 0 {
                index = number
            } else {
                warn("\(indexVariable) is \(RelativePath.quoted(text)), which is not an instance number; it is ignored")
            }
        }
        if let index, let other = application?.instanceIndex, other != index {
            warn(
                "\(indexVariable) (\(index)) and \(VCAPApplication.variable)'s instance_index (\(other)) disagree; this is instance \(index), as \(indexVariable) says"
            )
        }
        guard let index = index ?? application?.instanceIndex else { return nil }
        return InstanceIdentity(applicationID: application?.applicationID, index: index)
    }

    /// The value of ``answerField``.
    var answerValue: String {
        applicationID.map { "\($0):\(index)" } ?? String(index)
    }

    /// `instance 0 of app 6b4b…`, for messages.
    var description: String {
        "instance \(index) of app \(applicationID ?? "(unknown: \(VCAPApplication.variable) names none)")"
    }

    /// Why a request whose `X-Cf-App-Instance` fields are `values` must not be served here; `nil` when it names
    /// this instance, or names none.
    ///
    /// An app GUID is compared only when this instance knows its own.
    func misdirection(addressedTo values: [String]) -> String? {
        guard let value = values.first else { return nil }
        let example = "\(applicationID ?? "APP_GUID"):\(index)"
        guard values.count == 1 else {
            let listed = values.map { RelativePath.quoted($0) }.joined(separator: ", ")
            return
                "this is \(self); the request names \(values.count) instances in \(InstanceAddress.field) (\(listed)): name one, as APP_GUID:INDEX (such as \(example))"
        }
        guard let address = InstanceAddress(value) else {
            return
                "this is \(self); the request's \(InstanceAddress.field) is \(RelativePath.quoted(value)), which is not APP_GUID:INDEX (such as \(example))"
        }
        let otherApp = applicationID.map { $0 != address.applicationID } ?? false
        guard otherApp || address.index != index else { return nil }
        let addressee =
            otherApp ? "instance \(address.index) of app \(address.applicationID)" : "instance \(address.index)"
        return
            "this is \(self); the request was addressed to \(addressee): the router did not honour \(InstanceAddress.field) (a route service in front of the app ignores it)"
    }
}
