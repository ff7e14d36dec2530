/// The measured limits and exact refusal texts of a deployed relay program, for
/// `ProfiledRelayServer` to reproduce (field notes §5). Every limit is a stored property, so
/// a test can copy a profile and lower one threshold (`var p = PeerProfile.strfry;
/// p.maxNegentropyItems = 3`) to trigger it with few events.
///
/// A nil limit is not enforced.
public struct PeerProfile: Sendable, Equatable, CustomStringConvertible {
    /// How the relay meets NIP-77 messages (`NEG-OPEN`, `NEG-MSG`, `NEG-CLOSE`).
    public enum NegentropySupport: Sendable, Equatable {
        /// Served (subject to the profile's negentropy limits).
        case supported
        /// Every NIP-77 message is answered with this NOTICE text.
        case refusedWithNotice(String)
        /// Every NIP-77 message is read and never answered.
        case ignored
    }

    /// The texts a profile answers refusals with.
    public struct RefusalTexts: Sendable, Equatable {
        /// Put before a REQ filter-parsing reason in the CLOSED (strfry `ERROR: bad req: `).
        public var badRequestPrefix: String
        /// Put before a NEG-OPEN / NEG-MSG parsing reason in the NOTICE (strfry
        /// `ERROR: negentropy error: `).
        public var badNegentropyPrefix: String
        /// Reason for more filters in a REQ than allowed.
        public var tooManyFilters: String
        /// Reason for more tag filters (`#x`) in one filter than allowed.
        public var tooManyTagFilters: String
        /// Reason for one field whose values exceed the byte budget; the server reports it as
        /// `error parsing <field>: <this>` (`<field>` is `ids`, `authors` or `#x`).
        public var filterValuesTooLarge: String
        /// The whole NOTICE text sent when a REQ would open one subscription too many.
        public var tooManySubscriptionsNotice: String
        /// NEG-ERR reason when a NEG-OPEN filter matches more than `maxNegentropyItems`.
        public var tooManyNegentropyItems: String
        /// Whether that NEG-ERR carries the limit as a 4th element (strfry does).
        public var tooManyNegentropyItemsCarriesLimit: Bool
        /// NEG-ERR reason for a NEG-MSG naming no open session.
        public var unknownNegentropySession: String
        /// Reason (after `badNegentropyPrefix`, in a NOTICE) for a NEG-MSG sent while its
        /// NEG-OPEN is still being answered.
        public var negentropyMessageBeforeOpen: String
        /// Reason (after `badNegentropyPrefix`, in a NOTICE) for a negentropy payload that is not hex.
        public var invalidNegentropyHex: String
        /// CLOSED reason for a REQ over the per-minute REQ budget.
        public var requestRateLimited: String

        public init(badRequestPrefix: String, badNegentropyPrefix: String, tooManyFilters: String, tooManyTagFilters: String,
                    filterValuesTooLarge: String, tooManySubscriptionsNotice: String, tooManyNegentropyItems: String,
                    tooManyNegentropyItemsCarriesLimit: Bool, unknownNegentropySession: String,
                    negentropyMessageBeforeOpen: String, invalidNegentropyHex: String, requestRateLimited: String) {
            self.badRequestPrefix = badRequestPrefix
            self.badNegentropyPrefix = badNegentropyPrefix
            self.tooManyFilters = tooManyFilters
            self.tooManyTagFilters = tooManyTagFilters
            self.filterValuesTooLarge = filterValuesTooLarge
            self.tooManySubscriptionsNotice = tooManySubscriptionsNotice
            self.tooManyNegentropyItems = tooManyNegentropyItems
            self.tooManyNegentropyItemsCarriesLimit = tooManyNegentropyItemsCarriesLimit
            self.unknownNegentropySession = unknownNegentropySession
            self.negentropyMessageBeforeOpen = negentropyMessageBeforeOpen
            self.invalidNegentropyHex = invalidNegentropyHex
            self.requestRateLimited = requestRateLimited
        }
    }

