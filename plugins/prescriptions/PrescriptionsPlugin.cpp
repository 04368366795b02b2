// The plugin itself: its hook, routes, metrics and services, the
// import-drugs command and the demo catalogue.

#include "PrescriptionsPlugin.h"

#include <fstream>
#include <sstream>

#include <Poco/File.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "PrescriptionsSchemas.h"
#include "clinic/AdminCommands.h"
#include "clinic/Roles.h"
#include "clinic/RouteTable.h"
#include "clinic/Time.h"
#include "clinic/prescriptions/PrescriptionHistory.h"
#include "clinic/records/ExportSections.h"

namespace prescriptions {

namespace {

std::string readWholeFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string describe(const ImportReport& r)
{
    return std::to_string(r.added) + " added, " + std::to_string(r.updated) + " updated, "
        + std::to_string(r.unchanged) + " unchanged";
}

/// clinicctl import-drugs FILE.csv
class CatalogueCommands : public clinic::AdminCommands {
public:
    explicit CatalogueCommands(DrugCatalogue& catalogue)
        : _catalogue(catalogue)
    {
    }

    std::vector<clinic::AdminCommand> commands() const override
    {
        return {{"import-drugs", "import-drugs FILE.csv",
            "load or update the drug catalogue (" + std::string(kCatalogueHeader) + ")"}};
    }

