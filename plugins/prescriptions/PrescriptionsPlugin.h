#pragma once

// Prescriptions: medication orders written against the clinic's drug
// catalogue, checked by the clinic's own Lua rules (before_prescribe) before
// they are stored, printed in the patient's language, renewed on the
// patient's request. Patient data comes from the records plugin's services
// only; every read and write of a prescription is audited.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "DrugCatalogue.h"
#include "PrescriptionStore.h"
#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"

namespace prometheus {
class Counter;
}

namespace prescriptions {

using clinic::HttpError;
using clinic::Request;
using clinic::Response;

/// One item as the doctor wrote it, checked, with its catalogue entry.
struct ItemInput {
    std::optional<Drug> drug; ///< a catalogue entry; else free text
    std::string drugText; ///< the free text when there is no catalogue entry
    std::string dose;
    std::string route;
    std::string frequency;
    std::int64_t durationDays = 0;
    std::int64_t quantity = 0;
    std::int64_t refills = 0;
    std::optional<double> doseMg;
    std::optional<std::int64_t> dosesPerDay;
};

/// A prescription about to be issued.
struct PrescriptionInput {
    std::int64_t patientId = 0;
    std::int64_t doctorId = 0;
    std::vector<ItemInput> items;
    std::string notes;
    std::optional<std::string> overrideReason;
    std::int64_t renewalOf = 0; ///< the prescription a renewal renews
};

/// The drug names of a prescription, for notices: "Amoxicillin 500 mg, Paracetamol 500 mg".
std::string summaryOf(const PrescriptionInput& in);

class PrescriptionsPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "prescriptions"; }
    std::string version() const override { return "1.0.0"; }
    std::vector<std::string> dependencies() const override { return {"records"}; }
    std::vector<std::string> urlPrefixes() const override
    {
        return {"/api/v1/prescriptions", "/api/v1/drugs", "/api/v1/renewal-requests"};
    }
    std::vector<clinic::Migration> migrations() const override;
    void declareRuleHooks(clinic::RuleEngine& rules) override;
    void start(clinic::Host& host) override;
    void stop() override;
    std::string loadDemoData(clinic::Host& host, const std::string& demoDir) override;

    // ---- used by the files of this plugin ------------------------------------

    clinic::Host& host() { return *_host; }
    DrugCatalogue& catalogue() { return *_catalogue; }
    PrescriptionStore& store() { return *_store; }
    std::int64_t nowSeconds() const;

private:
    // ---- access and audit (PrescriptionRoutes.cpp) ---------------------------

    /// The kernel's policy on the patient's clinical data; a refusal is
    /// audited as denied, then answered (404 for another patient, 403).
    void guard(Request& req, std::int64_t patientId, const std::string& action, const std::string& objectId);
    void auditRead(
        Request& req, const std::string& action, const std::string& objectId, std::int64_t patientId);
    /// A prescription the caller may see (404 otherwise, audited).
    Poco::JSON::Object::Ptr visiblePrescription(Request& req, const std::string& action);
    /// The caller's doctor id; 403 for an account not linked to a doctor.
    std::int64_t callerDoctor(const Request& req) const;

    // ---- routes ---------------------------------------------------------------

    Response searchDrugs(Request& req);
    Response createPrescription(Request& req);
    Response listPrescriptions(Request& req);
    Response getPrescription(Request& req);
    Response cancelPrescription(Request& req);
    Response printPrescription(Request& req);
    Response requestRenewal(Request& req);
    Response approveRenewal(Request& req);
    Response declineRenewal(Request& req);

    // ---- issuing (Prescribing.cpp) --------------------------------------------

    /// The body of POST /api/v1/prescriptions, checked: 422 naming each bad field.
    PrescriptionInput readPrescription(const Request& req);
    /// before_prescribe's ctx for this prescription.
    Poco::JSON::Object::Ptr ruleContext(const PrescriptionInput& in, const Poco::JSON::Object::Ptr& profile);
    /// Runs before_prescribe: 422 RULE_REJECTED, or 422 RULE_WARNING unless
    /// the input carries an override reason. Returns the warnings overridden.
    std::vector<std::string> checkRules(Request& req, const PrescriptionInput& in);
    /// Writes the prescription, its items, audit rows, event and notice job
    /// in tx; returns the new id.
    std::int64_t issue(clinic::Transaction& tx, Request& req, const PrescriptionInput& in,
        const std::vector<std::string>& overridden, const std::string& doctor, const std::string& noticeWhat);
    /// Schedules the prescription.notice job for the notifications plugin.
    void scheduleNotice(clinic::Transaction& tx, std::int64_t prescriptionId, std::int64_t patientId,
        const std::string& doctor, const std::string& what, const std::string& summary,
        const std::string& key);
    std::string doctorName(std::int64_t doctorId);

    /// Throws 422 RULE_REJECTED / RULE_WARNING after counting and auditing.
    [[noreturn]] void refuse(Request& req, const PrescriptionInput& in, const std::string& outcome,
        const std::string& code, const std::string& message, Poco::JSON::Object::Ptr details);

    clinic::Host* _host = nullptr;
    std::unique_ptr<DrugCatalogue> _catalogue;
    std::unique_ptr<PrescriptionStore> _store;
    std::string _templatesDir;
    std::shared_ptr<void> _exportSection;
    prometheus::Counter* _issued = nullptr;
    prometheus::Counter* _rejected = nullptr;
    prometheus::Counter* _warned = nullptr;
    prometheus::Counter* _overridden = nullptr;
    prometheus::Counter* _invalid = nullptr;
};

} // namespace prescriptions
