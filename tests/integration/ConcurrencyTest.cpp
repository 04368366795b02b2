// Many clients writing at once: the session pool and the write transactions
// (BEGIN IMMEDIATE on SQLite) must hold under load without losing or
// refusing a single write.

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "IntegrationSupport.h"

using namespace clinic::test;

class ConcurrencyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConcurrencyTest);
    CPPUNIT_TEST(sixteenClientsPostingFiftyNotesEachAllGet201AndAllAreStored);
    CPPUNIT_TEST_SUITE_END();

public:
    void sixteenClientsPostingFiftyNotesEachAllGet201AndAllAreStored()
    {
        constexpr int kThreads = 16;
        constexpr int kEach = 50;
        Daemon::Options o;
        o.config["plugins.load"] = "example";
        Daemon d(o);

        std::atomic<int> created {0};
        std::mutex mutex;
        std::vector<std::string> failures;
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                HttpClient c("127.0.0.1", d.port());
                for (int i = 0; i < kEach; ++i) {
                    const std::string text = "t" + std::to_string(t) + "-n" + std::to_string(i);
                    try {
                        auto r = c.post("/api/v1/example/notes", "{\"text\":\"" + text + "\"}");
                        if (r.status == 201 && r.json()->getValue<std::string>("text") == text) {
                            ++created;
                            continue;
                        }
                        std::lock_guard<std::mutex> lock(mutex);
                        failures.push_back(text + ": " + std::to_string(r.status) + " " + r.body);
                    } catch (const std::exception& e) {
                        std::lock_guard<std::mutex> lock(mutex);
                        failures.push_back(text + ": " + e.what());
                    }
                }
            });
        }
        for (auto& t : threads)
            t.join();

        std::string firstFailures;
        for (std::size_t i = 0; i < failures.size() && i < 5; ++i)
            firstFailures += failures[i] + "\n";
        CPPUNIT_ASSERT_EQUAL_MESSAGE(firstFailures, kThreads * kEach, created.load());
        CPPUNIT_ASSERT_EQUAL(static_cast<long>(kThreads * kEach), countNotes(d));
        assertStillServing(d);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConcurrencyTest);