    int run(const std::string&, const std::vector<std::string>& args, std::ostream& out,
        std::ostream& err) override
    {
        if (args.size() != 1) {
            err << "clinicctl: import-drugs takes one argument, the CSV file (header " << kCatalogueHeader
                << ")\n";
            return 64;
        }
        const std::string& file = args.front();
        if (!Poco::File(file).exists() || !Poco::File(file).isFile()) {
            err << "clinicctl: import-drugs: no file " << file << "\n";
            return 66;
        }
        CatalogueProblems problems;
        const auto drugs = parseCatalogue(readWholeFile(file), problems);
        if (!problems.lines.empty()) {
            for (const auto& p : problems.lines)
                err << file << ": " << p << "\n";
            err << "clinicctl: import-drugs: nothing imported (" << problems.lines.size()
                << " bad line(s); fix them and run it again)\n";
            return 65;
        }
        const ImportReport report = _catalogue.import(drugs);
        out << "drugs: " << describe(report) << "\n";
        return 0;
    }

private:
    DrugCatalogue& _catalogue;
};

/// The patient export's "prescriptions" section and prescriptions.history.v1.
class History : public clinic::prescriptions::PrescriptionHistory, public clinic::records::ExportSection {
public:
    History(PrescriptionStore& store, const clinic::Clock& clock)
        : _store(store)
        , _clock(clock)
    {
    }
    Poco::JSON::Array::Ptr ofPatient(std::int64_t patientId) override
    {
        return _store.ofPatient(patientId, clinic::nowSeconds(_clock));
    }
    Poco::Dynamic::Var exportFor(std::int64_t patientId) override { return ofPatient(patientId); }

private:
    PrescriptionStore& _store;
    const clinic::Clock& _clock;
};

} // namespace

std::int64_t PrescriptionsPlugin::nowSeconds() const
{
    return clinic::nowSeconds(_host->clock());
}

void PrescriptionsPlugin::declareRuleHooks(clinic::RuleEngine& rules)
{
    // Fails closed: a prescription the clinic's checks could not look at is
    // not issued.
    rules.declare({"before_prescribe",
        "{patient = {id, age, sex, birth_date, weight_kg?, allergies}, doctor, items, active, renewal_of?} "
        "-> "
        "true | false, \"reason\" | {warnings = {\"...\"}}",
        clinic::RuleFailure::FailClosed});
}

void PrescriptionsPlugin::start(clinic::Host& host)
{
    _host = &host;
    _catalogue = std::make_unique<DrugCatalogue>(host.database(), [this] { return nowSeconds(); });
    _store = std::make_unique<PrescriptionStore>(host.database());
    _templatesDir = host.config().getString("prescriptions.templates_dir", "");
    if (_templatesDir.empty())
        _templatesDir = Poco::File(PRESCRIPTIONS_TEMPLATES_INSTALLED).exists()
            ? PRESCRIPTIONS_TEMPLATES_INSTALLED
            : PRESCRIPTIONS_TEMPLATES_SOURCE;
    for (const char* lang : {"en", "ro"})
        if (!Poco::File(_templatesDir + "/" + lang + ".html").exists())
            throw std::runtime_error("no prescription template " + _templatesDir + "/" + lang + ".html");

    auto& outcomes = prometheus::BuildCounter()
                         .Name("clinicd_prescriptions_total")
                         .Help("Prescriptions asked for, by outcome: issued, overridden (issued over rule "
                               "warnings), warned, rejected, invalid")
                         .Register(host.metrics());
    _issued = &outcomes.Add({{"outcome", "issued"}});
    _overridden = &outcomes.Add({{"outcome", "overridden"}});
    _warned = &outcomes.Add({{"outcome", "warned"}});
    _rejected = &outcomes.Add({{"outcome", "rejected"}});
    _invalid = &outcomes.Add({{"outcome", "invalid"}});

    namespace roles = clinic::roles;
    using clinic::Contract;
    using clinic::listOf;
    using clinic::Schema;
    const std::set<std::string> doctors = {"doctor"};
    const std::set<std::string> readers = {"admin", "doctor", "nurse", "patient"};
    const std::set<std::string> patients = {"patient"};
    auto audited = [] {
        return Contract().param(
            "reason", Schema::string(0, 255), "why the caller looks: kept in the audit row");
    };
    clinic::RouteTable<PrescriptionsPlugin> routes(host.router(), *this);
    routes.add("GET", "/api/v1/drugs", roles::clinical, &PrescriptionsPlugin::searchDrugs,
        "prescriptions: search the drug catalogue by name or substance prefix",
        Contract()
            .param("q", Schema::string(0, 191), "name or active substance prefix, any case")
            .page()
            .returns(200, "catalogue entries", listOf(schemas::drug())));
    routes.add("POST", "/api/v1/prescriptions", doctors, &PrescriptionsPlugin::createPrescription,
        "prescriptions: prescribe (checked by before_prescribe)",
        audited()
            .accepts(schemas::prescriptionInput())
            .returns(201,
                "the prescription; 422 RULE_REJECTED or RULE_WARNING (details.warnings) from the rules",
                schemas::prescription()));
    routes.add("GET", "/api/v1/prescriptions", readers, &PrescriptionsPlugin::listPrescriptions,
        "prescriptions: list (a patient: their own)",
        audited()
            .param("patient_id", Schema::id(), "this patient's")
            .param("doctor_id", Schema::id(), "this doctor's")
            .param("status", Schema::enumOf({"active", "completed", "cancelled"}), "only these")
            .page()
            .returns(200, "prescriptions", listOf(schemas::prescription())));
    routes.add("GET", "/api/v1/prescriptions/{id}", readers, &PrescriptionsPlugin::getPrescription,
        "prescriptions: one", audited().returns(200, "the prescription", schemas::prescription()));
    routes.add("POST", "/api/v1/prescriptions/{id}/cancel", doctors, &PrescriptionsPlugin::cancelPrescription,
        "prescriptions: cancel an active prescription (409 otherwise)",
        audited()
            .accepts(schemas::reasonInput())
            .returns(200, "the cancelled prescription", schemas::prescription()));
    routes.add("GET", "/api/v1/prescriptions/{id}/print", readers, &PrescriptionsPlugin::printPrescription,
        "prescriptions: printable HTML (?lang=en|ro, default the patient's language)",
        audited()
            .param("lang", Schema::enumOf({"en", "ro"}), "the page's language")
            .returnsText(200, "text/html; charset=utf-8", "the prescription, with a print stylesheet"));
    routes.add("POST", "/api/v1/prescriptions/{id}/renewal-requests", patients,
        &PrescriptionsPlugin::requestRenewal,
        "prescriptions: a patient asks for a renewal (409 while one is pending)",
        audited()
            .accepts(Schema::object().optional("note", Schema::string(0, 1000)))
            .returns(201, "the renewal request", schemas::renewalRequest()));
    routes.add("POST", "/api/v1/renewal-requests/{rid}/approve", doctors,
        &PrescriptionsPlugin::approveRenewal,
        "prescriptions: approve a renewal: a new prescription linked to the old one (checked by the rules)",
        audited()
            .accepts(Schema::object().optional("override_reason", Schema::string(1, 500)))
            .returns(201, "the new prescription", schemas::prescription()));
    routes.add("POST", "/api/v1/renewal-requests/{rid}/decline", doctors,
        &PrescriptionsPlugin::declineRenewal, "prescriptions: decline a renewal with a reason",
        audited()
            .accepts(schemas::reasonInput())
            .returns(200, "the renewal request", schemas::renewalRequest()));

    auto history = std::make_shared<History>(*_store, host.clock());
    host.services().publish<clinic::prescriptions::PrescriptionHistory>(
        clinic::prescriptions::kPrescriptionHistoryService, history);
    host.services().publish<clinic::AdminCommands>(
        clinic::adminCommandsService(name()), std::make_shared<CatalogueCommands>(*_catalogue));
    if (auto sections
        = host.services().find<clinic::records::ExportSections>(clinic::records::kExportSectionsService)) {
        sections->add("prescriptions", history);
        _exportSection = history;
    }
}

void PrescriptionsPlugin::stop()
{
    if (!_exportSection || !_host)
        return;
    if (auto sections
        = _host->services().find<clinic::records::ExportSections>(clinic::records::kExportSectionsService))
        sections->remove("prescriptions");
    _exportSection.reset();
}

std::string PrescriptionsPlugin::loadDemoData(clinic::Host&, const std::string& demoDir)
{
    const std::string file = demoDir + "/drugs.csv";
    if (!Poco::File(file).exists())
        return "";
    CatalogueProblems problems;
    const auto drugs = parseCatalogue(readWholeFile(file), problems);
    if (!problems.lines.empty())
        throw std::runtime_error(file + ": " + problems.lines.front());
    return "drug catalogue: " + describe(_catalogue->import(drugs));
}

} // namespace prescriptions

CLINIC_PLUGIN(prescriptions::PrescriptionsPlugin)
