// A test-only plugin: declares "chart.noted" with the Clinical audience and
// publishes it about a patient on POST /api/v1/streamtest/clinical
// {"patient_id": N}, so the stream suites can see who a clinical change
// reaches. Built into the build's plugin directory, never installed.

#include <atomic>

#include <Poco/JSON/Parser.h>

#include "clinic/Database.h"
#include "clinic/Events.h"
#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"

namespace {

using namespace clinic;

class StreamTestPlugin : public Plugin {
public:
    std::string name() const override { return "streamtest"; }
    std::string version() const override { return "0.0.1"; }

    void start(Host& host) override
    {
        host.events().declare(
            "chart.noted", EventVisibility {EventAudience::Clinical, {"patient_id", "note_id"}});
        host.router().add({"POST", "/api/v1/streamtest/clinical", Access::authenticated(),
            [&host, this](Request& req) {
                auto body = Poco::JSON::Parser().parse(req.body).extract<Poco::JSON::Object::Ptr>();
                auto payload = makeObject();
                payload->set("patient_id", body->getValue<Poco::Int64>("patient_id"));
                payload->set("note_id", static_cast<Poco::Int64>(++_notes));
                payload->set("text", "clinical detail the stream never shows");
                host.database().transact([&](Transaction& tx) {
                    host.events().publish(tx, Event {"chart.noted", payload});
                });
                return Response::json(payload);
            },
            "streamtest: publish a clinical event about a patient"});
    }

private:
    std::atomic<std::int64_t> _notes {0};
};

} // namespace

CLINIC_PLUGIN(StreamTestPlugin)
