#pragma once

// What the notifications suites share: a real SMTP server (smtp_sink.py over
// Debian's python3-aiosmtpd) and an SMS gateway stand-in (sms_standin.py),
// each started on loopback by the test and stopped by its pid; a clinic with
// the notifications plugin; and polling helpers (no sleeps standing in for
// synchronisation).

#include <cppunit/extensions/HelperMacros.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "ClinicFixture.h"

namespace nt {

using namespace clinic::test;

inline std::string str(std::int64_t n)
{
    return std::to_string(n);
}

/// How long a wait for the daemon may take before the test fails. Generous
/// because the suites share two cores with other suites (a full ctest -j2
/// with MariaDB servers): a poll returns as soon as its condition holds, so
/// only a failing test pays for it.
constexpr int kPatienceSeconds = 60;

/// Polls until done() or timeout; true if done.
inline bool pollUntil(const std::function<bool()>& done, int timeoutSeconds = kPatienceSeconds)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    while (std::chrono::steady_clock::now() < until) {
        if (done())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
}

/// A helper process of the test's own, stopped by its pid (SIGTERM, then SIGKILL).
class Background {
public:
    Background(const std::vector<std::string>& argv)
    {
        _pid = ::fork();
        if (_pid == 0) {
            std::vector<char*> args;
            for (const auto& a : argv)
                args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
    }
    ~Background() { stop(); }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;
    pid_t pid() const { return _pid; }
    void stop()
    {
        if (_pid <= 0)
            return;
        ::kill(_pid, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(_pid, nullptr, WNOHANG) == _pid) {
                _pid = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(_pid, SIGKILL);
        ::waitpid(_pid, nullptr, 0);
        _pid = -1;
    }

private:
    pid_t _pid = -1;
};

inline std::string python()
{
    // Debian's interpreter, where python3-aiosmtpd is installed.
    return Poco::File("/usr/bin/python3").exists() ? "/usr/bin/python3" : "python3";
}

inline std::string script(const std::string& name)
{
    return sourceDir() + "/plugins/notifications/tests/" + name;
}

inline std::vector<Poco::JSON::Object::Ptr> jsonLines(const std::string& path)
{
    std::vector<Poco::JSON::Object::Ptr> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        Poco::JSON::Parser parser;
        try {
            out.push_back(parser.parse(line).extract<Poco::JSON::Object::Ptr>());
        } catch (const std::exception&) {
            // A line being written: read again on the next poll.
        }
    }
    return out;
}

/// A real SMTP server on loopback: what it accepted, one record per message.
class SmtpSink {
public:
    struct Options {
        bool starttls = false;
        std::string auth; ///< "user:password"
        int rejectFirst = 0;
        std::string rejectCode = "451";
        int delayMs = 0;
    };
    SmtpSink()
        : SmtpSink(Options())
    {
    }
    explicit SmtpSink(const Options& o)
        : _port(freePort())
    {
        std::vector<std::string> argv {python(), script("smtp_sink.py"), "--port", str(_port), "--out",
            _dir.file("mail.jsonl"), "--ready", _dir.file("ready")};
        if (o.starttls) {
            // A self-signed certificate, made here, that the daemon is told to trust.
            auto r = runProcess("/usr/bin/openssl",
                {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", _dir.file("key.pem"), "-out",
                    cert(), "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.exitCode);
            argv.insert(argv.end(), {"--cert", cert(), "--key", _dir.file("key.pem")});
        }
        if (!o.auth.empty())
            argv.insert(argv.end(), {"--auth", o.auth});
        if (o.rejectFirst)
            argv.insert(argv.end(), {"--reject-first", str(o.rejectFirst), "--reject-code", o.rejectCode});
        if (o.delayMs)
            argv.insert(argv.end(), {"--delay-ms", str(o.delayMs)});
        _process = std::make_unique<Background>(argv);
        CPPUNIT_ASSERT_MESSAGE("the SMTP server did not start",
            pollUntil([this] { return Poco::File(_dir.file("ready")).exists(); }, 20));
    }
    int port() const { return _port; }
    std::string cert() const { return _dir.file("cert.pem"); }
    void stop() { _process->stop(); }
    std::vector<Poco::JSON::Object::Ptr> messages() const { return jsonLines(_dir.file("mail.jsonl")); }
    /// The messages to this address.
    std::vector<Poco::JSON::Object::Ptr> to(const std::string& address) const
    {
        std::vector<Poco::JSON::Object::Ptr> out;
        for (auto& m : messages()) {
            auto rcpt = m->getArray("rcpt_tos");
            if (rcpt->size() == 1 && rcpt->getElement<std::string>(0) == address)
                out.push_back(m);
        }
        return out;
    }
    /// Waits for n messages to address; fails the test if they do not come.
    std::vector<Poco::JSON::Object::Ptr> await(const std::string& address, std::size_t n,
        int timeoutSeconds = kPatienceSeconds, ClinicFixture* clinic = nullptr)
    {
        pollUntil([&] { return to(address).size() >= n; }, timeoutSeconds);
        auto got = to(address);
        std::string why = "messages to " + address;
        if (got.size() != n && clinic)
            why += "\njobs:\n"
                + clinic->sql(
                    "SELECT id, kind, state, attempts, last_error FROM jobs ORDER BY id DESC LIMIT 10")
                + "\noutbox:\n"
                + clinic->sql(
                    "SELECT id, kind, channel, status, attempts, last_error FROM notifications_outbox"
                    " ORDER BY id DESC LIMIT 10")
                + "\n" + logTail(clinic->daemon());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(why, n, got.size());
        return got;
    }

private:
    TempDir _dir;
    int _port;
    std::unique_ptr<Background> _process;
};

/// The SMS gateway stand-in: records every request, answers as setMode says.
class SmsStandIn {
public:
    SmsStandIn()
        : _port(freePort())
    {
        setMode("ok");
        _process = std::make_unique<Background>(
            std::vector<std::string> {python(), script("sms_standin.py"), "--port", str(_port), "--out",
                _dir.file("requests.jsonl"), "--mode", _dir.file("mode"), "--ready", _dir.file("ready")});
        CPPUNIT_ASSERT_MESSAGE("the SMS stand-in did not start",
            pollUntil([this] { return Poco::File(_dir.file("ready")).exists(); }, 20));
    }
    std::string url() const { return "http://127.0.0.1:" + str(_port) + "/send"; }
    /// "ok", "5xx N", "4xx" or "hang N".
    void setMode(const std::string& mode) { writeFile(_dir.file("mode"), mode); }
    std::vector<Poco::JSON::Object::Ptr> requests() const { return jsonLines(_dir.file("requests.jsonl")); }
    /// The requests whose body's "to" is this number.
    std::vector<Poco::JSON::Object::Ptr> to(const std::string& phone) const
    {
        std::vector<Poco::JSON::Object::Ptr> out;
        for (auto& r : requests()) {
            Poco::JSON::Parser parser;
            auto body = parser.parse(r->getValue<std::string>("body")).extract<Poco::JSON::Object::Ptr>();
            if (body->getValue<std::string>("to") == phone)
                out.push_back(r);
        }
        return out;
    }

private:
    TempDir _dir;
    int _port;
    std::unique_ptr<Background> _process;
};

/// The SMTP keys of a daemon's config for this sink.
inline void useSmtp(Daemon::Options& o, const SmtpSink& sink)
{
    o.config["notifications.smtp.host"] = "127.0.0.1";
    o.config["notifications.smtp.port"] = str(sink.port());
    o.config["notifications.smtp.from"] = "Clinica Test <programari@clinica.test>";
}

/// A patient record (admin) with this language and e-mail address.
inline std::int64_t newPatient(ClinicFixture& c, const std::string& first, const std::string& language,
    const std::string& email, const std::string& phone = "+40 700 000 001")
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("first_name", first);
    body->set("last_name", "Notice");
    body->set("birth_date", "1980-01-01");
    body->set("sex", "female");
    body->set("phone", phone);
    if (!email.empty())
        body->set("email", email);
    body->set("language", language);
    body->set("force", true);
    std::ostringstream s;
    body->stringify(s);
    return c.newPatient(s.str());
}

/// A Bucharest location, a 30-minute service and a doctor working Monday to
/// Friday 08:00-20:00; the doctor's id.
struct Practice {
    std::int64_t location = 0, service = 0, doctor = 0;
};

inline Practice newPractice(ClinicFixture& c)
{
    Practice p;
    p.location = c.newLocation("Europe/Bucharest");
    p.service = c.newService(30);
    p.doctor = c.newDoctor(p.location, {p.service});
    std::string body;
    for (int d = 1; d <= 5; ++d)
        body += std::string(body.empty() ? "[" : ",") + R"({"weekday":)" + str(d)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + str(p.location) + "}";
    auto r
        = c.client().request("PUT", "/api/v1/doctors/" + str(p.doctor) + "/hours", body + "]", c.as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return p;
}

inline std::int64_t book(ClinicFixture& c, const Practice& p, std::int64_t patient, const std::string& start)
{
    auto r = c.client().post("/api/v1/appointments",
        R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(p.doctor) + R"(,"service_id":)"
            + str(p.service) + R"(,"start":")" + start + "\"}",
        c.as("admin"));
    return createdId(r);
}

/// A write on the daemon's database while it runs: on SQLite the shell
/// waits for the daemon's write lock instead of failing at once.
inline void write(ClinicFixture& c, const std::string& statement)
{
    c.sql(backend() == "sqlite" ? ".timeout 10000\n" + statement : statement);
}

/// Makes the reminders scheduling queued for this appointment due now, as if
/// the day had passed (the jobs stay scheduling's, with their own payloads).
inline void makeRemindersDue(ClinicFixture& c, std::int64_t appointment, std::int64_t sequence)
{
    write(c,
        "UPDATE jobs SET run_at = 0 WHERE kind = 'appointment.reminder' AND idempotency_key LIKE"
        " 'reminder:appointment:"
            + str(appointment) + ":" + str(sequence) + ":%'");
}

/// The outbox rows of a kind about an appointment (admin API).
inline std::vector<Poco::JSON::Object::Ptr> outbox(ClinicFixture& c, const std::string& where)
{
    std::vector<Poco::JSON::Object::Ptr> out;
    const std::string ids = c.sql("SELECT id FROM notifications_outbox WHERE " + where + " ORDER BY id");
    std::istringstream in(ids);
    std::string id;
    while (std::getline(in, id)) {
        if (id.empty())
            continue;
        auto r = c.client().get("/api/v1/outbox/" + id, c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        out.push_back(r.json());
    }
    return out;
}

/// Waits until the rows matching where have left queued/sending; their JSON.
inline std::vector<Poco::JSON::Object::Ptr> settled(
    ClinicFixture& c, const std::string& where, std::size_t n, int timeoutSeconds = kPatienceSeconds)
{
    pollUntil(
        [&] {
            return c.count("notifications_outbox", where + " AND status NOT IN ('queued', 'sending')")
                >= static_cast<long>(n);
        },
        timeoutSeconds);
    auto rows = outbox(c, where);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("outbox rows where " + where + "\n" + logTail(c.daemon()), n, rows.size());
    return rows;
}

} // namespace nt
