// A test-only plugin: subscribes to every event ("*") and answers
// GET /api/v1/eventstest/received with what it heard, in order:
// {"items": [{"type": "...", "payload": {...}}]}. The event payload suite
// compares those payloads with the tables in the publishers' READMEs.
// Built into the build's plugin directory, never installed.

#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

#include <Poco/JSON/Parser.h>

#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"

namespace {

using namespace clinic;

class EventsTestPlugin : public Plugin {
public:
    std::string name() const override { return "eventstest"; }
    std::string version() const override { return "0.0.1"; }

    void start(Host& host) override
    {
        host.events().subscribe("*", [this](const Event& event) {
            // Kept as text: the publisher's object is not ours to hold on to.
            std::ostringstream payload;
            if (event.payload)
                event.payload->stringify(payload);
            else
                payload << "null";
            std::lock_guard<std::mutex> lock(_mutex);
            _heard.emplace_back(event.type, payload.str());
        });
        host.router().add({"GET", "/api/v1/eventstest/received", Access::open(),
            [this](Request&) {
                Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
                std::lock_guard<std::mutex> lock(_mutex);
                for (const auto& [type, payload] : _heard) {
                    auto item = makeObject();
                    item->set("type", type);
                    item->set("payload", Poco::JSON::Parser().parse(payload));
                    items->add(item);
                }
                auto out = makeObject();
                out->set("items", items);
                return Response::json(out);
            },
            "eventstest: every event heard so far, in order"});
    }

private:
    std::mutex _mutex;
    std::vector<std::pair<std::string, std::string>> _heard;
};

} // namespace

CLINIC_PLUGIN(EventsTestPlugin)
