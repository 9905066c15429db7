// core/secrets: the process-wide registry every message passes through.

#include "core/secrets.hpp"

#include <gtest/gtest.h>

namespace connctl::core {
namespace {

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_secrets_for_testing(); }
  void TearDown() override { clear_secrets_for_testing(); }
};

TEST_F(SecretsTest, RedactsEveryOccurrence) {
  register_secret("hunter2");
  EXPECT_EQ(redact("pw=hunter2, again hunter2hunter2"), "pw=***, again ******");
  EXPECT_EQ(redact("nothing here"), "nothing here");
  EXPECT_EQ(redact(""), "");
}

TEST_F(SecretsTest, ShortValuesAreNotRemembered) {
  register_secret("ab");
  register_secret("");
  EXPECT_EQ(redact("ab cab"), "ab cab");
}

TEST_F(SecretsTest, LongestSecretWinsWhenTheyOverlap) {
  register_secret("abc");
  register_secret("abcdef");
  EXPECT_EQ(redact("xabcdefx abcx"), "x***x ***x");
}

TEST_F(SecretsTest, RegisteringTwiceIsHarmless) {
  register_secret("token-1");
  register_secret("token-1");
  EXPECT_EQ(redact("token-1"), "***");
}

TEST_F(SecretsTest, SecretEqualToTheMarkerDoesNotLoop) {
  register_secret("***");
  EXPECT_EQ(redact("a *** b"), "a *** b");
}

TEST_F(SecretsTest, ClearForgetsEverything) {
  register_secret("hunter2");
  clear_secrets_for_testing();
  EXPECT_EQ(redact("hunter2"), "hunter2");
}

}  // namespace
}  // namespace connctl::core
