// Documents: uploaded files kept beside the database, and their content.

#include "RecordsPlugin.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/Tuple.h>
#include <Poco/UUIDGenerator.h>

#include "RecordChecks.h"

using namespace Poco::Data::Keywords;

namespace records {

std::vector<RecordsPlugin::Document> RecordsPlugin::documentsOf(std::int64_t patientId,
    std::optional<std::int64_t> only, Poco::Int64 after, std::size_t pageSize,
    std::optional<std::string>& next)
{
    Poco::Data::Session s = _host->database().session();
    Poco::Int64 pid = patientId, docId = only.value_or(0),
                lim = static_cast<Poco::Int64>(std::min<std::size_t>(pageSize, 1000000) + 1);
    std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string, Poco::Int64, std::string,
        Poco::Int64, Poco::Int64>>
        rows;
    if (only)
        s << "SELECT id, kind, filename, content_type, size_bytes, sha256, created_at, created_by"
             " FROM records_documents WHERE patient_id = ? AND id = ?",
            use(pid), use(docId), into(rows), now;
    else
        s << "SELECT id, kind, filename, content_type, size_bytes, sha256, created_at, created_by"
             " FROM records_documents WHERE patient_id = ? AND id > ? ORDER BY id LIMIT ?",
            use(pid), use(after), use(lim), into(rows), now;
    std::vector<Document> out;
    for (std::size_t row = 0; row < rows.size(); ++row) {
        if (row == pageSize) {
            next = std::to_string(rows[row - 1].get<0>());
            break;
        }
        const auto& r = rows[row];
        Document d;
        const std::int64_t id = r.get<0>();
        d.filename = r.get<2>();
        d.contentType = r.get<3>();
        d.sha256 = r.get<5>();
        auto o = clinic::makeObject();
        o->set("id", r.get<0>());
        o->set("patient_id", static_cast<Poco::Int64>(patientId));
        o->set("kind", r.get<1>());
        o->set("filename", d.filename);
        o->set("content_type", d.contentType);
        o->set("size_bytes", r.get<4>());
        o->set("sha256", d.sha256);
        o->set("created_at", formatRfc3339(r.get<6>()));
        o->set("created_by", r.get<7>());
        o->set("content_url",
            "/api/v1/patients/" + std::to_string(patientId) + "/documents/" + std::to_string(id)
                + "/content");
        d.json = o;
        out.push_back(d);
    }
    return out;
}

namespace {

/// Writes content to a new file and fsyncs it; on any failure the file is
/// removed and the error thrown with its errno.
void writeDurably(const std::string& file, const std::string& content)
{
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "cannot write a document");
    std::size_t done = 0;
    int err = 0;
    while (done < content.size() && !err) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno != EINTR)
            err = errno;
        else if (n > 0)
            done += static_cast<std::size_t>(n);
    }
    if (!err && ::fsync(fd) != 0)
        err = errno;
    if (::close(fd) != 0 && !err)
        err = errno;
    if (err) {
        ::unlink(file.c_str());
        throw std::system_error(err, std::generic_category(), "cannot write a document");
    }
}

/// Makes a rename in dir durable.
void syncDirectory(const std::string& dir)
{
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

} // namespace

std::int64_t RecordsPlugin::storeDocument(Request& req, std::int64_t patientId, const std::string& content,
    const std::string& contentType, const std::string& kind, const std::string& filename,
    const std::string& action)
{
    const std::string sha = sha256Hex(content);
    const std::string path = _documentsDir + "/" + sha;
    bool created = false;
    if (!Poco::File(path).exists()) {
        // Written aside, made durable and renamed, so a reader never sees
        // half a file and a crash or a full disk leaves none behind. A full
        // disk is told as ENOSPC (a std::system_error), which the kernel
        // answers 503 STORAGE_FULL rather than 500.
        const std::string temp
            = path + ".part-" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
        writeDurably(temp, content);
        if (::rename(temp.c_str(), path.c_str()) != 0) {
            const int err = errno;
            ::unlink(temp.c_str());
            throw std::system_error(
                err, std::generic_category(), "cannot store a document in " + _documentsDir);
        }
        syncDirectory(_documentsDir);
        created = true;
    }
    Poco::Int64 newId = 0;
    try {
        _host->database().transact([&](clinic::Transaction& tx) {
            Poco::Int64 pid = patientId, size = static_cast<Poco::Int64>(content.size()), at = nowSeconds(),
                        by = req.caller.userId;
            std::string k = kind, f = filename, t = contentType, h = sha;
            tx.session()
                << "INSERT INTO records_documents (patient_id, kind, filename, content_type, size_bytes,"
                   " sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                use(pid), use(k), use(f), use(t), use(size), use(h), use(at), use(by), now;
            newId = tx.lastInsertId();
            auditWrite(tx, req, action, "document", newId, patientId);
        });
    } catch (...) {
        if (created)
            Poco::File(path).remove();
        throw;
    }
    return newId;
}

