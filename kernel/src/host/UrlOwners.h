#pragma once

#include <string>
#include <vector>

#include "clinic/Http.h"

namespace clinic {

/// Which plugin owns which URL prefix (Plugin::urlPrefixes()). A prefix is
/// whole path segments: /api/v1/doctors owns /api/v1/doctors and
/// /api/v1/doctors/{id}, not /api/v1/doctorsx.
class UrlOwners {
public:
    /// Records plugin's prefixes. Throws, naming both plugins, if one
    /// overlaps (equals, contains or lies under) another plugin's, and on a
    /// prefix that is not a literal absolute path.
    void declare(const std::string& plugin, const std::vector<std::string>& prefixes);

    /// Throws, naming both plugins, if the route lies under a prefix another
    /// plugin declared. A {parameter} segment of the route counts as
    /// matching any text there, so a route cannot reach into another
    /// plugin's space through a parameter.
    void check(const std::string& plugin, const Route& route) const;

    /// Whether path (literal segments) is one of plugin's prefixes or lies
    /// under one.
    bool owns(const std::string& plugin, const std::string& path) const;

private:
    struct Prefix {
        std::string plugin;
        std::string text;
        std::vector<std::string> segments;
    };
    std::vector<Prefix> _prefixes;
};

} // namespace clinic
