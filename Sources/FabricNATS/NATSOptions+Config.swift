import FabricCore

extension NATSOptions {
    /// Options from the `nats:` section; `role` is appended to the connection name.
    public init(config: NATSConfig, role: String) {
        self.init(
            urls: config.urls, name: "\(config.name)-\(role)", user: config.user, password: config.password,
            token: config.token, credentialsFile: config.credentialsFile, nkeyPublicKey: config.nkeyPublicKey,
            nkeySeedFile: config.nkeySeedFile,
            tls: config.tls.map {
                TLS(
                    caFile: $0.caFile, certificateFile: $0.certFile, keyFile: $0.keyFile, expectedHostname: $0.expectedHostname,
                    skipVerification: $0.insecureSkipVerify)
            },
            connectTimeout: config.connectTimeout, maxReconnectAttempts: config.maxReconnectAttempts,
            reconnectWait: config.reconnectWait, reconnectJitter: config.reconnectJitter,
            reconnectBufferBytes: config.reconnectBufferBytes, pingInterval: config.pingInterval,
            maxPingsOut: config.maxPingsOut, sendAsap: config.sendAsap, deliveryPoolSize: config.deliveryThreads,
            pendingMessagesLimit: config.pendingMessagesLimit, jetStreamTimeout: config.jetstreamTimeout)
    }
}
