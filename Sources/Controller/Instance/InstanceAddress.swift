/// The instance a request is addressed to, as Cloud Foundry's `X-Cf-App-Instance: APP_GUID:INDEX` names it: the
/// router takes such a request to that instance of the app (or answers 400 itself when it cannot).
struct InstanceAddress: Sendable, Equatable {
    /// The request field that names the instance.
    static let field = "X-Cf-App-Instance"

    /// The app's GUID, lower-cased: GUIDs compare without regard to case.
    let applicationID: String
    let index: Int

    /// The address in a field's value; `nil` when the value is not `APP_GUID:INDEX`.
    ///
    /// The GUID is letters, digits and dashes (any case), the index decimal digits; nothing else may be there.
    init?(_ value: String) {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let guid = parts.first, let number = parts.last, !guid.isEmpty, !number.isEmpty,
            guid.unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-")
            }),
            number.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }), let index = Int(number)
        else { return nil }
        applicationID = guid.lowercased()
        self.index = index
    }
}
