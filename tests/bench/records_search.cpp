// Patient search latency with 100,000 patients stored, through the real
// clinicd (HTTP, access check, audit row per search included), on the
// backend named by CLINICD_TEST_BACKEND. Prints one line per kind of query
// and one overall:
//   records_search backend=sqlite patients=100000 kind=name n=... p50_ms=... p99_ms=...
// Run it with tests/bench/records_search.sh.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>

#include "IdentityTestSupport.h"
#include "MariaDbServer.h"
#include "RecordChecks.h"

using namespace clinic::test;

namespace {

const char* const kLast[] = {"Popescu", "Ionescu", "Popa", "Pop", "Radu", "Dumitru", "Stan", "Stoica",
    "Gheorghe", "Matei", "Ciobanu", "Rusu", "Munteanu", "Constantin", "Marin", "Mihai", "Florea", "Dinu",
    "Lazăr", "Ștefănescu", "Țurcanu", "Bălan", "Șerban", "Toma", "Nistor", "Moldovan", "Dobre", "Barbu",
    "Nedelcu", "Zamfir", "Oprea", "Voicu", "Enache", "Cristea", "Ene", "Ilie", "Dragomir", "Tudor", "Preda",
    "Neagu", "Avram", "Manole", "Iordache", "Vasile", "Niculescu", "Sandu", "Lungu", "Anghel", "Costea",
    "Georgescu"};
const char* const kFirst[] = {"Maria", "Elena", "Ioana", "Andreea", "Ana", "Mihaela", "Cristina", "Alexandra",
    "Gabriela", "Daniela", "Ion", "Andrei", "Alexandru", "Mihai", "Gheorghe", "Constantin", "Ștefan",
    "Vasile", "Nicolae", "Florin", "Răzvan", "Bogdan", "Cătălin", "Adrian", "Marius", "Ionuț", "Sorin",
    "Radu", "Dan", "Tudor"};

std::string quoted(const std::string& s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

} // namespace

int main()
{
    if (backend() == "mariadb")
        MariaDbServer::shared();
    const int patients
        = std::getenv("RECORDS_BENCH_PATIENTS") ? std::atoi(std::getenv("RECORDS_BENCH_PATIENTS")) : 100000;
    const int queries
        = std::getenv("RECORDS_BENCH_QUERIES") ? std::atoi(std::getenv("RECORDS_BENCH_QUERIES")) : 2000;
    int rc = 0;
    {
        Daemon::Options o;
        o.config["plugins.load"] = "records";
        o.config["auth.rate_limit_per_minute"] = "0";
        o.config["log.level"] = "warning";
        Daemon d(o);
        auto c = d.client();
        Account admin = firstAdmin(d, c);

        // Bulk insert straight into the table (the same keys the plugin computes),
        // in one transaction: the API would take minutes for 100,000.
        std::mt19937 rng(42);
        const auto started = std::chrono::steady_clock::now();
        std::ostringstream sqlText;
        sqlText << (backend() == "mariadb" ? "START TRANSACTION;\n" : "BEGIN;\n");
        for (int i = 0; i < patients; ++i) {
            if (i % 1000 == 0) {
                if (i)
                    sqlText << ";\n";
                sqlText
                    << "INSERT INTO records_patients (first_name, last_name, first_name_key, last_name_key,"
                       " birth_date, sex, phone, phone_key, email, national_id, language, allergies, "
                       "created_at,"
                       " updated_at) VALUES ";
            } else {
                sqlText << ",";
            }
            const std::string first = kFirst[rng() % (sizeof kFirst / sizeof *kFirst)];
            // Suffixes spread the surnames as in a real register (many distinct ones).
            std::string last = kLast[rng() % (sizeof kLast / sizeof *kLast)];
            if (rng() % 3 == 0)
                last += "-" + std::string(kLast[rng() % (sizeof kLast / sizeof *kLast)]);
            char birth[11];
            std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", 1930 + static_cast<int>(rng() % 90),
                1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
            const std::string phone = "07" + std::to_string(20000000 + static_cast<int>(rng() % 79999999));
            const std::string nid = std::to_string(1000000000000LL + i);
            sqlText << "(" << quoted(first) << "," << quoted(last) << "," << quoted(records::nameKey(first))
                    << "," << quoted(records::nameKey(last)) << "," << quoted(birth) << ",'other',"
                    << quoted(phone) << "," << quoted(phone) << ",''," << quoted(nid) << ",'ro','[]',0,0)";
        }
        sqlText << ";\nCOMMIT;\n";
        if (backend() == "mariadb")
            sqlText << "ANALYZE TABLE records_patients;\n";
        else
            sqlText << "ANALYZE;\n";
        auto loaded = runSql(d, sqlText.str());
        if (!loaded.first) {
            std::cerr << "bulk insert failed: " << loaded.second.substr(0, 2000) << "\n";
            return 1;
        }
        const double loadSeconds
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cout << "records_search backend=" << backend() << " patients=" << patients
                  << " bulk_insert_s=" << loadSeconds << "\n";
        if (backend() == "sqlite") {
            // The statement PatientDirectory::search builds for a one-word name.
            auto plan = runSql(d,
                "EXPLAIN QUERY PLAN SELECT * FROM records_patients WHERE id IN (SELECT id FROM (SELECT id "
                "FROM "
                "records_patients WHERE last_name_key >= 'pop' AND last_name_key < 'pop\xF4\x8F\xBF\xBF' AND "
                "id + 0 "
                "> 0 UNION SELECT id FROM records_patients WHERE first_name_key >= 'pop' AND first_name_key "
                "< "
                "'pop\xF4\x8F\xBF\xBF' AND id + 0 > 0 ORDER BY id LIMIT 51) hits) ORDER BY id;");
            std::cout << "records_search plan (name prefix):\n" << plan.second;
        }

        // A mix of what reception types.
        const char* const kinds[] = {"name", "full_name", "phone", "birth_date", "national_id"};
        std::map<std::string, std::vector<double>> latencies;
        std::vector<double> all;
        const auto auth = bearer(admin.accessToken);
        for (int i = 0; i < queries; ++i) {
            const std::string kind = kinds[i % 5];
            std::string q;
            if (kind == "name") {
                std::string last = kLast[rng() % (sizeof kLast / sizeof *kLast)];
                q = records::nameKey(last).substr(0, 3 + rng() % 3);
            } else if (kind == "full_name") {
                q = std::string(kFirst[rng() % (sizeof kFirst / sizeof *kFirst)]) + "%20"
                    + kLast[rng() % (sizeof kLast / sizeof *kLast)];
            } else if (kind == "phone") {
                q = "07" + std::to_string(20000 + rng() % 79999);
            } else if (kind == "birth_date") {
                char birth[11];
                std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", 1930 + static_cast<int>(rng() % 90),
                    1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
                q = birth;
            } else {
                q = std::to_string(
                    1000000000000LL + static_cast<long long>(rng() % static_cast<unsigned>(patients)));
            }
            std::string encoded;
            for (unsigned char ch : q) {
                char buf[4];
                if (ch >= 0x80) {
                    std::snprintf(buf, sizeof buf, "%%%02X", ch);
                    encoded += buf;
                } else {
                    encoded += static_cast<char>(ch);
                }
            }
            const auto t0 = std::chrono::steady_clock::now();
            auto r = c.get("/api/v1/patients?q=" + encoded, auth);
            const double ms
                = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            if (r.status != 200) {
                std::cerr << "search " << q << " answered " << r.status << " " << r.body.substr(0, 300)
                          << "\n";
                rc = 1;
                break;
            }
            latencies[kind].push_back(ms);
            all.push_back(ms);
        }
        std::cout.setf(std::ios::fixed);
        std::cout.precision(2);
        for (const auto& [kind, v] : latencies)
            std::cout << "records_search backend=" << backend() << " patients=" << patients
                      << " kind=" << kind << " n=" << v.size() << " p50_ms=" << percentile(v, 0.50)
                      << " p99_ms=" << percentile(v, 0.99) << "\n";
        if (!all.empty())
            std::cout << "records_search backend=" << backend() << " patients=" << patients
                      << " kind=all n=" << all.size() << " p50_ms=" << percentile(all, 0.50)
                      << " p99_ms=" << percentile(all, 0.99) << "\n";
    }
    if (backend() == "mariadb")
        MariaDbServer::stopShared();
    return rc;
}
