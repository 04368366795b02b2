// The main of every clinicd test binary: runs the CppUnit suites registered
// in it. On the mariadb backend it starts a private MariaDB server first, and
// exits 77 (ctest: skipped) with a visible reason where none is installed.

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include "MariaDbServer.h"
#include "TestSupport.h"

namespace clinic::test {
const std::string& pendingSkip();
}

int main(int argc, char** argv)
{
    using namespace clinic::test;
    if (backend() == "mariadb") {
        if (!MariaDbServer::installed()) {
            std::cout << "SKIPPED: mariadb-server is not installed here (apt-get install mariadb-server); "
                         "the MariaDB run of this suite did not happen\n";
            return 77;
        }
        try {
            MariaDbServer::shared();
        } catch (const std::exception& e) {
            std::cout << "cannot start the test MariaDB server: " << e.what() << "\n";
            return 1;
        }
    }
    if (!pendingSkip().empty()) {
        std::cout << "SKIPPED: " << pendingSkip() << "\n";
        return 77;
    }

    CppUnit::TestResult controller;
    CppUnit::TestResultCollector collected;
    controller.addListener(&collected);
    CppUnit::BriefTestProgressListener progress;
    controller.addListener(&progress);
    CppUnit::TestRunner runner;
    CppUnit::Test* all = CppUnit::TestFactoryRegistry::getRegistry().makeTest();
    runner.addTest(all);
    // One argument runs only that test or suite: Suite::test or Suite.
    runner.run(controller, argc > 1 ? argv[1] : "");
    CppUnit::CompilerOutputter outputter(&collected, std::cerr);
    outputter.write();
    MariaDbServer::stopShared();
    std::cout << "backend " << backend() << ": " << collected.runTests() << " tests, "
              << collected.testFailuresTotal() << " failed\n";
    return collected.wasSuccessful() ? 0 : 1;
}