    /// Name for test output.
    public var name: String
    /// Largest incoming WebSocket message in bytes; a larger one drops the TCP connection
    /// without a close frame.
    public var maxMessageBytes: Int
    /// Filters per REQ (CLOSED past it).
    public var maxFiltersPerRequest: Int?
    /// Tag filters (`#x`) per filter (CLOSED for a REQ, NOTICE for a NEG-OPEN past it).
    public var maxTagFiltersPerFilter: Int?
    /// Byte budget of one field's values, sorted and de-duplicated: `ids`, `authors`, `#e`
    /// and `#p` values count 32 bytes each (hex-decoded), other tags their UTF-8 length.
    public var maxFilterValueBytes: Int?
    /// Results per filter: each filter's `limit` is clamped to it (absent: it), silently.
    public var maxResultsPerFilter: Int
    /// Open REQ subscriptions per connection.
    public var maxOpenSubscriptions: Int?
    /// NIP-77 behaviour.
    public var negentropy: NegentropySupport
    /// Most events a NEG-OPEN filter may match.
    public var maxNegentropyItems: Int?
    /// The server side's negentropy frame size limit in bytes.
    public var negentropyFrameSizeLimit: Int
    /// Client messages per minute per connection; the next one drops the TCP connection.
    public var maxMessagesPerMinute: Int?
    /// REQs per minute per connection; the next one is CLOSED `texts.requestRateLimited`.
    public var maxRequestsPerMinute: Int?
    /// Sends `CLOSED` (empty reason) after `EOSE` when a single-filter `ids` REQ found as
    /// many events as it listed ids, and drops the subscription (rust-nostr).
    public var closesAnsweredIDRequests: Bool
    /// Refusal texts.
    public var texts: RefusalTexts

    public init(name: String, maxMessageBytes: Int, maxFiltersPerRequest: Int?, maxTagFiltersPerFilter: Int?,
                maxFilterValueBytes: Int?, maxResultsPerFilter: Int, maxOpenSubscriptions: Int?,
                negentropy: NegentropySupport, maxNegentropyItems: Int?, negentropyFrameSizeLimit: Int,
                maxMessagesPerMinute: Int?, maxRequestsPerMinute: Int?, closesAnsweredIDRequests: Bool, texts: RefusalTexts) {
        self.name = name
        self.maxMessageBytes = maxMessageBytes
        self.maxFiltersPerRequest = maxFiltersPerRequest
        self.maxTagFiltersPerFilter = maxTagFiltersPerFilter
        self.maxFilterValueBytes = maxFilterValueBytes
        self.maxResultsPerFilter = maxResultsPerFilter
        self.maxOpenSubscriptions = maxOpenSubscriptions
        self.negentropy = negentropy
        self.maxNegentropyItems = maxNegentropyItems
        self.negentropyFrameSizeLimit = negentropyFrameSizeLimit
        self.maxMessagesPerMinute = maxMessagesPerMinute
        self.maxRequestsPerMinute = maxRequestsPerMinute
        self.closesAnsweredIDRequests = closesAnsweredIDRequests
        self.texts = texts
    }

    public var description: String { name }

    // MARK: - Profiles

