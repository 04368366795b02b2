#include "ExpositionText.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <cppunit/TestAssert.h>

namespace clinic::test::metrics {

const char* const kNoteText = "Mrs Popescu prefers mornings";

namespace {

bool isNameChar(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}

} // namespace

std::vector<Sample> parseExposition(const std::string& text)
{
    std::vector<Sample> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#')
            continue;
        Sample s;
        std::size_t i = 0;
        while (i < line.size() && isNameChar(line[i]))
            ++i;
        s.name = line.substr(0, i);
        if (s.name.empty())
            throw std::runtime_error("not a sample line: " + line);
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                std::size_t eq = line.find('=', i);
                if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"')
                    throw std::runtime_error("bad label in: " + line);
                std::string key = line.substr(i, eq - i);
                std::string value;
                std::size_t j = eq + 2;
                for (; j < line.size() && line[j] != '"'; ++j) {
                    if (line[j] == '\\' && j + 1 < line.size()) {
                        ++j;
                        value += line[j] == 'n' ? '\n' : line[j];
                    } else {
                        value += line[j];
                    }
                }
                if (j >= line.size())
                    throw std::runtime_error("unterminated label value in: " + line);
                s.labels[key] = value;
                i = j + 1;
                if (i < line.size() && line[i] == ',')
                    ++i;
            }
            if (i >= line.size())
                throw std::runtime_error("unterminated label set in: " + line);
            ++i;
        }
        std::istringstream rest(line.substr(i));
        std::string number;
        if (!(rest >> number))
            throw std::runtime_error("no value in: " + line);
        s.value = number == "+Inf" ? 1e308 : number == "-Inf" ? -1e308 : std::stod(number);
        out.push_back(std::move(s));
    }
    return out;
}

double valueOf(const std::vector<Sample>& samples, const std::string& name,
    const std::map<std::string, std::string>& labels)
{
    for (const auto& s : samples)
        if (s.name == name && s.labels == labels)
            return s.value;
    return 0;
}

bool hasMetric(const std::vector<Sample>& samples, const std::string& name)
{
    for (const auto& s : samples)
        if (s.name == name)
            return true;
    return false;
}

std::vector<std::string> familyNames(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string hash, kind, name;
        if (words >> hash >> kind >> name && hash == "#" && kind == "TYPE")
            out.push_back(name);
    }
    return out;
}

std::string findProgram(const std::string& name)
{
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return "";
}

std::string requireProgram(const std::string& program, const std::string& reason)
{
    std::string path = findProgram(program);
    if (path.empty()) {
        std::cout << "SKIPPED: " << reason << std::endl;
        std::exit(77);
    }
    return path;
}

Daemon::Options metricsDaemonOptions()
{
    Daemon::Options o;
    o.config["plugins.load"] = "metrics,example";
    o.config["http.max_body_bytes"] = "4096";
    o.config["log.level"] = "information";
    return o;
}

Traffic driveTraffic(HttpClient& client)
{
    Traffic t;
    auto created = client.post("/api/v1/example/notes", std::string("{\"text\":\"") + kNoteText + "\"}");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 201, created.status);
    t.noteId = std::to_string(created.json()->getValue<Poco::Int64>("id"));

    auto invalid = client.post("/api/v1/example/notes", "{}");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(invalid.body, 422, invalid.status);

    for (const char* path : {"/api/v1/nothing-here", "/api/v1/patients/12345", "/no/such/thing"}) {
        auto r = client.get(path);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 404, r.status);
    }

    auto missing = client.get("/api/v1/example/notes/987654");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(missing.body, 404, missing.status);

    auto found = client.get("/api/v1/example/notes/" + t.noteId);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(found.body, 200, found.status);

    auto tooLarge = client.post("/api/v1/example/notes", "{\"text\":\"" + std::string(5000, 'x') + "\"}");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(tooLarge.body, 413, tooLarge.status);
    return t;
}

} // namespace clinic::test::metrics
