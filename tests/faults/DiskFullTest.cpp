// The disk under the SQLite data directory fills during a booking load (a
// size-limited tmpfs the test mounts): writes answer 503 STORAGE_FULL in the
// envelope with nothing half-written, reads that write nothing keep working,
// /health/ready names the disk, clinicd_storage_full says 1 for the alert,
// a document that does not fit leaves no file behind; once space is freed
// writes succeed again without a restart.

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <cppunit/extensions/HelperMacros.h>

#include "FaultsSupport.h"

using namespace clinic::test;

namespace {

/// A tmpfs of a few megabytes mounted for the test and unmounted when it
/// ends, whatever happened (lazily, so a file still open cannot keep it).
class SmallDisk {
public:
    explicit SmallDisk(const std::string& path, const std::string& size)
        : _path(path)
    {
        Poco::File(path).createDirectories();
        if (::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, ("size=" + size).c_str()) == 0)
            _mounted = true;
        else
            _error = std::strerror(errno);
    }
    ~SmallDisk()
    {
        if (_mounted)
            ::umount2(_path.c_str(), MNT_DETACH);
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;
    bool mounted() const { return _mounted; }
    const std::string& error() const { return _error; }

    /// Writes a filler file until the file system refuses; its size.
    long long fill()
    {
        const std::string filler = _path + "/filler";
        const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        CPPUNIT_ASSERT(fd >= 0);
        const std::string block(64 * 1024, 'x');
        long long written = 0;
        for (;;) {
            const ssize_t n = ::write(fd, block.data(), block.size());
            if (n <= 0)
                break;
            written += n;
        }
        ::close(fd);
        return written;
    }
    void free() { ::unlink((_path + "/filler").c_str()); }

private:
    std::string _path;
    bool _mounted = false;
    std::string _error;
};

std::string metrics(ClinicFixture& k)
{
    return k.client().get("/metrics", k.as("admin")).body;
}

/// Files under dir whose names say they were left half-written.
std::vector<std::string> partFiles(const std::string& dir)
{
    std::vector<std::string> out;
    if (!Poco::File(dir).exists())
        return out;
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it)
        if (it.name().find(".part-") != std::string::npos)
            out.push_back(it.name());
    return out;
}

/// A PDF body of n bytes (the type is decided by content).
std::string pdf(std::size_t n)
{
    std::string body = "%PDF-1.4\n";
    body.resize(n, 'p');
    return body;
}

} // namespace

class DiskFullTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DiskFullTest);
    CPPUNIT_TEST(fullDiskAnswersStorageFullKeepsReadsAndRecoversWithoutRestart);
    CPPUNIT_TEST_SUITE_END();