    /// strfry's texts. Sources: field notes §5.1 (size rule, NEG-ERR texts, `negentropy
    /// error:` NOTICE); strfry's source for the rest: `RelayIngester.cpp` (`bad req: ` in a
    /// CLOSED via `sendClosedError`, which prefixes `ERROR: `; `arr too big` past
    /// `maxReqFilterSize`), `filters.h` (`error parsing <field>: ` wrapper, `too many tags in
    /// filter`), `RelayReqWorker.cpp` (NOTICE `too many concurrent REQs` via
    /// `sendNoticeError`), `RelayNegentropy.cpp` (`got NEG-MSG before NEG-OPEN complete`).
    /// `invalid hex` is ours: the notes elide strfry's hex-decoder text.
    public static let strfryTexts = RefusalTexts(
        badRequestPrefix: "ERROR: bad req: ",
        badNegentropyPrefix: "ERROR: negentropy error: ",
        tooManyFilters: "arr too big",
        tooManyTagFilters: "too many tags in filter",
        filterValuesTooLarge: "total filter items too large",
        tooManySubscriptionsNotice: "ERROR: too many concurrent REQs",
        tooManyNegentropyItems: "blocked: too many query results",
        tooManyNegentropyItemsCarriesLimit: true,
        unknownNegentropySession: "closed: unknown subscription handle",
        negentropyMessageBeforeOpen: "got NEG-MSG before NEG-OPEN complete",
        invalidNegentropyHex: "invalid hex",
        requestRateLimited: "rate-limited: too many queries")

    /// strfry f8a56a8 with its default `strfry.conf` (field notes §5.1).
    public static let strfry = PeerProfile(
        name: "strfry",
        maxMessageBytes: 131_072,
        maxFiltersPerRequest: 200,
        maxTagFiltersPerFilter: 3,
        maxFilterValueBytes: 65_535,
        maxResultsPerFilter: 500,
        maxOpenSubscriptions: 200,
        negentropy: .supported,
        maxNegentropyItems: 1_000_000,
        // RelayNegentropy.cpp builds its server side with a 500,000-byte frame limit.
        negentropyFrameSizeLimit: 500_000,
        maxMessagesPerMinute: nil,
        maxRequestsPerMinute: nil,
        closesAnsweredIDRequests: false,
        texts: strfryTexts)

    /// rust-nostr's LocalRelay from PyPI nostr-sdk 0.45.1 (field notes §5.2). Its REQ
    /// parsing refuses nothing the notes measured, so only the rate, size and negentropy
    /// limits apply; the unknown-session text is from nostr-relay-builder `local/inner.rs`.
    public static let rustNostr = PeerProfile(
        name: "rust-nostr",
        // tungstenite's default 16 MiB frame limit: 5 MB accepted, 17 MB dropped (§5.2).
        maxMessageBytes: 16 * 1024 * 1024,
        maxFiltersPerRequest: nil,
        maxTagFiltersPerFilter: nil,
        maxFilterValueBytes: nil,
        maxResultsPerFilter: 500,
        maxOpenSubscriptions: nil,
        negentropy: .supported,
        maxNegentropyItems: 50_000,
        negentropyFrameSizeLimit: 60_000,
        maxMessagesPerMinute: 6_000,
        maxRequestsPerMinute: 1_200,
        closesAnsweredIDRequests: true,
        texts: RefusalTexts(
            badRequestPrefix: "",
            badNegentropyPrefix: "error: ",
            tooManyFilters: "",
            tooManyTagFilters: "",
            filterValuesTooLarge: "",
            tooManySubscriptionsNotice: "",
            tooManyNegentropyItems: "rate-limited: too many negentropy items",
            tooManyNegentropyItemsCarriesLimit: false,
            unknownNegentropySession: "error: subscription not found",
            negentropyMessageBeforeOpen: "subscription not ready",
            invalidNegentropyHex: "invalid hex",
            requestRateLimited: "rate-limited: too many queries"))

    /// A relay with strfry's REQ limits that does not speak NIP-77: NEG-OPEN gets a NOTICE
    /// (field notes §4.2: the refusals that hang syncers which do not notice them).
    public static let noNegentropy: PeerProfile = {
        var profile = strfry
        profile.name = "no-negentropy"
        profile.negentropy = .refusedWithNotice("ERROR: unknown command")
        return profile
    }()

    /// Like `noNegentropy`, but NIP-77 messages are never answered at all (nostrability#265:
    /// relays that advertise 77 and stay silent).
    public static let silentNoNegentropy: PeerProfile = {
        var profile = strfry
        profile.name = "silent-no-negentropy"
        profile.negentropy = .ignored
        return profile
    }()
}
