import Foundation

/// The parts of a remote relay's NIP-11 information document the sync engine uses.
///
/// A GRASP server lists the GRASP specifications it implements in `supported_grasps`
/// (for example `["GRASP-01", "GRASP-02"]`) and serves only NIP-34 events, so the sync
/// engine asks it only for those. `Codable` uses the NIP-11 key names, so an encoded value
/// is itself a (partial) NIP-11 document; its decoding is strict, while
/// ``parse(_:)`` reads real-world documents leniently.
public struct RemoteRelayInformation: Sendable, Equatable, Codable {
    /// NIP numbers from `supported_nips`.
    public var supportedNIPs: [Int]
    /// GRASP specification names from `supported_grasps`.
    public var supportedGRASPs: [String]
    /// `software`: usually the URL of the relay implementation.
    public var software: String?
    /// `version` of the relay software.
    public var version: String?
    /// `name` of the relay.
    public var name: String?

    public init(supportedNIPs: [Int] = [], supportedGRASPs: [String] = [], software: String? = nil,
                version: String? = nil, name: String? = nil) {
        self.supportedNIPs = supportedNIPs
        self.supportedGRASPs = supportedGRASPs
        self.software = software
        self.version = version
        self.name = name
    }

    /// Whether the relay announces at least one GRASP specification (it then serves only
    /// NIP-34 events).
    public var isGraspServer: Bool { !supportedGRASPs.isEmpty }

    /// Whether the relay announces NIP-77 (negentropy syncing).
    public var supportsNegentropy: Bool { supportedNIPs.contains(77) }

    enum CodingKeys: String, CodingKey {
        case supportedNIPs = "supported_nips"
        case supportedGRASPs = "supported_grasps"
        case software, version, name
    }

    /// Reads a NIP-11 document leniently: relays in the wild send odd documents, and one odd
    /// field must not hide the others.
    ///
    /// - A missing field, or one of the wrong type (`"supported_nips": "1,11"`), counts as
    ///   absent.
    /// - In the two arrays, elements of the wrong type are skipped (`[1, "11", true, 77]`
    ///   gives `[1, 77]`), as are empty GRASP names, so `[""]` is not a GRASP server.
    /// - Unknown fields are ignored.
    ///
    /// - Throws: `TransportError.relayInformationUnavailable` when `body` is not JSON or
    ///   its top level is not an object.
    public static func parse(_ body: [UInt8]) throws(TransportError) -> RemoteRelayInformation {
        let fields: [String: LenientField]
        do {
            fields = try JSONDecoder().decode([String: LenientField].self, from: Data(body))
        } catch {
            throw .relayInformationUnavailable(status: nil, reason: "the document is not a JSON object")
        }
        return RemoteRelayInformation(
            supportedNIPs: fields["supported_nips"]?.elements?.compactMap(\.int) ?? [],
            supportedGRASPs: fields["supported_grasps"]?.elements?.compactMap(\.string).filter { !$0.isEmpty } ?? [],
            software: fields["software"]?.string,
            version: fields["version"]?.string,
            name: fields["name"]?.string)
    }
}

extension RemoteRelayInformation {
    /// Any JSON value, keeping only what `parse` can use (a string, an integer or an array
    /// of such). Decoding never fails, whatever the value, so a field of the wrong type
    /// cannot fail the whole document.
    private struct LenientField: Decodable {
        var string: String?
        var int: Int?
        var elements: [LenientField]?

        init(from decoder: any Decoder) throws {
            // An array first: for anything else `singleValueContainer` would accept it too.
            if var array = try? decoder.unkeyedContainer() {
                var elements: [LenientField] = []
                while !array.isAtEnd {
                    // `LenientField` never fails, so every element advances the container.
                    guard let element = try? array.decode(LenientField.self) else { break }
                    elements.append(element)
                }
                self.elements = elements
                return
            }
            guard let single = try? decoder.singleValueContainer() else { return }
            // JSONDecoder does not turn `true` into 1 or 2.5 into 2: both stay unread.
            if let text = try? single.decode(String.self) {
                string = text
            } else if let number = try? single.decode(Int.self) {
                int = number
            }
        }
    }
}
