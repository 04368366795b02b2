#include "http/TrustedProxies.h"

#include <stdexcept>

#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

namespace clinic {

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries)
{
    for (const auto& entry : entries) {
        const auto slash = entry.find('/');
        Network n;
        if (!Poco::Net::IPAddress::tryParse(entry.substr(0, slash), n.address))
            throw std::invalid_argument("http.trusted_proxies: " + entry + " is not an address or network");
        const unsigned bits = n.address.family() == Poco::Net::AddressFamily::IPv4 ? 32 : 128;
        n.prefix = bits;
        if (slash != std::string::npos) {
            const std::string p = entry.substr(slash + 1);
            if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos
                || std::stoul(p) > bits)
                throw std::invalid_argument("http.trusted_proxies: " + entry + " has a bad prefix length");
            n.prefix = static_cast<unsigned>(std::stoul(p));
        }
        _networks.push_back(n);
    }
}

bool TrustedProxies::trusts(const std::string& address) const
{
    Poco::Net::IPAddress a;
    if (_networks.empty() || !Poco::Net::IPAddress::tryParse(address, a))
        return false;
    for (const auto& n : _networks) {
        if (n.address.family() != a.family())
            continue;
        const Poco::Net::IPAddress mask(n.prefix, n.address.family());
        if ((a & mask) == (n.address & mask))
            return true;
    }
    return false;
}

std::string TrustedProxies::client(const std::string& peer, const RequestHead& head) const
{
    if (!trusts(peer))
        return peer;
    // Every X-Forwarded-For line, in order, as one list.
    std::vector<std::string> hops;
    for (const auto& [name, value] : head.fields) {
        if (Poco::icompare(name, "x-forwarded-for") != 0)
            continue;
        Poco::StringTokenizer tok(value, ",", Poco::StringTokenizer::TOK_TRIM);
        for (const auto& hop : tok)
            hops.push_back(hop);
    }
    std::string client = peer;
    for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
        Poco::Net::IPAddress parsed;
        if (!Poco::Net::IPAddress::tryParse(*hop, parsed))
            break;
        client = parsed.toString();
        if (!trusts(client))
            break;
    }
    return client;
}

} // namespace clinic
