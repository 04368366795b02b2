// The shipped files clinicctl and operators rely on: conf/clinicd.properties
// documents every configuration key, and data/demo is the demo clinic the
// scheduling plugin will load.

#include <cppunit/extensions/HelperMacros.h>

#include <regex>
#include <set>
#include <sstream>

#include <Poco/JSON/Parser.h>

#include "TestSupport.h"
#include "config/Settings.h"

using namespace clinic::test;

namespace {

Poco::JSON::Array::Ptr demoArray(const std::string& name)
{
    Poco::JSON::Parser parser;
    auto parsed = parser.parse(readFile(sourceDir() + "/data/demo/" + name));
    auto array = parsed.extract<Poco::JSON::Array::Ptr>();
    if (!array)
        throw std::runtime_error(name + " is not a JSON array");
    return array;
}

int minutes(const std::string& hhmm)
{
    std::smatch m;
    static const std::regex time("([01][0-9]|2[0-3]):([0-5][0-9])");
    if (!std::regex_match(hhmm, m, time))
        throw std::runtime_error("\"" + hhmm + "\" is not HH:MM");
    return std::stoi(m[1]) * 60 + std::stoi(m[2]);
}

} // namespace

class CliFilesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CliFilesTest);
    CPPUNIT_TEST(everyCatalogueKeyIsDocumentedInTheShippedConfig);
    CPPUNIT_TEST(theShippedConfigAndTheMariaDbExampleAreValid);
    CPPUNIT_TEST(demoClinicHasTwoBucharestLocationsSixDoctorsFourSpecialties);
    CPPUNIT_TEST(demoServicesArePricedInBani);
    CPPUNIT_TEST(demoReferencesResolveAndHoursFitTheOpeningHours);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyCatalogueKeyIsDocumentedInTheShippedConfig()
    {
        const std::string text = readFile(sourceDir() + "/conf/clinicd.properties");
        for (const auto& spec : clinic::Settings::catalogue()) {
            std::string quoted = std::regex_replace(spec.key, std::regex("\\."), "\\.");
            std::regex line("(^|\n)#? ?" + quoted + " =");
            CPPUNIT_ASSERT_MESSAGE(
                spec.key + " is not documented in conf/clinicd.properties", std::regex_search(text, line));
        }
    }

    void theShippedConfigAndTheMariaDbExampleAreValid()
    {
        const std::map<std::string, std::string> noEnv;
        for (const std::string file : {"conf/clinicd.properties", "conf/examples/mysql.properties"}) {
            auto config = clinic::Settings::load(sourceDir() + "/" + file, {}, &noEnv);
            auto problems = clinic::Settings::validate(*config);
            std::string all;
            for (const auto& p : problems)
                all += p + "; ";
            CPPUNIT_ASSERT_MESSAGE(file + ": " + all, problems.empty());
        }
        auto shipped = clinic::Settings::load(sourceDir() + "/conf/clinicd.properties", {}, &noEnv);
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite:/var/lib/clinicd/clinicd.db"), shipped->getString("db.url"));
        CPPUNIT_ASSERT_EQUAL(std::string("/usr/share/clinicd/demo"), shipped->getString("demo.dir"));
        // A fresh install serves: the product's plugins, not the template.
        CPPUNIT_ASSERT_EQUAL(std::string("scheduling,records,prescriptions,notifications,metrics,console,fhir,reviews,staffaccess"),
            shipped->getString("plugins.load"));
    }

    void demoClinicHasTwoBucharestLocationsSixDoctorsFourSpecialties()
    {
        auto locations = demoArray("locations.json");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), locations->size());
        for (std::size_t i = 0; i < locations->size(); ++i) {
            auto l = locations->getObject(static_cast<unsigned>(i));
            CPPUNIT_ASSERT_EQUAL(std::string("Europe/Bucharest"), l->getValue<std::string>("timezone"));
            for (const char* field : {"key", "name", "address", "city", "county"})
                CPPUNIT_ASSERT_MESSAGE(field, !l->getValue<std::string>(field).empty());
        }
        auto doctors = demoArray("doctors.json");
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), doctors->size());
        std::set<std::string> specialties;
        for (std::size_t i = 0; i < doctors->size(); ++i)
            specialties.insert(
                doctors->getObject(static_cast<unsigned>(i))->getValue<std::string>("specialty"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), specialties.size());
    }

    void demoServicesArePricedInBani()
    {
        auto services = demoArray("services.json");
        CPPUNIT_ASSERT(services->size() >= 4);
        for (std::size_t i = 0; i < services->size(); ++i) {
            auto s = services->getObject(static_cast<unsigned>(i));
            CPPUNIT_ASSERT_EQUAL(std::string("RON"), s->getValue<std::string>("currency"));
            CPPUNIT_ASSERT(s->get("price_minor").isInteger() && s->getValue<int>("price_minor") > 0);
            CPPUNIT_ASSERT(s->get("duration_min").isInteger() && s->getValue<int>("duration_min") > 0);
            CPPUNIT_ASSERT(!s->getValue<std::string>("name").empty());
            CPPUNIT_ASSERT(!s->getValue<std::string>("department").empty());
        }
    }

    void demoReferencesResolveAndHoursFitTheOpeningHours()
    {
        std::set<std::string> keys;
        // location key -> weekday -> [open, close) in minutes
        std::map<std::string, std::map<int, std::pair<int, int>>> opening;
        auto locations = demoArray("locations.json");
        for (std::size_t i = 0; i < locations->size(); ++i) {
            auto l = locations->getObject(static_cast<unsigned>(i));
            const auto key = l->getValue<std::string>("key");
            CPPUNIT_ASSERT_MESSAGE("duplicate key " + key, keys.insert(key).second);
            auto hours = l->getArray("opening_hours");
            for (std::size_t h = 0; h < hours->size(); ++h) {
                auto o = hours->getObject(static_cast<unsigned>(h));
                opening[key][o->getValue<int>("weekday")]
                    = {minutes(o->getValue<std::string>("start")), minutes(o->getValue<std::string>("end"))};
            }
        }
        std::set<std::string> services;
        auto serviceArray = demoArray("services.json");
        for (std::size_t i = 0; i < serviceArray->size(); ++i) {
            const auto key = serviceArray->getObject(static_cast<unsigned>(i))->getValue<std::string>("key");
            CPPUNIT_ASSERT_MESSAGE(
                "duplicate key " + key, keys.insert(key).second && services.insert(key).second);
        }
        auto doctors = demoArray("doctors.json");
        for (std::size_t i = 0; i < doctors->size(); ++i) {
            auto d = doctors->getObject(static_cast<unsigned>(i));
            const auto key = d->getValue<std::string>("key");
            CPPUNIT_ASSERT_MESSAGE("duplicate key " + key, keys.insert(key).second);
            CPPUNIT_ASSERT_MESSAGE(key, opening.count(d->getValue<std::string>("location_key")));
            auto offered = d->getArray("service_keys");
            CPPUNIT_ASSERT_MESSAGE(key, offered->size() > 0);
            for (std::size_t s = 0; s < offered->size(); ++s)
                CPPUNIT_ASSERT_MESSAGE(
                    key, services.count(offered->getElement<std::string>(static_cast<unsigned>(s))));
            std::map<int, std::vector<std::pair<int, int>>> week;
            auto hours = d->getArray("hours");
            CPPUNIT_ASSERT_MESSAGE(key, hours->size() > 0);
            for (std::size_t h = 0; h < hours->size(); ++h) {
                auto period = hours->getObject(static_cast<unsigned>(h));
                const int weekday = period->getValue<int>("weekday");
                const int start = minutes(period->getValue<std::string>("start"));
                const int end = minutes(period->getValue<std::string>("end"));
                const auto where = period->getValue<std::string>("location_key");
                CPPUNIT_ASSERT_MESSAGE(key, weekday >= 1 && weekday <= 7 && start < end);
                CPPUNIT_ASSERT_MESSAGE(key + " works where the clinic is closed",
                    opening.count(where) && opening[where].count(weekday)
                        && opening[where][weekday].first <= start && end <= opening[where][weekday].second);
                for (const auto& [s, e] : week[weekday])
                    CPPUNIT_ASSERT_MESSAGE(key + " has overlapping hours", end <= s || e <= start);
                week[weekday].push_back({start, end});
            }
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliFilesTest);
