#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "clinic/Http.h"

namespace clinic {

/// A route as the kernel keeps it: the declaration, its parsed pattern and
/// the plugin (or "kernel") that declared it.
struct RegisteredRoute {
    explicit RegisteredRoute(Route r)
        : route(std::move(r))
    {
    }
    Route route;
    std::string owner;
    struct Segment {
        bool isParam = false;
        std::string text; ///< literal text, or the parameter name
        std::string suffix; ///< literal after {name} in the same segment
    };
    std::vector<Segment> segments;
};

/// The outcome of matching a request path and method.
struct RouteMatch {
    const RegisteredRoute* route = nullptr; ///< null: no route for this method
    std::map<std::string, std::string> params;
    std::set<std::string> allowedMethods; ///< methods that would match the path (for 405)
};

/// Method + path-pattern routing. Routes are added while plugins start and
/// only read once HTTP serves, so matching takes no lock.
class RouterImpl {
public:
    /// Adds a route owned by owner. Throws std::invalid_argument on a bad
    /// pattern, an unknown method or a duplicate.
    void add(Route route, const std::string& owner);

    RouteMatch match(const std::string& method, const std::string& path) const;

    const std::vector<std::unique_ptr<RegisteredRoute>>& routes() const { return _routes; }

    /// Renders errors under prefix (Router::renderErrors). Throws
    /// std::invalid_argument if the prefix already has a renderer.
    void addErrorRenderer(const std::string& prefix, ErrorRenderer renderer, const std::string& owner);
    /// The renderer of the longest prefix the path lies under, or null.
    const ErrorRenderer* errorRenderer(const std::string& path) const;

    /// Splits a path into its segments ("/a/b" -> a, b).
    static std::vector<std::string> split(const std::string& path);

private:
    struct PrefixRenderer {
        std::string prefix;
        std::vector<std::string> segments;
        ErrorRenderer render;
        std::string owner;
    };
    std::vector<std::unique_ptr<RegisteredRoute>> _routes;
    std::vector<PrefixRenderer> _renderers;
};

/// The Router a plugin sees: routes go to the kernel's router under the
/// plugin's name only if the plugin starts successfully.
class StagedRouter : public Router {
public:
    void add(Route route) override;
    void renderErrors(const std::string& prefix, ErrorRenderer renderer) override;
    std::vector<Route>& staged() { return _staged; }
    std::vector<std::pair<std::string, ErrorRenderer>>& stagedRenderers() { return _renderers; }

private:
    std::vector<Route> _staged;
    std::vector<std::pair<std::string, ErrorRenderer>> _renderers;
};

} // namespace clinic
