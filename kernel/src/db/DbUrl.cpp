#include "db/DbUrl.h"

#include <stdexcept>

#include <Poco/NumberParser.h>
#include <Poco/URI.h>

namespace clinic {

namespace {

void rejectSeparators(const std::string& what, const std::string& value)
{
    // The Poco MySQL connection string is ;-separated name=value pairs.
    if (value.find(';') != std::string::npos || value.find('=') != std::string::npos)
        throw std::invalid_argument(what + " must not contain ';' or '='");
}

} // namespace

DbUrl DbUrl::parse(const std::string& url)
{
    DbUrl out;
    if (url.rfind("sqlite:", 0) == 0) {
        out.dialect = Dialect::SQLite;
        out.path = url.substr(7);
        if (out.path.rfind("//", 0) == 0)
            out.path = out.path.substr(2);
        if (out.path.empty())
            throw std::invalid_argument("sqlite: URL names no file (sqlite:/var/lib/clinicd/clinicd.db)");
        if (out.path == ":memory:")
            throw std::invalid_argument("an in-memory SQLite database cannot be shared by the session pool");
        return out;
    }
    if (url.rfind("mysql://", 0) == 0 || url.rfind("mariadb://", 0) == 0) {
        out.dialect = Dialect::MySQL;
        // Parsed by hand: user and password are split on the raw ':' before
        // percent-decoding, so an encoded ':' or '@' in a password survives.
        std::string rest = url.substr(url.find("://") + 3);
        auto slash = rest.find('/');
        std::string authority = rest.substr(0, slash);
        std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
        auto query = path.find('?');
        if (query != std::string::npos)
            path = path.substr(0, query);
        auto at = authority.rfind('@');
        std::string userInfo = at == std::string::npos ? "" : authority.substr(0, at);
        std::string hostPort = at == std::string::npos ? authority : authority.substr(at + 1);
        auto colon = userInfo.find(':');
        try {
            Poco::URI::decode(userInfo.substr(0, colon), out.user);
            if (colon != std::string::npos)
                Poco::URI::decode(userInfo.substr(colon + 1), out.password);
            Poco::URI::decode(path, out.database);
        } catch (const Poco::Exception&) {
            throw std::invalid_argument("bad percent-encoding in the URL");
        }
        auto portColon = hostPort.rfind(':');
        out.host = hostPort.substr(0, portColon);
        if (portColon != std::string::npos) {
            int port = 0;
            if (!Poco::NumberParser::tryParse(hostPort.substr(portColon + 1), port) || port < 1
                || port > 65535)
                throw std::invalid_argument("bad port in the URL");
            out.port = port;
        }
        if (out.host.empty())
            throw std::invalid_argument("mysql URL names no host (mysql://user:pass@host:3306/db)");
        if (out.database.empty() || out.database.find('/') != std::string::npos)
            throw std::invalid_argument("mysql URL names no database (mysql://user:pass@host:3306/db)");
        if (out.user.empty())
            throw std::invalid_argument("mysql URL names no user");
        rejectSeparators("the user", out.user);
        rejectSeparators("the password", out.password);
        rejectSeparators("the host", out.host);
        rejectSeparators("the database", out.database);
        return out;
    }
    throw std::invalid_argument(
        "\"" + redact(url) + "\" is neither sqlite:/path/file.db nor mysql://user:pass@host:port/db");
}

std::string DbUrl::connectionString() const
{
    if (dialect == Dialect::SQLite)
        return path;
    return "host=" + host + ";port=" + std::to_string(port) + ";user=" + user + ";password=" + password
        + ";db=" + database + ";character-set=utf8mb4";
}

std::string DbUrl::redact(const std::string& url)
{
    auto scheme = url.find("://");
    auto at = url.rfind('@');
    if (scheme == std::string::npos || at == std::string::npos || at < scheme)
        return url;
    auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at)
        return url;
    return url.substr(0, colon + 1) + "****" + url.substr(at);
}

} // namespace clinic
