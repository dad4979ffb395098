/// A client header the configuration forwards into the envelope (`http.forward_headers`):
/// its lower-cased name and its values joined with `, `.
struct ForwardedHeader: Sendable, Hashable {
    let name: String
    let value: String
}
