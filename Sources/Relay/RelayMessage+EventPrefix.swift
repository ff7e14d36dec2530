import Nostr

extension RelayMessage {
    /// `["EVENT",<subscription id>,`: an EVENT message up to its event, whose JSON text follows
    /// as it was stored, then `]`. The id is escaped here, once per subscription.
    static func eventPrefix(subscriptionID: String) -> String {
        "[\"EVENT\"," + JSONString.quoted(subscriptionID) + ","
    }
}
