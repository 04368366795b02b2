// Documents, generated letters and the export.

#include "RecordsFixture.h"

class DocumentsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DocumentsTest);
    CPPUNIT_TEST(documentTypeComesFromItsContentNotItsName);
    CPPUNIT_TEST(oversizedUploadIs413AndStoresNothing);
    CPPUNIT_TEST(pathTraversalFilenameIsOnlyMetadata);
    CPPUNIT_TEST(letterIsRenderedEscapedAndStoredAsADocument);
    CPPUNIT_TEST(exportHoldsEverythingAboutThePatientAndIsAudited);
    CPPUNIT_TEST_SUITE_END();

public:
    void documentTypeComesFromItsContentNotItsName()
    {
        const auto id = newPatient("Documents");
        auto r = client().request("POST", path(id, "/documents?filename=report.pdf&kind=report"), kPng,
            as("doctor"), "application/pdf");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        auto meta = r.json();
        CPPUNIT_ASSERT_EQUAL(std::string("image/png"), meta->getValue<std::string>("content_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("report.pdf"), meta->getValue<std::string>("filename"));
        Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
        sha.update(kPng);
        const std::string hash = Poco::DigestEngine::digestToHex(sha.digest());
        CPPUNIT_ASSERT_EQUAL(hash, meta->getValue<std::string>("sha256"));
        CPPUNIT_ASSERT(Poco::File(world().daemon->dataDir() + "/documents/" + hash).exists());
        const std::string doc = std::to_string(meta->getValue<Poco::Int64>("id"));

        r = client().get(path(id, "/documents/" + doc + "/content"), as("doctor"));
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT(r.body == kPng);
        CPPUNIT_ASSERT_EQUAL(std::string("image/png"), r.header("content-type"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("attachment; filename=\"report.pdf\""), r.header("content-disposition"));
        r = client().get(path(id, "/documents/" + doc), as("nurse"));
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        r = client().get(path(id, "/documents"), as("nurse"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.json()->getArray("items")->size());
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.create", id, "doctor"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.download", id, "doctor"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.read", id, "nurse"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.list", id, "nurse"));
        // Another patient's document id is not found under this patient.
        CPPUNIT_ASSERT_EQUAL(
            404, client().get(path(world().otherPatient, "/documents/" + doc), as("admin")).status);

        // An executable renamed .png, and a JPEG/PDF header is what counts.
        r = client().request(
            "POST", path(id, "/documents?filename=photo.png"), kElf, as("doctor"), "image/png");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 415, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("UNSUPPORTED_MEDIA_TYPE"), r.errorCode());
        r = client().request(
            "POST", path(id, "/documents?filename=empty.pdf"), "", as("doctor"), "application/pdf");
        CPPUNIT_ASSERT(invalidFields(r)->has("body"));
        r = client().request("POST", path(id, "/documents?filename=x.pdf&kind=../../x"), "%PDF-1.7\n",
            as("doctor"), "application/pdf");
        CPPUNIT_ASSERT(invalidFields(r)->has("kind"));
        CPPUNIT_ASSERT_EQUAL(1L, count("records_documents", "patient_id = " + std::to_string(id)));
        r = client().request("POST", path(id, "/documents?filename=scan"),
            std::string("\xFF\xD8\xFF\xE0jpeg"), as("doctor"), "text/plain");
        CPPUNIT_ASSERT_EQUAL(std::string("image/jpeg"), r.json()->getValue<std::string>("content_type"));
        r = client().request(
            "POST", path(id, "/documents?filename=a.jpg"), "%PDF-1.7\n%%EOF\n", as("doctor"), "image/jpeg");
        CPPUNIT_ASSERT_EQUAL(std::string("application/pdf"), r.json()->getValue<std::string>("content_type"));
    }

    void oversizedUploadIs413AndStoresNothing()
    {
        const auto id = newPatient("Oversized");
        std::string big = kPng + std::string(kMaxDocument, 'x');
        auto files = [] {
            std::vector<std::string> names;
            Poco::File(world().daemon->dataDir() + "/documents").list(names);
            return names.size();
        };
        const auto filesBefore = files();
        // Far more than the socket buffers hold: the daemon reads and drops
        // the refused body before answering, so the client gets the 413 on
        // its first try rather than a connection reset.
        const std::string huge = kPng + std::string(12 * 1024 * 1024, 'x');
        HttpClient fresh("127.0.0.1", world().daemon->port());
        HttpResult r
            = fresh.request("POST", path(id, "/documents?filename=big.png"), huge, as("doctor"), "image/png");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body.substr(0, 200), 413, r.status);
        r = HttpClient("127.0.0.1", world().daemon->port())
                .request("POST", path(id, "/documents?filename=big.png"), big, as("doctor"), "image/png");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body.substr(0, 200), 413, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("PAYLOAD_TOO_LARGE"), r.errorCode());
        CPPUNIT_ASSERT_EQUAL(0L, count("records_documents", "patient_id = " + std::to_string(id)));
        CPPUNIT_ASSERT_EQUAL(filesBefore, files());
        CPPUNIT_ASSERT_EQUAL(0L, audited("document.create", id));
        // Just under the limit is fine.
        r = client().request("POST", path(id, "/documents?filename=ok.png"), big.substr(0, kMaxDocument),
            as("doctor"), "image/png");
        CPPUNIT_ASSERT_EQUAL(201, r.status);
    }

    void pathTraversalFilenameIsOnlyMetadata()
    {
        const auto id = newPatient("Traversal");
        const std::string pdf = "%PDF-1.4\n% traversal test\n";
        auto r = client().request("POST", path(id, "/documents?filename=..%2F..%2Fetc%2Fpasswd&kind=report"),
            pdf, as("doctor"), "application/pdf");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("passwd"), r.json()->getValue<std::string>("filename"));
        const std::string hash = r.json()->getValue<std::string>("sha256");
        CPPUNIT_ASSERT(Poco::File(world().daemon->dataDir() + "/documents/" + hash).exists());
        CPPUNIT_ASSERT(!Poco::File(world().daemon->dataDir() + "/etc/passwd").exists());
        CPPUNIT_ASSERT(!Poco::File(world().daemon->dataDir() + "/documents/passwd").exists());
        r = client().request("POST", path(id, "/documents?filename=%22%3B%0D%0AX-Evil%3A%201.pdf"), pdf,
            as("doctor"), "application/pdf");
        CPPUNIT_ASSERT_EQUAL(201, r.status);
        const std::string name = r.json()->getValue<std::string>("filename");
        CPPUNIT_ASSERT_MESSAGE(name, name.find_first_of("\";\r\n: ") == std::string::npos);
        auto content = client().get(
            path(id, "/documents/" + std::to_string(r.json()->getValue<Poco::Int64>("id")) + "/content"),
            as("doctor"));
        CPPUNIT_ASSERT_EQUAL(pdf, content.body);
        CPPUNIT_ASSERT(content.header("x-evil").empty());
    }

    void letterIsRenderedEscapedAndStoredAsADocument()
    {
        const auto id = newPatient("Letter");
        auto r = client().post(path(id, "/documents/letters"),
            R"({"template":"referral","language":"en","fields":{"to":"Cardiology <b>dept</b>",)"
            R"("reason":"<script>alert(1)</script> chest pain"}})",
            as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT(r.header("content-type").find("text/html") == 0);
        CPPUNIT_ASSERT(r.body.find("Referral") != std::string::npos);
        CPPUNIT_ASSERT(r.body.find("Ana Letter") != std::string::npos);
        CPPUNIT_ASSERT(r.body.find("&lt;script&gt;alert(1)&lt;/script&gt; chest pain") != std::string::npos);
        CPPUNIT_ASSERT(r.body.find("<script>") == std::string::npos);
        CPPUNIT_ASSERT(r.body.find("Cardiology &lt;b&gt;dept&lt;/b&gt;") != std::string::npos);
        const std::string doc = r.header("x-document-id");
        auto meta = client().get(path(id, "/documents/" + doc), as("doctor"));
        CPPUNIT_ASSERT_EQUAL(200, meta.status);
        CPPUNIT_ASSERT_EQUAL(std::string("letter"), meta.json()->getValue<std::string>("kind"));
        auto content = client().get(path(id, "/documents/" + doc + "/content"), as("doctor"));
        CPPUNIT_ASSERT_EQUAL(r.body, content.body);
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.letter", id, "doctor"));
        // The patient's language by default: Romanian.
        r = client().post(path(id, "/documents/letters"),
            R"({"template":"medical_certificate","fields":{"finding":"gripă","period":"3 zile","purpose":"școală"}})",
            as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT(r.body.find("Adeverință medicală") != std::string::npos);
        // Missing fields, unknown templates: nothing stored.
        const long docs = count("records_documents", "patient_id = " + std::to_string(id));
        r = client().post(
            path(id, "/documents/letters"), R"({"template":"referral","fields":{"to":"x"}})", as("doctor"));
        CPPUNIT_ASSERT(invalidFields(r)->has("fields.reason"));
        r = client().post(
            path(id, "/documents/letters"), R"({"template":"../../etc/passwd","fields":{}})", as("doctor"));
        CPPUNIT_ASSERT(invalidFields(r)->has("template"));
        r = client().post(path(id, "/documents/letters"),
            R"({"template":"referral","language":"de","fields":[]})", as("doctor"));
        CPPUNIT_ASSERT(invalidFields(r)->has("language"));
        CPPUNIT_ASSERT_EQUAL(docs, count("records_documents", "patient_id = " + std::to_string(id)));
    }

    void exportHoldsEverythingAboutThePatientAndIsAudited()
    {
        const auto id = newPatient("Export");
        CPPUNIT_ASSERT_EQUAL(201, client().post(path(id, "/vitals"), kVitals, as("nurse")).status);
        CPPUNIT_ASSERT_EQUAL(201, client().post(path(id, "/lab-results"), kLab, as("nurse")).status);
        auto e = client().post(path(id, "/encounters"), kEncounter, as("doctor"));
        CPPUNIT_ASSERT_EQUAL(201, e.status);
        CPPUNIT_ASSERT_EQUAL(201,
            client()
                .post(path(id, "/encounters"),
                    R"({"supersedes":)" + std::to_string(e.json()->getValue<Poco::Int64>("id"))
                        + R"(,"summary":"fixed"})",
                    as("doctor"))
                .status);
        CPPUNIT_ASSERT_EQUAL(201,
            client()
                .request("POST", path(id, "/documents?filename=x.png"), kPng, as("nurse"), "image/png")
                .status);
        auto r = client().get(path(id, "/export"), as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto x = r.json();
        CPPUNIT_ASSERT_EQUAL(
            std::string("Export"), x->getObject("patient")->getValue<std::string>("last_name"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), x->getArray("vitals")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), x->getArray("lab_results")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), x->getArray("encounters")->size());
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(1), x->getArray("encounters")->getObject(0)->getArray("history")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), x->getArray("documents")->size());
        CPPUNIT_ASSERT_EQUAL(1L, audited("patient.export", id, "admin"));
        // The patient's own export.
        r = client().get(path(world().ownPatient, "/export"), as("patient"));
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT(audited("patient.export", world().ownPatient, "patient") >= 1);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DocumentsTest);
