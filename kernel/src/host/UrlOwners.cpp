#include "host/UrlOwners.h"

#include <stdexcept>

namespace clinic {

namespace {

std::vector<std::string> segmentsOf(const std::string& path)
{
    std::vector<std::string> out;
    std::size_t at = 1;
    while (at <= path.size()) {
        const auto slash = path.find('/', at);
        const auto end = slash == std::string::npos ? path.size() : slash;
        out.push_back(path.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

bool isParameter(const std::string& segment)
{
    return !segment.empty() && segment.front() == '{';
}

/// Whether path (route segments, parameters matching anything) lies under
/// prefix (literal segments).
bool under(const std::vector<std::string>& path, const std::vector<std::string>& prefix)
{
    if (path.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (path[i] != prefix[i] && !isParameter(path[i]))
            return false;
    return true;
}

} // namespace

void UrlOwners::declare(const std::string& plugin, const std::vector<std::string>& prefixes)
{
    std::vector<Prefix> mine;
    for (const auto& text : prefixes) {
        if (text.size() < 2 || text.front() != '/' || text.back() == '/'
            || text.find_first_of("{}?#*") != std::string::npos || text.find("//") != std::string::npos)
            throw std::invalid_argument("plugin " + plugin + " declares URL prefix \"" + text
                + "\"; a prefix is a literal absolute path without a trailing slash, as in /api/v1/"
                + plugin);
        Prefix prefix {plugin, text, segmentsOf(text)};
        for (const auto& other : _prefixes)
            if (other.plugin != plugin
                && (under(prefix.segments, other.segments) || under(other.segments, prefix.segments)))
                throw std::invalid_argument("plugin " + plugin + " declares URL prefix " + text
                    + ", which overlaps " + other.text + " of plugin " + other.plugin);
        mine.push_back(std::move(prefix));
    }
    for (auto& p : mine)
        _prefixes.push_back(std::move(p));
}

void UrlOwners::check(const std::string& plugin, const Route& route) const
{
    const auto segments = segmentsOf(route.pattern);
    for (const auto& p : _prefixes)
        if (p.plugin != plugin && under(segments, p.segments))
            throw std::invalid_argument("plugin " + plugin + " may not serve route " + route.method + " "
                + route.pattern + ": URL prefix " + p.text + " belongs to plugin " + p.plugin);
}

bool UrlOwners::owns(const std::string& plugin, const std::string& path) const
{
    if (path.empty() || path.front() != '/' || path.find_first_of("{}") != std::string::npos)
        return false;
    const auto segments = segmentsOf(path);
    for (const auto& p : _prefixes)
        if (p.plugin == plugin && under(segments, p.segments))
            return true;
    return false;
}

} // namespace clinic
