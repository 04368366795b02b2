#pragma once

// Rule engines over a temporary rules.dir, and ctx objects built from JSON,
// for the rule engine's unit suites.

#include <memory>
#include <string>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "TestSupport.h"
#include "rules/RuleEngineImpl.h"

namespace clinic::test {

inline Poco::JSON::Object::Ptr ctxFrom(const std::string& json)
{
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

/// A rules.dir with the given scripts and an engine serving them.
struct RulesFixture {
    TempDir dir;
    std::unique_ptr<rules::RuleEngineImpl> engine;

    explicit RulesFixture(rules::SandboxLimits limits = {})
    {
        engine = std::make_unique<rules::RuleEngineImpl>(dir.path(), limits, nullptr);
    }

    void write(const std::string& name, const std::string& source) { writeFile(dir.file(name), source); }

    /// Writes one script and loads it; fails the test if it does not load.
    rules::RuleBuild load(const std::string& name, const std::string& source)
    {
        write(name, source);
        return engine->reload();
    }
};

} // namespace clinic::test
