/// Encodes as the readable ``RelayHealthStatus/name`` (`"rate_limited"`), so the `/status`
/// JSON document reads without a lookup table; decodes the name or the numeric metric value.
extension RelayHealthStatus: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self), let status = RelayHealthStatus(rawValue: number) {
            self = status
            return
        }
        let text = try container.decode(String.self)
        guard let status = RelayHealthStatus(name: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown relay health status \(text)")
        }
        self = status
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
