#include "http/RouterImpl.h"

#include <algorithm>
#include <stdexcept>

namespace clinic {

namespace {

const std::set<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};

bool validName(const std::string& s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
            return false;
    return true;
}

RegisteredRoute::Segment parseSegment(const std::string& seg, const std::string& pattern)
{
    RegisteredRoute::Segment out;
    if (seg.empty() || seg.front() != '{') {
        if (seg.find('{') != std::string::npos || seg.find('}') != std::string::npos)
            throw std::invalid_argument("route " + pattern + ": a parameter must start its segment");
        out.text = seg;
        return out;
    }
    auto close = seg.find('}');
    if (close == std::string::npos)
        throw std::invalid_argument("route " + pattern + ": unclosed {");
    out.isParam = true;
    out.text = seg.substr(1, close - 1);
    out.suffix = seg.substr(close + 1);
    if (!validName(out.text) || out.suffix.find_first_of("{}") != std::string::npos)
        throw std::invalid_argument("route " + pattern + ": bad parameter " + seg);
    return out;
}

} // namespace

std::vector<std::string> RouterImpl::split(const std::string& path)
{
    std::vector<std::string> out;
    std::string current;
    for (char c : path) {
        if (c == '/') {
            if (!current.empty())
                out.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty())
        out.push_back(current);
    return out;
}

void RouterImpl::add(Route route, const std::string& owner)
{
    if (!kMethods.count(route.method))
        throw std::invalid_argument("route " + route.pattern + ": unknown method " + route.method);
    if (route.pattern.empty() || route.pattern.front() != '/')
        throw std::invalid_argument("route " + route.pattern + ": must start with /");
    if (!route.handler)
        throw std::invalid_argument("route " + route.method + " " + route.pattern + ": no handler");
    auto entry = std::make_unique<RegisteredRoute>(route);
    std::set<std::string> names;
    for (const auto& seg : split(route.pattern)) {
        entry->segments.push_back(parseSegment(seg, route.pattern));
        if (entry->segments.back().isParam && !names.insert(entry->segments.back().text).second)
            throw std::invalid_argument("route " + route.pattern + ": parameter named twice");
    }
    for (const auto& existing : _routes)
        if (existing->route.method == route.method && existing->route.pattern == route.pattern)
            throw std::invalid_argument(
                "route " + route.method + " " + route.pattern + " is already declared by " + existing->owner);
    entry->owner = owner;
    _routes.push_back(std::move(entry));
}

RouteMatch RouterImpl::match(const std::string& method, const std::string& path) const
{
    const auto parts = split(path);
    RouteMatch best;
    int bestScore = -1;
    for (const auto& r : _routes) {
        if (r->segments.size() != parts.size())
            continue;
        int score = 0;
        std::map<std::string, std::string> params;
        bool ok = true;
        for (std::size_t i = 0; i < parts.size() && ok; ++i) {
            const auto& seg = r->segments[i];
            const auto& part = parts[i];
            if (!seg.isParam) {
                ok = seg.text == part;
                score += 4;
            } else if (!seg.suffix.empty()) {
                ok = part.size() > seg.suffix.size()
                    && part.compare(part.size() - seg.suffix.size(), seg.suffix.size(), seg.suffix) == 0;
                if (ok)
                    params[seg.text] = part.substr(0, part.size() - seg.suffix.size());
                score += 2;
            } else {
                params[seg.text] = part;
                score += 1;
            }
        }
        if (!ok)
            continue;
        best.allowedMethods.insert(r->route.method);
        if (r->route.method == method && score > bestScore) {
            bestScore = score;
            best.route = r.get();
            best.params = std::move(params);
        }
    }
    return best;
}

void RouterImpl::addErrorRenderer(const std::string& prefix, ErrorRenderer renderer, const std::string& owner)
{
    if (!renderer)
        throw std::invalid_argument("error renderer for " + prefix + ": none given");
    for (const auto& r : _renderers)
        if (r.prefix == prefix)
            throw std::invalid_argument("errors under " + prefix + " are already rendered by " + r.owner);
    _renderers.push_back({prefix, split(prefix), std::move(renderer), owner});
}

const ErrorRenderer* RouterImpl::errorRenderer(const std::string& path) const
{
    if (_renderers.empty())
        return nullptr;
    const auto parts = split(path);
    const PrefixRenderer* best = nullptr;
    for (const auto& r : _renderers) {
        if (r.segments.size() > parts.size()
            || !std::equal(r.segments.begin(), r.segments.end(), parts.begin()))
            continue;
        if (!best || r.segments.size() > best->segments.size())
            best = &r;
    }
    return best ? &best->render : nullptr;
}

void StagedRouter::add(Route route)
{
    _staged.push_back(std::move(route));
}

void StagedRouter::renderErrors(const std::string& prefix, ErrorRenderer renderer)
{
    _renderers.emplace_back(prefix, std::move(renderer));
}

} // namespace clinic
