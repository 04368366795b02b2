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
        Poco::URI uri;
        try {
            uri = Poco::URI(url);
        } catch (const Poco::Exception& e) {
            throw std::invalid_argument("not a valid URL: " + e.message());
        }
        out.host = uri.getHost();
        if (out.host.empty())
            throw std::invalid_argument("mysql URL names no host (mysql://user:pass@host:3306/db)");
        out.port = uri.getPort() ? uri.getPort() : 3306;
        std::string userInfo = uri.getUserInfo();
        auto colon = userInfo.find(':');
        std::string user = userInfo.substr(0, colon);
        std::string password = colon == std::string::npos ? "" : userInfo.substr(colon + 1);
        Poco::URI::decode(user, out.user);
        Poco::URI::decode(password, out.password);
        std::string path = uri.getPath();
        out.database = path.size() > 1 ? path.substr(1) : "";
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
