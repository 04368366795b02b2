// Letters generated from the clinic's templates and kept as documents.

#include "RecordsPlugin.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <Poco/String.h>

#include "RecordChecks.h"

namespace records {

namespace {

const std::set<std::string> kTemplates = {"referral", "medical_certificate", "recommendation"};

} // namespace

Response RecordsPlugin::createLetter(Request& req)
{
    const std::int64_t patientId = req.idParam("id");
    guard(req, patientId, PatientData::Clinical, "document.letter");
    auto patient = _patients->find(patientId);
    if (!patient)
        throw HttpError::notFound("no such patient");
    auto body = req.jsonObject();
    clinic::FieldReader in(body);
    const std::string name = in.requiredString("template", 1, 40);
    if (!name.empty() && !kTemplates.count(name))
        in.fail("template", "must be one of referral, medical_certificate, recommendation");
    const std::string language = in.optionalString("language", 2, 2).value_or(patient->language);
    if (language != "en" && language != "ro")
        in.fail("language", "must be \"en\" or \"ro\"");
    std::map<std::string, std::string> values;
    if (in.has("fields")) {
        Poco::Dynamic::Var v = body->get("fields");
        if (v.type() != typeid(Poco::JSON::Object::Ptr)) {
            in.fail("fields", "must be an object of text values");
        } else {
            auto fields = v.extract<Poco::JSON::Object::Ptr>();
            for (const auto& key : fields->getNames()) {
                auto value = fields->get(key);
                if (!value.isString() || value.extract<std::string>().size() > 5000
                    || key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") != std::string::npos)
                    in.fail("fields." + key, "must be text of at most 5000 bytes under a lower-case name");
                else
                    values[key] = value.extract<std::string>();
            }
        }
    }
    in.finish();
    // What the record knows wins over what the request says.
    values["patient_name"] = patient->firstName + " " + patient->lastName;
    values["patient_first_name"] = patient->firstName;
    values["patient_last_name"] = patient->lastName;
    values["birth_date"] = patient->birthDate;
    values["national_id"] = patient->nationalId;
    values["date"] = _patients->today();
    values["author"] = req.caller.username;

    std::ifstream file(_templatesDir + "/" + language + "/" + name + ".html", std::ios::binary);
    if (!file)
        throw std::runtime_error(
            "letter template missing: " + _templatesDir + "/" + language + "/" + name + ".html");
    std::ostringstream raw;
    raw << file.rdbuf();
    const std::string source = raw.str();
    std::string html;
    std::map<std::string, std::string> missing;
    for (std::size_t pos = 0;;) {
        const auto open = source.find("{{", pos);
        if (open == std::string::npos) {
            html += source.substr(pos);
            break;
        }
        const auto close = source.find("}}", open);
        if (close == std::string::npos) {
            html += source.substr(pos);
            break;
        }
        html += source.substr(pos, open - pos);
        std::string key = Poco::trim(source.substr(open + 2, close - open - 2));
        // {{name?}} may be left out; {{name}} must be given.
        const bool optional = !key.empty() && key.back() == '?';
        if (optional)
            key.pop_back();
        auto found = values.find(key);
        if (found == values.end() && !optional)
            missing["fields." + key] = "is required by the " + name + " template";
        else if (found != values.end())
            html += escapeHtml(found->second);
        pos = close + 2;
    }
    if (!missing.empty())
        throw HttpError::validation(missing);
    const std::string filename = name + "-" + values["date"] + ".html";
    const std::int64_t docId = storeDocument(
        req, patientId, html, "text/html; charset=utf-8", "letter", filename, "document.letter");
    Response r = Response::text(html, "text/html; charset=utf-8", 201);
    r.headers.emplace_back(
        "Location", "/api/v1/patients/" + std::to_string(patientId) + "/documents/" + std::to_string(docId));
    r.headers.emplace_back("X-Document-Id", std::to_string(docId));
    return r;
}

} // namespace records
