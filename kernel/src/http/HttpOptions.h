#pragma once

#include <cstddef>
#include <set>
#include <string>

#include "http/TrustedProxies.h"

namespace clinic {

/// The http.* settings, as Kernel reads them (documented in conf/clinicd.properties).
struct HttpOptions {
    std::string address = "127.0.0.1";
    int port = 8080;
    int threads = 16;
    int queue = 1024; ///< requests waiting for a worker; beyond it 503 SERVER_BUSY
    std::size_t maxBodyBytes = 1048576;
    int timeoutSeconds = 30; ///< writing one response
    int keepAliveSeconds = 10; ///< idle between requests; 0: one request per connection
    int headerTimeoutSeconds = 10; ///< the head from its first byte; the body's grace
    std::size_t bodyMinBytesPerSecond = 1024; ///< 0: no minimum rate
    std::size_t maxHeaderBytes = 16384;
    std::size_t maxTargetBytes = 8192;
    int maxConnections = 2048;
    int maxConnectionsPerClient = 512;
    std::string tlsCert;
    std::string tlsKey;
    /// Browser origins allowed to call the API (http.cors_origins); empty:
    /// no CORS headers and no preflight answers.
    std::set<std::string> corsOrigins;
    /// Proxies whose X-Forwarded-For names the client (http.trusted_proxies).
    TrustedProxies trustedProxies;
};

} // namespace clinic
