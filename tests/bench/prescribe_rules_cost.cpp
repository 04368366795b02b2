// The cost of one before_prescribe call with the three example scripts of
// lua/examples loaded (allergy by ATC class, duplicate therapy, children's
// dose by weight): the ctx conversion, the Lua calls through the chain, and
// the answer's conversion, as the prescriptions plugin pays it per
// prescription. Not a test; tests/bench/prescriptions_bench.sh runs it:
//
//   build/bin/prescribe_rules_cost [calls, default 100000] [active items, default 10]
//
// Prints the median and p99 of each call in microseconds.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>

#include "rules/RuleEngineImpl.h"

#ifndef CLINICD_SOURCE_DIR
#define CLINICD_SOURCE_DIR "."
#endif

int main(int argc, char** argv)
{
    const long calls = argc > 1 ? std::atol(argv[1]) : 100000;
    const int activeItems = argc > 2 ? std::atoi(argv[2]) : 10;

    Poco::TemporaryFile dir;
    dir.createDirectories();
    for (const char* name : {"penicillin_allergy", "duplicate_therapy", "child_dose"}) {
        std::ifstream in(std::string(CLINICD_SOURCE_DIR) + "/lua/examples/" + name + ".lua");
        std::ofstream out(Poco::Path(dir.path(), std::string("rx-") + name + ".lua").toString());
        out << in.rdbuf();
    }
    clinic::rules::RuleEngineImpl engine(dir.path(), {}, nullptr);
    engine.declare({"before_prescribe", "prescription ctx -> true | false, \"reason\" | {warnings}",
                       clinic::RuleFailure::FailClosed},
        "prescriptions");
    auto built = engine.reload();
    if (!built.ok) {
        std::fprintf(stderr, "examples: %s\n", built.error.text().c_str());
        return 1;
    }
    // A child's prescription of two catalogue items, with an allergy on
    // record and activeItems items of other groups already active: every
    // script runs its whole loop and the answer is "allowed".
    auto ctx = Poco::JSON::Parser()
                   .parse(R"json({"patient": {"id": 11, "age": 8, "sex": "F", "birth_date": "2018-09-01",
        "weight_kg": 24.5, "weight_taken_at": "2027-02-20T09:00:00Z", "allergies": ["penicillin (rash)", "pollen"]
}
,
        "doctor": {"id": 4, "name": "Dr. Elena Ionescu", "specialty": "pediatrics"},
        "items": [
          {"drug_id": 9, "drug": "Paracetamol", "free_text": false, "substance": "paracetamol", "atc": "N02BE01",
           "form": "oral suspension", "strength": "120 mg/5 ml", "dose": "240 mg", "route": "oral",
           "frequency": "4 times a day", "duration_days": 5, "quantity": 1, "refills": 0,
           "dose_mg": 240, "doses_per_day": 4, "daily_mg": 960},
          {"drug_id": 5, "drug": "Azithromycin", "free_text": false, "substance": "azithromycin", "atc": "J01FA10",
           "form": "tablet", "strength": "500 mg", "dose": "250 mg", "route": "oral",
           "frequency": "once a day", "duration_days": 3, "quantity": 3, "refills": 0, "dose_mg": 250}],
        "active": []})json")
                   .extract<Poco::JSON::Object::Ptr>();
    Poco::JSON::Array::Ptr active = ctx->getArray("active");
    const char* groups[] = {"R06AE07", "A02BC01", "C09AA02", "H03AA01", "R03AC02"};
    for (int i = 0; i < activeItems; ++i) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("prescription_id", 100 + i);
        item->set("drug", "Active drug");
        item->set("substance", "substance");
        item->set("atc", groups[i % 5]);
        item->set("issued_at", "2027-02-01T09:00:00Z");
        item->set("ends_at", "2027-04-01T09:00:00Z");
        active->add(item);
    }

    clinic::RuleEngine& rules = engine;
    std::vector<double> all;
    all.reserve(static_cast<std::size_t>(calls));
    rules.call("before_prescribe", ctx); // builds this thread's state: not part of a call's cost
    for (long i = 0; i < calls; ++i) {
        const auto start = std::chrono::steady_clock::now();
        auto answer = rules.call("before_prescribe", ctx);
        const auto took = std::chrono::steady_clock::now() - start;
        if (answer.failed() || answer.luaTypes.empty() || answer.luaTypes[0] != "boolean") {
            std::fprintf(stderr, "unexpected answer: %s\n", answer.error.c_str());
            return 1;
        }
        all.push_back(std::chrono::duration<double, std::micro>(took).count());
    }
    std::sort(all.begin(), all.end());
    const auto at
        = [&](double q) { return all[static_cast<std::size_t>(q * static_cast<double>(all.size() - 1))]; };
    std::printf("before_prescribe, 3 example scripts, 2 items, %d active items: %ld calls: median %.1f us, "
                "p99 %.1f us, max %.0f us\n",
        activeItems, calls, at(0.5), at(0.99), all.back());
    Poco::File(dir.path()).remove(true);
    return 0;
}
