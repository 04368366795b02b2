#include "ClinicFixture.h"

#include <sstream>
#include <stdexcept>

#include <Poco/StringTokenizer.h>
#include <cppunit/extensions/HelperMacros.h>

namespace clinic::test {

Daemon::Options clinicDaemonOptions(const std::string& plugins)
{
    Daemon::Options o;
    o.config["plugins.load"] = plugins;
    o.config["auth.rate_limit_per_minute"] = "0";
    return o;
}

ClinicFixture::ClinicFixture(const Options& options)
{
    auto daemon = std::make_unique<Daemon>(options.daemon);
    // A daemon that cannot start a plugin says why in its log.
    const auto load = options.daemon.config.find("plugins.load");
    if (load != options.daemon.config.end()) {
        Poco::StringTokenizer plugins(
            load->second, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        for (const auto& plugin : plugins)
            CPPUNIT_ASSERT_MESSAGE(
                logTail(*daemon), daemon->log().find("started plugin " + plugin) != std::string::npos);
    }
    _daemon = std::move(daemon);
    _client = std::make_unique<HttpClient>("127.0.0.1", _daemon->port());
    if (!options.accounts)
        return;
    try {
        signInFirstAdmin(options.adminUsername);
        for (const auto& role : options.roles) {
            std::string extra;
            if (role == "patient") {
                _patient = newPatient(options.patientJson);
                extra = "\"patient_id\":" + std::to_string(_patient);
            }
            addAccount(role, options.accountPrefix + "." + role, role, extra);
            // The API links a doctor account only to a doctor that exists;
            // suites make their doctors later, so the fixture links the id
            // they will get straight in the database.
            if (role == "doctor" && options.doctorId != 0)
                sql("UPDATE users SET doctor_id = " + std::to_string(options.doctorId) + " WHERE username = '"
                    + options.accountPrefix + ".doctor'");
        }
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string(e.what()) + "\n" + logTail(*_daemon));
    }
}

const Account& ClinicFixture::account(const std::string& role) const
{
    const auto it = _accounts.find(role);
    if (it == _accounts.end())
        throw std::logic_error("the clinic fixture has no account " + role);
    return it->second;
}

std::map<std::string, std::string> ClinicFixture::as(const std::string& role) const
{
    return bearer(account(role).accessToken);
}

const Account& ClinicFixture::signInFirstAdmin(const std::string& username)
{
    return _accounts["admin"] = firstAdmin(*_daemon, *_client, username);
}

const Account& ClinicFixture::addAccount(const std::string& key, const std::string& username,
    const std::string& role, const std::string& extraJson)
{
    return _accounts[key] = createAndSignIn(*_client, account("admin"), username, role, extraJson);
}

std::int64_t ClinicFixture::newPatient(const std::string& json)
{
    return createdId(_client->post("/api/v1/patients", json, as("admin")));
}

std::int64_t ClinicFixture::newLocation(const std::string& zone, const std::string& city)
{
    return createdId(_client->post("/api/v1/locations",
        R"({"name":"Clinica )" + zone + R"(","address":"Strada 1","city":")" + city
            + R"(","county":"București","timezone":")" + zone
            + R"(","opening_hours":[{"weekday":1,"start":"08:00","end":"20:00"}]})",
        as("admin")));
}

std::int64_t ClinicFixture::newService(
    int minutes, const std::string& name, std::int64_t priceMinor, const std::string& department)
{
    return createdId(_client->post("/api/v1/services",
        R"({"name":")" + name + R"(","department":")" + department + R"(","duration_min":)"
            + std::to_string(minutes) + R"(,"price_minor":)" + std::to_string(priceMinor)
            + R"(,"currency":"RON"})",
        as("admin")));
}

std::int64_t ClinicFixture::newDoctor(std::int64_t location, const std::vector<std::int64_t>& services,
    const std::string& specialty, const std::string& name)
{
    std::string ids;
    for (auto s : services)
        ids += (ids.empty() ? "" : ",") + std::to_string(s);
    return createdId(_client->post("/api/v1/doctors",
        R"({"name":")" + name + R"(","specialty":")" + specialty + R"(","location_id":)"
            + std::to_string(location) + R"(,"service_ids":[)" + ids + "]}",
        as("admin")));
}

std::string ClinicFixture::sql(const std::string& statement) const
{
    return sqlOutput(*_daemon, statement);
}

long ClinicFixture::count(const std::string& table, const std::string& where) const
{
    return countRows(*_daemon, table, where);
}

std::int64_t createdId(const HttpResult& r)
{
    return createdJson(r)->getValue<Poco::Int64>("id");
}

Poco::JSON::Object::Ptr createdJson(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return r.json();
}

std::string logTail(const Daemon& daemon, std::size_t bytes)
{
    const std::string log = daemon.log();
    return log.substr(log.size() > bytes ? log.size() - bytes : 0);
}

} // namespace clinic::test