public:
    void fullDiskAnswersStorageFullKeepsReadsAndRecoversWithoutRestart()
    {
        TempDir dir;
        SmallDisk disk(dir.file("disk"), "32m");
        if (!disk.mounted()) {
            skipAll("cannot mount a tmpfs for the data directory (" + disk.error() + "); run as root");
            return;
        }
        ClinicOptions options;
        options.daemon = clinicDaemonOptions("records,scheduling,metrics");
        options.daemon.dataDir = dir.file("disk");
        ClinicFixture k(options);
        auto desk = openBookingDesk(k);
        const auto patient = desk.patients.front();
        BookingLoad load(k.daemon(), k.as("receptionist"), desk, 4, 15);
        CPPUNIT_ASSERT(load.awaitCreated(50));

        const long long filled = disk.fill();
        CPPUNIT_ASSERT_MESSAGE(load.tally().summary() + "\n" + logTail(k.daemon()),
            eventually([&] { return load.tally().storageFull >= 20; }, std::chrono::seconds(30)));
        const auto createdWhileFull = load.tally().created;

        // The operator's view: not ready because of the disk, the gauge at 1.
        auto ready = k.client().get("/health/ready");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ready.body, 503, ready.status);
        CPPUNIT_ASSERT_MESSAGE(
            ready.body, ready.json()->getObject("error")->getObject("details")->has("failing"));
        CPPUNIT_ASSERT_MESSAGE(ready.body,
            ready.json()->getObject("error")->getObject("details")->getValue<std::string>("failing").find(
                "disk")
                != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(metrics(k), metrics(k).find("clinicd_storage_full 1") != std::string::npos);

        // Reads that record nothing keep working.
        auto doctors = k.client().get("/api/v1/doctors", k.as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(doctors.body, 200, doctors.status);
        auto slots = k.client().get("/api/v1/availability?doctor_id=" + std::to_string(desk.doctors.front())
                + "&service_id=" + std::to_string(desk.service) + "&from=2027-06-01&to=2027-06-02",
            k.as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(slots.body, 200, slots.status);

        // A document that does not fit: refused in the envelope, no file left.
        const std::string documents = dir.file("disk") + "/documents";
        const auto docsBefore = k.count("records_documents");
        auto upload = k.client().request("POST",
            "/api/v1/patients/" + std::to_string(patient) + "/documents?filename=scan.pdf&kind=scan",
            pdf(512 * 1024), k.as("admin"), "application/pdf");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(upload.body, 503, upload.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(upload.body, std::string("STORAGE_FULL"), upload.errorCode());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), partFiles(documents).size());
        CPPUNIT_ASSERT_EQUAL(docsBefore, k.count("records_documents"));

        // Room again: bookings succeed, ready, gauge back to 0; no restart.
        const pid_t pid = k.daemon().pid();
        disk.free();
        const auto freed = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_MESSAGE(load.tally().summary() + "\n" + logTail(k.daemon()),
            eventually([&] { return load.firstCreatedAfter(freed).has_value(); }, std::chrono::seconds(10)));
        const double backSeconds
            = std::chrono::duration<double>(*load.firstCreatedAfter(freed) - freed).count();
        CPPUNIT_ASSERT(load.awaitCreated(50));
        load.stop();
        CPPUNIT_ASSERT(eventually([&] { return k.client().get("/health/ready").status == 200; }));
        CPPUNIT_ASSERT(
            eventually([&] { return metrics(k).find("clinicd_storage_full 0") != std::string::npos; }));
        CPPUNIT_ASSERT_EQUAL(pid, k.daemon().pid());
        CPPUNIT_ASSERT(k.daemon().running());
        upload = k.client().request("POST",
            "/api/v1/patients/" + std::to_string(patient) + "/documents?filename=scan.pdf&kind=scan",
            pdf(512 * 1024), k.as("admin"), "application/pdf");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(upload.body, 201, upload.status);

        // Nothing half-written: every 201 stored, no booking beyond them, each
        // with its occupancy and none without, and SQLite finds no damage.
        const auto t = load.tally();
        const long found = assertAllCreatedStored(k, t);
        CPPUNIT_ASSERT_EQUAL(t.created, k.count("scheduling_appointments"));
        CPPUNIT_ASSERT_EQUAL(0L,
            k.count("scheduling_occupancy o",
                "NOT EXISTS (SELECT 1 FROM scheduling_appointments a WHERE a.id = o.appointment_id)"));
        CPPUNIT_ASSERT_EQUAL(0L,
            k.count("scheduling_appointments a",
                "NOT EXISTS (SELECT 1 FROM scheduling_occupancy o WHERE o.appointment_id = a.id)"));
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), k.sql("PRAGMA integrity_check;"));
        std::cout << "\n  disk full (" << filled / 1024 << " KiB of filler): " << t.summary()
                  << "\n  answered 201: " << t.created << " (" << createdWhileFull
                  << " before the disk was freed), found in the database: " << found
                  << ", stored bookings: " << k.count("scheduling_appointments") << ", first 201 "
                  << backSeconds << " s after space was freed" << std::endl;
        CPPUNIT_ASSERT_MESSAGE(t.summary(), t.other == 0 && t.noAnswer == 0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DiskFullTest);