Response RecordsPlugin::listDocuments(Request& req)
{
    const std::int64_t id = req.idParam("id");
    clinic::PageRequest page = clinic::readPage(req);
    guard(req, id, PatientData::Clinical, "document.list");
    std::optional<std::string> next;
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& d : documentsOf(id, std::nullopt, page.cursor, page.limit, next))
        items->add(d.json);
    auditRead(req, "document.list", "document", "", id);
    return Response::json(clinic::listPage(items, next));
}

RecordsPlugin::Document RecordsPlugin::oneDocument(Request& req, std::int64_t patientId)
{
    const std::int64_t docId = req.idParam("doc_id");
    std::optional<std::string> next;
    auto found = documentsOf(patientId, docId, 0, 1, next);
    if (found.empty())
        throw HttpError::notFound("no such document");
    return found.front();
}

Response RecordsPlugin::getDocument(Request& req)
{
    const std::int64_t id = req.idParam("id");
    guard(req, id, PatientData::Clinical, "document.read");
    Document d = oneDocument(req, id);
    auditRead(req, "document.read", "document", req.param("doc_id"), id);
    return Response::json(d.json);
}

Response RecordsPlugin::documentContent(Request& req)
{
    const std::int64_t id = req.idParam("id");
    guard(req, id, PatientData::Clinical, "document.download");
    Document d = oneDocument(req, id);
    // The stored hash is the only thing that names the file; check its
    // shape anyway so a damaged row can never point outside the folder.
    if (d.sha256.size() != 64 || d.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw std::runtime_error("document " + std::to_string(id) + " has a malformed hash");
    std::ifstream in(_documentsDir + "/" + d.sha256, std::ios::binary);
    if (!in)
        throw std::runtime_error("document content missing from " + _documentsDir);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    auditRead(req, "document.download", "document", req.param("doc_id"), id);
    Response r = Response::text(bytes.str(), d.contentType);
    r.headers.emplace_back(
        "Content-Disposition", "attachment; filename=\"" + safeFilename(d.filename) + "\"");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
}

Response RecordsPlugin::uploadDocument(Request& req)
{
    const std::int64_t patientId = req.idParam("id");
    guard(req, patientId, PatientData::Clinical, "document.create");
    std::map<std::string, std::string> errors;
    const std::string kind = req.query("kind").value_or("other");
    if (kind.empty() || kind.size() > 32
        || kind.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
        errors["kind"] = "must be 1 to 32 lower-case letters or _";
    const std::string rawName = req.query("filename").value_or("");
    if (rawName.size() > 255)
        errors["filename"] = "is longer than 255 bytes";
    if (req.body.empty())
        errors["body"] = "is empty: send the file as the raw request body";
    if (!errors.empty())
        throw HttpError::validation(errors);
    const std::string type = sniffDocumentType(req.body);
    if (type.empty()) {
        auto details = clinic::makeObject();
        auto fields = clinic::makeObject();
        fields->set("body", "is not a PDF, PNG or JPEG file (judged by its content, not its name)");
        details->set("fields", fields);
        throw HttpError(
            415, "UNSUPPORTED_MEDIA_TYPE", "only PDF, PNG and JPEG documents are accepted", details);
    }
    const std::int64_t docId = storeDocument(req, patientId, req.body, type, kind,
        safeFilename(rawName.empty() ? "document" : rawName), "document.create");
    std::optional<std::string> next;
    auto d = documentsOf(patientId, docId, 0, 1, next).front();
    Response r = Response::json(d.json, 201);
    r.headers.emplace_back(
        "Location", "/api/v1/patients/" + std::to_string(patientId) + "/documents/" + std::to_string(docId));
    return r;
}

} // namespace records
