#include "ProcessMetrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

namespace clinic::metrics {

namespace {

prometheus::MetricFamily family(
    const std::string& name, const std::string& help, prometheus::MetricType type, double value)
{
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    prometheus::ClientMetric m;
    if (type == prometheus::MetricType::Counter)
        m.counter.value = value;
    else
        m.gauge.value = value;
    f.metric.push_back(m);
    return f;
}

/// The fields of /proc/self/stat after the command name. The name sits in
/// parentheses and may itself hold spaces and ')', so parsing starts after the
/// last ')'. fields[0] is field 3 (state) of proc(5).
std::vector<std::string> statFields()
{
    std::ifstream in("/proc/self/stat");
    std::string line;
    std::getline(in, line);
    auto close = line.rfind(')');
    if (close == std::string::npos)
        return {};
    std::istringstream rest(line.substr(close + 1));
    std::vector<std::string> fields;
    for (std::string f; rest >> f;)
        fields.push_back(f);
    return fields;
}

/// Boot time in seconds since the epoch (btime in /proc/stat), or 0.
double bootTime()
{
    std::ifstream in("/proc/stat");
    for (std::string key; in >> key;) {
        if (key == "btime") {
            double t = 0;
            in >> t;
            return t;
        }
        in.ignore(1 << 20, '\n');
    }
    // /proc/stat is hidden from the packaged service (ProcSubset=pid): the
    // same instant from the clocks, as starttime counts CLOCK_BOOTTIME ticks.
    timespec real {};
    timespec sinceBoot {};
    if (::clock_gettime(CLOCK_REALTIME, &real) != 0 || ::clock_gettime(CLOCK_BOOTTIME, &sinceBoot) != 0)
        return 0;
    return static_cast<double>(real.tv_sec - sinceBoot.tv_sec)
        + static_cast<double>(real.tv_nsec - sinceBoot.tv_nsec) / 1e9;
}

/// Entries of /proc/self/fd, less the one opendir itself holds; -1 if unreadable.
int openFds()
{
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir)
        return -1;
    int n = 0;
    while (const dirent* e = ::readdir(dir))
        if (e->d_name[0] != '.')
            ++n;
    ::closedir(dir);
    return n - 1;
}

} // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::collect() const
{
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto fields = statFields();
    // proc(5) numbering: utime 14, stime 15, starttime 22, vsize 23, rss 24;
    // fields[0] is field 3.
    if (fields.size() > 21 && ticks > 0) {
        const double utime = std::stod(fields[11]);
        const double stime = std::stod(fields[12]);
        out.push_back(family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
            MetricType::Counter, (utime + stime) / ticks));
        const double boot = bootTime();
        if (boot > 0)
            out.push_back(
                family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                    MetricType::Gauge, boot + std::stod(fields[19]) / ticks));
        out.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
            MetricType::Gauge, std::stod(fields[20])));
        out.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
            MetricType::Gauge, std::stod(fields[21]) * static_cast<double>(::sysconf(_SC_PAGESIZE))));
    }
    const int fds = openFds();
    if (fds >= 0)
        out.push_back(family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds));
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        out.push_back(family("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
            static_cast<double>(limit.rlim_cur)));
    return out;
}

} // namespace clinic::metrics
