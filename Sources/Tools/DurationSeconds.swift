extension Duration {
    /// Seconds as a `Double`, for libcurl's timeouts and for figures shown to the user.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
