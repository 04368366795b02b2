// PasswordHasher on its own: scrypt round trips, salts, tampering, the
// encoded parameters and the password policy. Also reports what one hash
// costs on this machine.

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "auth/PasswordHasher.h"

using clinic::PasswordHasher;

namespace {

/// encoded with the character at pos replaced by another of base64's.
std::string flipped(std::string encoded, std::size_t pos)
{
    encoded[pos] = encoded[pos] == 'A' ? 'B' : 'A';
    return encoded;
}

} // namespace

class PasswordHasherTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PasswordHasherTest);
    CPPUNIT_TEST(aHashVerifiesItsOwnPassword);
    CPPUNIT_TEST(aWrongPasswordDoesNotVerify);
    CPPUNIT_TEST(theSamePasswordGetsADifferentSaltEachTime);
    CPPUNIT_TEST(aTamperedHashIsRejected);
    CPPUNIT_TEST(theEncodingCarriesItsParameters);
    CPPUNIT_TEST(olderParametersStillVerifyButAskForARehash);
    CPPUNIT_TEST(thePolicyNamesWhatIsWrong);
    CPPUNIT_TEST(reportsTheCostOfOneHash);
    CPPUNIT_TEST_SUITE_END();

public:
    void aHashVerifiesItsOwnPassword()
    {
        PasswordHasher hasher;
        const std::vector<std::string> passwords
            = {"correct horse battery", "parolă-cu-diacritice-șț", std::string(1024, 'x')};
        for (const auto& password : passwords) {
            const auto encoded = hasher.hash(password);
            CPPUNIT_ASSERT(hasher.verify(password, encoded));
            CPPUNIT_ASSERT(encoded.find(password) == std::string::npos);
        }
    }

    void aWrongPasswordDoesNotVerify()
    {
        PasswordHasher hasher;
        const auto encoded = hasher.hash("correct horse battery");
        CPPUNIT_ASSERT(!hasher.verify("correct horse batterz", encoded));
        CPPUNIT_ASSERT(!hasher.verify("", encoded));
        CPPUNIT_ASSERT(!hasher.verify("Correct horse battery", encoded));
    }

    void theSamePasswordGetsADifferentSaltEachTime()
    {
        PasswordHasher hasher;
        const auto a = hasher.hash("correct horse battery");
        const auto b = hasher.hash("correct horse battery");
        CPPUNIT_ASSERT(a != b);
        CPPUNIT_ASSERT(PasswordHasher::parse(a)->salt != PasswordHasher::parse(b)->salt);
        CPPUNIT_ASSERT(
            hasher.verify("correct horse battery", a) && hasher.verify("correct horse battery", b));
    }

    void aTamperedHashIsRejected()
    {
        PasswordHasher hasher;
        const std::string password = "correct horse battery";
        const auto encoded = hasher.hash(password);
        const auto lastDollar = encoded.rfind('$');
        CPPUNIT_ASSERT(!hasher.verify(password, flipped(encoded, lastDollar + 3)));
        CPPUNIT_ASSERT(!hasher.verify(password, flipped(encoded, lastDollar - 3)));
        std::string cheaper = encoded;
        cheaper.replace(cheaper.find("ln=15"), 5, "ln=14");
        CPPUNIT_ASSERT(!hasher.verify(password, cheaper));
        CPPUNIT_ASSERT(!hasher.verify(password, encoded.substr(0, encoded.size() - 4)));
        CPPUNIT_ASSERT(!hasher.verify(password, encoded + "$"));
        CPPUNIT_ASSERT(!hasher.verify(password, ""));
        CPPUNIT_ASSERT(!hasher.verify(password, password));
        // A stored cost this large would allocate gigabytes: refused unread.
        std::string huge = encoded;
        huge.replace(huge.find("ln=15"), 5, "ln=30");
        CPPUNIT_ASSERT(!PasswordHasher::parse(huge));
        CPPUNIT_ASSERT(!hasher.verify(password, huge));
    }

    void theEncodingCarriesItsParameters()
    {
        const auto encoded = PasswordHasher().hash("correct horse battery");
        CPPUNIT_ASSERT_EQUAL(0, encoded.compare(0, 22, "$scrypt$ln=15,r=8,p=1$"));
        auto parsed = PasswordHasher::parse(encoded);
        CPPUNIT_ASSERT(parsed.has_value());
        CPPUNIT_ASSERT_EQUAL(15, parsed->params.logN);
        CPPUNIT_ASSERT_EQUAL(8, parsed->params.r);
        CPPUNIT_ASSERT_EQUAL(1, parsed->params.p);
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), parsed->salt.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), parsed->key.size());
        CPPUNIT_ASSERT(!PasswordHasher().needsRehash(encoded));
    }

    void olderParametersStillVerifyButAskForARehash()
    {
        PasswordHasher cheap(PasswordHasher::Params {12, 8, 1});
        const auto old = cheap.hash("correct horse battery");
        CPPUNIT_ASSERT_EQUAL(0, old.compare(0, 22, "$scrypt$ln=12,r=8,p=1$"));
        PasswordHasher current;
        CPPUNIT_ASSERT(current.verify("correct horse battery", old));
        CPPUNIT_ASSERT(current.needsRehash(old));
        CPPUNIT_ASSERT(current.needsRehash("not a hash"));
    }

    void thePolicyNamesWhatIsWrong()
    {
        auto problem = [](const std::string& user, const std::string& password) {
            return PasswordHasher::policyProblem(user, password);
        };
        CPPUNIT_ASSERT_EQUAL(std::string(""), problem("ana", "correct horse battery"));
        CPPUNIT_ASSERT(problem("ana", "nine char").find("shorter than 10") != std::string::npos);
        // Ten characters, more bytes: counted as characters.
        CPPUNIT_ASSERT_EQUAL(std::string(""), problem("ana", "șțășțășțăî"));
        CPPUNIT_ASSERT(problem("ana", std::string(1025, 'x') + "y").find("1024 bytes") != std::string::npos);
        CPPUNIT_ASSERT(problem("dr.popescu", "DR.POPESCU").find("the username") != std::string::npos);
        CPPUNIT_ASSERT(problem("ana", "xxxxxxxxxxxx").find("repeated") != std::string::npos);
        CPPUNIT_ASSERT(problem("ana", "ăăăăăăăăăăăă").find("repeated") != std::string::npos);
        CPPUNIT_ASSERT(problem("ana", "bad\xff utf-8 text").find("UTF-8") != std::string::npos);
    }

    /// Prints the cost of one hash at the shipped parameters (a figure, not a
    /// pass/fail: the machine's load decides the time), and checks that every
    /// hash it timed is a real, verifiable one.
    void reportsTheCostOfOneHash()
    {
        PasswordHasher hasher;
        constexpr int kRounds = 5;
        hasher.hash("warm up the allocator");
        std::vector<std::string> hashes;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < kRounds; ++i)
            hashes.push_back(hasher.hash("correct horse battery"));
        const double ms
            = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()
            / kRounds;
        std::cout << "\nscrypt ln=15 r=8 p=1: " << ms << " ms per hash (mean of " << kRounds << ")\n";
        for (const auto& h : hashes) {
            CPPUNIT_ASSERT(h.rfind("$scrypt$ln=15,r=8,p=1$", 0) == 0);
            CPPUNIT_ASSERT(hasher.verify("correct horse battery", h));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PasswordHasherTest);
