// The cost of one before_book call with the shipped default script: the
// ctx conversion, the Lua call, the results' conversion and the decision's
// check, as the scheduling plugin pays it per booking. Not a test; run by hand:
//
//   build-rules/bin/rules_cost [calls per thread, default 100000] [threads, default 1]
//
// Prints the median and p99 of each call in microseconds, over every
// thread's calls together.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <Poco/File.h>
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
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;

    Poco::TemporaryFile dir;
    dir.createDirectories();
    {
        std::ifstream in(std::string(CLINICD_SOURCE_DIR) + "/lua/rules/default.lua");
        std::ofstream out(Poco::Path(dir.path(), "default.lua").toString());
        out << in.rdbuf();
    }
    clinic::rules::RuleEngineImpl engine(dir.path(), {}, nullptr);
    engine.declare(
        {"before_book", "booking ctx -> true | false, \"reason\"", clinic::RuleFailure::FailClosed},
        "scheduling");
    auto built = engine.reload();
    if (!built.ok) {
        std::fprintf(stderr, "default.lua: %s\n", built.error.text().c_str());
        return 1;
    }
    // A booking ctx as the scheduling plugin builds it (about 25 fields).
    const auto ctx = Poco::JSON::Parser()
                         .parse(R"({"start_local": "2026-11-24T10:00:00", "start_utc": "2026-11-24T08:00:00Z",
        "now_local": "2026-11-23T08:00:00", "now_utc": "2026-11-23T06:00:00Z", "weekday": 2,
        "minutes_until_start": 1560,
        "patient": {"id": 11, "age": 34, "sex": "F", "is_new": false, "allergies": ["penicillin"]},
        "doctor": {"id": 4, "name": "Dr Ionescu", "specialty": "general"},
        "service": {"id": 2, "name": "Consultation", "duration_min": 30, "price_minor": 20000},
        "location": {"id": 1, "name": "Central", "timezone": "Europe/Bucharest"},
        "actor": {"role": "receptionist"}})")
                         .extract<Poco::JSON::Object::Ptr>();

    std::vector<std::vector<double>> samples(static_cast<std::size_t>(threads));
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            auto& mine = samples[static_cast<std::size_t>(t)];
            mine.reserve(static_cast<std::size_t>(calls));
            clinic::decide(
                engine, "before_book", ctx); // builds this thread's state: not part of a call's cost
            for (long i = 0; i < calls; ++i) {
                const auto start = std::chrono::steady_clock::now();
                auto d = clinic::decide(engine, "before_book", ctx);
                const auto took = std::chrono::steady_clock::now() - start;
                if (!d.allowed || d.failed())
                    std::abort();
                mine.push_back(std::chrono::duration<double, std::micro>(took).count());
            }
        });
    }
    for (auto& w : workers)
        w.join();
    std::vector<double> all;
    for (const auto& s : samples)
        all.insert(all.end(), s.begin(), s.end());
    std::sort(all.begin(), all.end());
    const auto at
        = [&](double q) { return all[static_cast<std::size_t>(q * static_cast<double>(all.size() - 1))]; };
    std::printf(
        "before_book, default.lua: %ld calls x %d thread(s): median %.2f us, p99 %.2f us, max %.1f us\n",
        calls, threads, at(0.5), at(0.99), all.back());
    Poco::File(dir.path()).remove(true);
    return 0;
}
