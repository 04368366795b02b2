// Paths come straight from the network: matching any path against a router
// with literal, parameter and suffix segments must never crash, and a match
// must only hand out parameters its pattern declares.

#include <cstdint>
#include <string>

#include "http/RouterImpl.h"

namespace {

clinic::RouterImpl& router()
{
    static clinic::RouterImpl r = [] {
        clinic::RouterImpl built;
        auto ok = [](clinic::Request&) { return clinic::Response::noContent(); };
        for (const char* pattern : {"/health/live", "/api/v1/patients", "/api/v1/patients/{id}",
                 "/api/v1/patients/{id}/documents/{doc_id}/content", "/api/v1/appointments/{id}",
                 "/api/v1/appointments/{id}.ics", "/api/v1/doctors/{id}/calendar.ics"})
            built.add(clinic::Route("GET", pattern, clinic::Access::open(), ok, ""), "fuzz");
        built.add(clinic::Route("POST", "/api/v1/appointments/{id}/cancel", clinic::Access::open(), ok, ""),
            "fuzz");
        return built;
    }();
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string input(reinterpret_cast<const char*>(data), size);
    auto split = input.find('\n');
    std::string method = split == std::string::npos ? "GET" : input.substr(0, split);
    std::string path = split == std::string::npos ? input : input.substr(split + 1);
    auto match = router().match(method, path);
    if (match.route) {
        for (const auto& [name, value] : match.params) {
            bool declared = false;
            for (const auto& seg : match.route->segments)
                declared = declared || (seg.isParam && seg.text == name);
            if (!declared || value.find('/') != std::string::npos)
                __builtin_trap();
        }
    }
    return 0;
}
