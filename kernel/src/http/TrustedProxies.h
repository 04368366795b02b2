#pragma once

#include <string>
#include <vector>

#include <Poco/Net/IPAddress.h>

#include "http/RequestParser.h"

namespace clinic {

/// The reverse proxies in front of clinicd (http.trusted_proxies): only a
/// request from one of them may say, in X-Forwarded-For, whom it forwards.
/// Anyone else's X-Forwarded-For is ignored, or a client could pick the
/// address that login throttling and the audit trail see.
class TrustedProxies {
public:
    TrustedProxies() = default;

    /// Addresses and networks, "10.0.0.5" or "10.0.0.0/8"; throws
    /// std::invalid_argument naming an entry that is neither.
    explicit TrustedProxies(const std::vector<std::string>& entries);

    bool empty() const { return _networks.empty(); }
    bool trusts(const std::string& address) const;

    /// The client's address: the peer's, unless the peer is a trusted proxy;
    /// then the right-most X-Forwarded-For address that is not itself a
    /// trusted proxy (each proxy appends the address it saw). A malformed
    /// entry ends the walk at the last address known good.
    std::string client(const std::string& peer, const RequestHead& head) const;

private:
    struct Network {
        Poco::Net::IPAddress address;
        unsigned prefix = 0;
    };
    std::vector<Network> _networks;
};

} // namespace clinic
