#pragma once

// The service startorder_provider publishes and startorder_consumer needs.

#include <string>

namespace clinic::startorder {

struct Token {
    std::string publishedBy;
};

constexpr const char* kServiceName = "startorder_provider.token.v1";

} // namespace clinic::startorder
