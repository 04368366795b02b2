// Placeholder: being written.
#include <cppunit/extensions/HelperMacros.h>

class BookingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BookingTest);
    CPPUNIT_TEST(notWrittenYet);
    CPPUNIT_TEST_SUITE_END();

public:
    void notWrittenYet() { CPPUNIT_FAIL("not written yet"); }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BookingTest);
