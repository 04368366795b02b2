// Many clients writing at once: the session pool and the write transactions
// (BEGIN IMMEDIATE on SQLite) must hold under load without losing or
// refusing a single write.

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "IntegrationSupport.h"

using namespace clinic::test;

class ConcurrencyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConcurrencyTest);
    CPPUNIT_TEST(sixteenClientsPostingFiftyNotesEachAllGet201AndAllAreStored);
    CPPUNIT_TEST(everyReturnedIdIsDistinctAndReadsBackItsOwnNote);
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

    /// The id in a 201 must be the row that request wrote, even with other
    /// writers committing in between (a SELECT MAX(id) would hand out
    /// another client's id under READ COMMITTED).
    void everyReturnedIdIsDistinctAndReadsBackItsOwnNote()
    {
        constexpr int kThreads = 8;
        constexpr int kEach = 40;
        Daemon::Options o;
        o.config["plugins.load"] = "example";
        Daemon d(o);

        std::mutex mutex;
        std::map<Poco::Int64, std::string> textById;
        std::vector<std::string> failures;
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                HttpClient c("127.0.0.1", d.port());
                for (int i = 0; i < kEach; ++i) {
                    const std::string text = "w" + std::to_string(t) + "-" + std::to_string(i);
                    auto r = c.post("/api/v1/example/notes", "{\"text\":\"" + text + "\"}");
                    std::lock_guard<std::mutex> lock(mutex);
                    if (r.status != 201) {
                        failures.push_back(text + ": " + std::to_string(r.status));
                        continue;
                    }
                    auto id = r.json()->getValue<Poco::Int64>("id");
                    if (!textById.emplace(id, text).second)
                        failures.push_back("id " + std::to_string(id) + " returned twice");
                }
            });
        }
        for (auto& t : threads)
            t.join();
        CPPUNIT_ASSERT_MESSAGE(failures.empty() ? "" : failures.front(), failures.empty());
        CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(kThreads * kEach), textById.size());
        HttpClient c("127.0.0.1", d.port());
        for (const auto& [id, text] : textById) {
            auto r = c.get("/api/v1/example/notes/" + std::to_string(id));
            CPPUNIT_ASSERT_EQUAL(200, r.status);
            CPPUNIT_ASSERT_EQUAL(text, r.json()->getValue<std::string>("text"));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConcurrencyTest);
