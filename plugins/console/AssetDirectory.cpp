#include "AssetDirectory.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Timestamp.h>

namespace clinic::console {

namespace {

/// The console is HTML, scripts, styles and images: nothing else in the
/// directory is served, so a stray file (a backup, a README) never leaks.
const std::map<std::string, std::string>& contentTypes()
{
    static const std::map<std::string, std::string> types = {
        {"html", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json; charset=utf-8"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"ico", "image/x-icon"},
        {"txt", "text/plain; charset=utf-8"},
        {"woff2", "font/woff2"},
    };
    return types;
}

/// Assets are bigger than any page needs well before this.
constexpr off_t kMaxAssetBytes = 8 * 1024 * 1024;

std::string canonical(const std::string& path)
{
    char buffer[PATH_MAX];
    if (!::realpath(path.c_str(), buffer))
        return {};
    return buffer;
}

/// True when every segment of a relative name is an ordinary visible name:
/// no empty, "." or ".." segment, nothing starting with a dot, no
/// backslash and no control character. The router hands over the decoded
/// path, so "%2e%2e" and "%2f" arrive here already as ".." and "/".
bool plainName(const std::string& relative)
{
    if (relative.empty())
        return false;
    std::size_t start = 0;
    while (start <= relative.size()) {
        std::size_t slash = relative.find('/', start);
        if (slash == std::string::npos)
            slash = relative.size();
        const std::string segment = relative.substr(start, slash - start);
        if (segment.empty() || segment.front() == '.')
            return false;
        for (unsigned char c : segment)
            if (c < 0x20 || c == 0x7f || c == '\\')
                return false;
        start = slash + 1;
    }
    return true;
}

HttpError notFound(const std::string& path)
{
    HttpError error(404, "NOT_FOUND", "no such console file: " + path);
    for (const auto& header : AssetDirectory::securityHeaders())
        error.headers().push_back(header);
    return error;
}

std::string entityTag(const struct stat& info)
{
    std::ostringstream tag;
    tag << '"' << std::hex << info.st_size << '-' << info.st_mtim.tv_sec << '-' << info.st_mtim.tv_nsec
        << '"';
    return tag.str();
}

/// If-None-Match holds the tag (or "*"), in a list, weak or strong: a GET
/// compares weakly (RFC 9110 13.1.2).
bool matchesTag(const std::string& header, const std::string& tag)
{
    std::size_t start = 0;
    while (start < header.size()) {
        std::size_t comma = header.find(',', start);
        if (comma == std::string::npos)
            comma = header.size();
        std::string candidate = header.substr(start, comma - start);
        const auto first = candidate.find_first_not_of(" \t");
        const auto last = candidate.find_last_not_of(" \t");
        candidate = first == std::string::npos ? "" : candidate.substr(first, last - first + 1);
        if (candidate.rfind("W/", 0) == 0)
            candidate = candidate.substr(2);
        if (candidate == "*" || candidate == tag)
            return true;
        start = comma + 1;
    }
    return false;
}

bool notModifiedSince(const std::string& header, std::time_t modified)
{
    Poco::DateTime since;
    int zone = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, header, since, zone))
        return false;
    return modified <= since.timestamp().epochTime() - zone;
}

} // namespace

const std::vector<std::pair<std::string, std::string>>& AssetDirectory::securityHeaders()
{
    static const std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
    };
    return headers;
}

AssetDirectory::AssetDirectory(const std::string& root, std::string urlPrefix)
    : _root(canonical(root))
    , _prefix(std::move(urlPrefix))
{
    struct stat info { };
    if (_root.empty() || ::stat(_root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
        throw std::runtime_error("console.root: " + root + " is not a directory");
}

Response AssetDirectory::serve(const Request& req) const
{
    // "/console" without its slash would resolve the page's relative links
    // against "/": send the browser to the directory itself.
    if (req.path == _prefix) {
        Response moved;
        moved.status = 301;
        moved.contentType.clear();
        moved.headers.emplace_back("Location", _prefix + "/");
        for (const auto& header : securityHeaders())
            moved.headers.push_back(header);
        return moved;
    }
    if (req.path.rfind(_prefix + "/", 0) != 0)
        throw notFound(req.path);
    std::string relative = req.path.substr(_prefix.size() + 1);
    if (relative.empty())
        relative = "index.html";
    if (!plainName(relative))
        throw notFound(req.path);
    const auto dot = relative.rfind('.');
    const auto type
        = dot == std::string::npos ? contentTypes().end() : contentTypes().find(relative.substr(dot + 1));
    if (type == contentTypes().end())
        throw notFound(req.path);

    // A symbolic link may point anywhere: what counts is where the file
    // really is, and that must be inside the root.
    const std::string file = canonical(_root + "/" + relative);
    struct stat info { };
    if (file.empty() || file.rfind(_root + "/", 0) != 0 || ::stat(file.c_str(), &info) != 0
        || !S_ISREG(info.st_mode) || info.st_size > kMaxAssetBytes)
        throw notFound(req.path);

    Response res;
    res.contentType = type->second;
    for (const auto& header : securityHeaders())
        res.headers.push_back(header);
    const std::string tag = entityTag(info);
    res.headers.emplace_back("ETag", tag);
    res.headers.emplace_back("Last-Modified",
        Poco::DateTimeFormatter::format(
            Poco::Timestamp::fromEpochTime(info.st_mtim.tv_sec), Poco::DateTimeFormat::HTTP_FORMAT));
    // The page always asks whether it changed, so an upgrade reaches every
    // terminal on its next load; scripts and styles are kept a few minutes
    // between checks (they are not fingerprinted: there is no build step).
    const bool page = type->first == "html";
    res.headers.emplace_back("Cache-Control", page ? "no-cache" : "public, max-age=300");

    const auto ifNoneMatch = req.header("if-none-match");
    const auto ifModifiedSince = req.header("if-modified-since");
    const bool current = ifNoneMatch
        ? matchesTag(*ifNoneMatch, tag)
        : ifModifiedSince && notModifiedSince(*ifModifiedSince, info.st_mtim.tv_sec);
    if (current) {
        res.status = 304;
        return res;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in.good() && !in.eof())
        throw notFound(req.path);
    res.body = body.str();
    return res;
}

} // namespace clinic::console
