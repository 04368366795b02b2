// The printable prescription: data/templates/prescriptions/<lang>.html with
// {{name}} fields, every value HTML-escaped here, so a drug name or a note
// with markup prints as text.

#include "PrescriptionsPlugin.h"

#include <fstream>
#include <sstream>

#include "clinic/Html.h"
#include "clinic/Time.h"
#include "clinic/records/PatientRegistry.h"
#include "clinic/scheduling/Doctors.h"

namespace prescriptions {

using clinic::escapeHtml;

namespace {

std::string readTemplate(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("prescription template missing: " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Replaces each {{name}} by its value (already escaped); unknown names stay visible.
std::string fill(std::string text, const std::map<std::string, std::string>& values)
{
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        const auto open = text.find("{{", pos);
        if (open == std::string::npos)
            break;
        const auto close = text.find("}}", open);
        if (close == std::string::npos)
            break;
        out += text.substr(pos, open - pos);
        auto v = values.find(text.substr(open + 2, close - open - 2));
        out += v == values.end() ? text.substr(open, close + 2 - open) : v->second;
        pos = close + 2;
    }
    return out + text.substr(pos);
}

const std::map<std::string, std::map<std::string, std::string>> kWords = {
    {"en",
        {{"active", "active"}, {"completed", "completed"}, {"cancelled", "cancelled"}, {"days", "days"},
            {"refills", "refills"}, {"free_text", "not in the catalogue"}}},
    {"ro",
        {{"active", "activă"}, {"completed", "încheiată"}, {"cancelled", "anulată"}, {"days", "zile"},
            {"refills", "reînnoiri"}, {"free_text", "în afara nomenclatorului"}}},
};

} // namespace

Response PrescriptionsPlugin::printPrescription(Request& req)
{
    auto p = visiblePrescription(req, "prescription.print");
    const std::int64_t patientId = p->getValue<Poco::Int64>("patient_id");
    auto profile = _host->services()
                       .find<clinic::records::PatientRegistry>(clinic::records::kPatientRegistryService)
                       ->profile(patientId);
    std::string lang
        = req.query("lang").value_or(profile ? profile->optValue<std::string>("language", "ro") : "ro");
    if (!kWords.count(lang))
        throw HttpError::validation({{"lang", "must be en or ro"}});
    const auto& words = kWords.at(lang);
    std::map<std::string, std::string> v;
    v["lang"] = lang;
    v["prescription_id"] = std::to_string(p->getValue<Poco::Int64>("id"));
    v["date"] = escapeHtml(p->getValue<std::string>("issued_at").substr(0, 10));
    v["status"] = escapeHtml(words.at(p->getValue<std::string>("status")));
    v["patient_name"] = profile ? escapeHtml(profile->getValue<std::string>("first_name") + " "
                            + profile->getValue<std::string>("last_name"))
                                : "";
    v["birth_date"] = profile ? escapeHtml(profile->getValue<std::string>("birth_date")) : "";
    v["doctor_name"] = v["doctor_specialty"] = v["clinic_name"] = v["clinic_address"] = v["clinic_phone"]
        = "";
    if (auto directory = _host->services().find<clinic::scheduling::DoctorDirectory>(
            clinic::scheduling::kDoctorDirectoryService))
        if (auto card = directory->doctor(p->getValue<Poco::Int64>("doctor_id"))) {
            v["doctor_name"] = escapeHtml(card->name);
            v["doctor_specialty"] = escapeHtml(card->specialty);
            v["clinic_name"] = escapeHtml(card->locationName);
            v["clinic_address"] = escapeHtml(card->address + ", " + card->city);
            v["clinic_phone"] = escapeHtml(card->phone);
        }
    v["notes"] = escapeHtml(p->getValue<std::string>("notes"));
    std::string rows;
    auto items = p->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto item = items->getObject(static_cast<unsigned>(i));
        std::string drug = escapeHtml(item->getValue<std::string>("drug"));
        if (item->getValue<bool>("free_text"))
            drug += " <small>(" + escapeHtml(words.at("free_text")) + ")</small>";
        rows += "<tr><td>" + std::to_string(i + 1) + "</td><td>" + drug + "</td><td>"
            + escapeHtml(item->getValue<std::string>("dose")) + "</td><td>"
            + escapeHtml(item->getValue<std::string>("route")) + "</td><td>"
            + escapeHtml(item->getValue<std::string>("frequency")) + "</td><td>"
            + std::to_string(item->getValue<Poco::Int64>("duration_days")) + " "
            + escapeHtml(words.at("days")) + "</td><td>"
            + std::to_string(item->getValue<Poco::Int64>("quantity")) + "</td><td>"
            + std::to_string(item->getValue<Poco::Int64>("refills")) + "</td></tr>\n";
    }
    v["items"] = rows;
    const std::string html = fill(readTemplate(_templatesDir + "/" + lang + ".html"), v);
    auditRead(req, "prescription.print", v["prescription_id"], patientId);
    Response r = Response::text(html, "text/html; charset=utf-8");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    return r;
}

} // namespace prescriptions
