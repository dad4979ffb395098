import CNATS
import FabricCore

#if canImport(Glibc)
import Glibc
#endif

/// Turns `NATSOptions` into a nats.c `natsOptions`.
enum NATSOptionsBuilder {
    static func make(_ options: NATSOptions, callbacksID: Int) throws(NATSError) -> OpaquePointer {
        var created: OpaquePointer?
        try check(natsOptions_Create(&created), "create options")
        guard let opts = created else { throw NATSError(.other, message: "natsOptions_Create returned nothing") }
        do throws(NATSError) {
            try apply(options, to: opts, callbacksID: callbacksID)
        } catch {
            natsOptions_Destroy(opts)
            throw error
        }
        return opts
    }

    private static func apply(_ options: NATSOptions, to opts: OpaquePointer, callbacksID: Int) throws(NATSError) {
        guard !options.urls.isEmpty else { throw NATSError(.invalidArgument, message: "no NATS URL given") }
        try withCStringArray(options.urls) { servers, count throws(NATSError) in
            try check(natsOptions_SetServers(opts, servers, count), "set servers \(options.urls)")
        }
        try check(natsOptions_SetName(opts, options.name), "set name")
        try check(natsOptions_SetNoRandomize(opts, options.urls.count == 1), "set no randomize")
        try check(natsOptions_SetTimeout(opts, options.connectTimeout.milliseconds), "set timeout")
        try check(
            natsOptions_SetRetryOnFailedConnect(opts, options.retryOnFailedConnect, nil, nil), "set retry on failed connect")
        try check(natsOptions_SetAllowReconnect(opts, true), "allow reconnect")
        try check(natsOptions_SetMaxReconnect(opts, Int32(options.maxReconnectAttempts)), "set max reconnect")
        try check(natsOptions_SetReconnectWait(opts, options.reconnectWait.milliseconds), "set reconnect wait")
        let jitter = options.reconnectJitter.milliseconds
        try check(natsOptions_SetReconnectJitter(opts, jitter, jitter * 10), "set reconnect jitter")
        try check(natsOptions_SetReconnectBufSize(opts, Int32(options.reconnectBufferBytes)), "set reconnect buffer")
        try check(natsOptions_SetPingInterval(opts, options.pingInterval.milliseconds), "set ping interval")
        try check(natsOptions_SetMaxPingsOut(opts, Int32(options.maxPingsOut)), "set max pings out")
        // Publish by publish when batching: nats.c's own switch would write every one.
        try check(natsOptions_SetSendAsap(opts, options.sendAsap && !options.choosesFlushPerPublish), "set send asap")
        try check(natsOptions_UseGlobalMessageDelivery(opts, options.globalMessageDelivery), "use global delivery")
        try check(natsOptions_SetMaxPendingMsgs(opts, Int32(options.pendingMessagesLimit)), "set max pending")
        if let user = options.user {
            try check(natsOptions_SetUserInfo(opts, user, options.password ?? ""), "set user info")
        }
        if let token = options.token { try check(natsOptions_SetToken(opts, token), "set token") }
        if let creds = options.credentialsFile {
            try check(natsOptions_SetUserCredentialsFromFiles(opts, creds, nil), "load credentials \(creds)")
        }
        if let seed = options.nkeySeedFile {
            guard let publicKey = options.nkeyPublicKey else {
                throw NATSError(.invalidArgument, message: "an NKey seed file needs the NKey public key too")
            }
            try check(natsOptions_SetNKeyFromSeed(opts, publicKey, seed), "load nkey seed \(seed)")
        }
        if let tls = options.tls {
            try check(natsOptions_SetSecure(opts, true), "enable TLS")
            if let ca = tls.caFile { try check(natsOptions_LoadCATrustedCertificates(opts, ca), "load CA \(ca)") }
            if let cert = tls.certificateFile {
                guard let key = tls.keyFile else {
                    throw NATSError(.invalidArgument, message: "a TLS certificate needs its key file")
                }
                try check(natsOptions_LoadCertificatesChain(opts, cert, key), "load certificate \(cert)")
            }
            if let host = tls.expectedHostname { try check(natsOptions_SetExpectedHostname(opts, host), "set TLS host name") }
            if tls.skipVerification { try check(natsOptions_SkipServerVerification(opts, true), "skip TLS verification") }
        }
        let closure = UnsafeMutableRawPointer(bitPattern: callbacksID)
        try check(natsOptions_SetDisconnectedCB(opts, natsDisconnectedCallback, closure), "set disconnected callback")
        try check(natsOptions_SetReconnectedCB(opts, natsReconnectedCallback, closure), "set reconnected callback")
        try check(natsOptions_SetClosedCB(opts, natsClosedCallback, closure), "set closed callback")
        try check(natsOptions_SetErrorHandler(opts, natsErrorCallback, closure), "set error handler")
        try check(natsOptions_SetLameDuckModeCB(opts, natsLameDuckCallback, closure), "set lame duck callback")
    }
}

/// Calls `body` with a C array of C strings that live for the duration of the call.
func withCStringArray<Result>(
    _ strings: [String], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>, Int32) throws(NATSError) -> Result
) throws(NATSError) -> Result {
    let duplicated = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    var pointers = duplicated.map { UnsafePointer<CChar>($0) }
    return try pointers.withUnsafeMutableBufferPointer { buffer throws(NATSError) in
        try body(buffer.baseAddress!, Int32(buffer.count))
    }
}
