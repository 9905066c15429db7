// core/url: source URLs on the command line and in `url = `.

#include "core/url.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "core/secrets.hpp"

namespace connctl::core {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class UrlTest : public ::testing::Test {
 protected:
  void SetUp() override { clear_secrets_for_testing(); }
  void TearDown() override { clear_secrets_for_testing(); }
};

TEST_F(UrlTest, ParsesAFullPostgresUrl) {
  Url url = parse_url("postgresql://user:pa%40ss@[::1]:5432/db?sslmode=require");
  EXPECT_EQ(url.scheme, "postgresql");
  EXPECT_EQ(url.user, "user");
  EXPECT_EQ(url.password, "pa@ss");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 5432);
  EXPECT_EQ(url.path, "/db");
  EXPECT_EQ(url.query, (std::map<std::string, std::string>{{"sslmode", "require"}}));
}

TEST_F(UrlTest, PasswordIsRegisteredAsASecret) {
  parse_url("postgresql://user:pa%40ss@[::1]:5432/db?sslmode=require");
  EXPECT_EQ(redact("auth failed for pa@ss"), "auth failed for ***");
  // The encoded form, as the URL was written, is hidden as well.
  EXPECT_EQ(redact("postgresql://user:pa%40ss@[::1]:5432/db"),
            "postgresql://user:***@[::1]:5432/db");
}

TEST_F(UrlTest, RedactedHidesThePassword) {
  Url url = parse_url("postgresql://user:pa%40ss@[::1]:5432/db?sslmode=require");
  std::string text = url.redacted();
  EXPECT_EQ(text, "postgresql://user:***@[::1]:5432/db?sslmode=require");
  EXPECT_THAT(text, Not(HasSubstr("pa@ss")));
  EXPECT_THAT(text, Not(HasSubstr("pa%40ss")));
}

TEST_F(UrlTest, PasswordInTheQueryIsASecret) {
  Url url = parse_url("postgresql://h/db?password=qu3ry-pw&sslmode=disable&api_token=t0ken-value");
  EXPECT_EQ(url.query.at("password"), "qu3ry-pw");
  EXPECT_EQ(url.redacted(), "postgresql://h/db?api_token=***&password=***&sslmode=disable");
  EXPECT_EQ(redact("qu3ry-pw t0ken-value"), "*** ***");
}

TEST_F(UrlTest, ParsesSqliteUrls) {
  Url absolute = parse_url("sqlite:///abs/path.db");
  EXPECT_EQ(absolute.scheme, "sqlite");
  EXPECT_EQ(absolute.host, "");
  EXPECT_EQ(absolute.path, "/abs/path.db");
  EXPECT_FALSE(absolute.user);
  EXPECT_FALSE(absolute.port);
  EXPECT_EQ(absolute.redacted(), "sqlite:///abs/path.db");

  Url relative = parse_url("sqlite:rel.db");
  EXPECT_EQ(relative.scheme, "sqlite");
  EXPECT_EQ(relative.host, "");
  EXPECT_EQ(relative.path, "rel.db");
  EXPECT_EQ(relative.redacted(), "sqlite:rel.db");
}

TEST_F(UrlTest, LowerCasesTheSchemeAndDecodesThePath) {
  Url url = parse_url("SQLite:///my%20data/a.db");
  EXPECT_EQ(url.scheme, "sqlite");
  EXPECT_EQ(url.path, "/my data/a.db");
}

TEST_F(UrlTest, UserWithoutPassword) {
  Url url = parse_url("mysql://reader@db.example.com/shop");
  EXPECT_EQ(url.user, "reader");
  EXPECT_FALSE(url.password);
  EXPECT_EQ(url.host, "db.example.com");
  EXPECT_FALSE(url.port);
  EXPECT_EQ(url.redacted(), "mysql://reader@db.example.com/shop");
}

TEST_F(UrlTest, RejectsBadPorts) {
  for (const char* text :
       {"postgresql://h:0/db", "postgresql://h:65536/db", "postgresql://h:99999999999/db",
        "postgresql://h:54x/db", "postgresql://h:-1/db", "postgresql://[::1]:x/db"}) {
    try {
      parse_url(text);
      ADD_FAILURE() << "no error for " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage);
      EXPECT_THAT(e.what(), HasSubstr("is not a number from 1 to 65535")) << text;
    }
  }
  EXPECT_EQ(parse_url("postgresql://h:65535/db").port, 65535);
  EXPECT_EQ(parse_url("postgresql://h:1/db").port, 1);
}

TEST_F(UrlTest, RejectsMalformedUrls) {
  for (const char* text : {"not a url", "shop", "://x", "1abc://h", "postgresql://[::1/db",
                           "postgresql://[::1]x/db", "postgresql://u:p%4@h/db", "sqlite:%zz.db"}) {
    EXPECT_THROW(parse_url(text), Error) << text;
  }
}

TEST_F(UrlTest, MalformedPasswordIsNotEchoed) {
  try {
    parse_url("postgresql://u:Secr%4t@h/db");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), Not(HasSubstr("Secr")));
    EXPECT_THAT(e.what(), HasSubstr("password"));
  }
  EXPECT_EQ(redact("Secr%4t"), "***");
}

TEST_F(UrlTest, LooksLikeUrl) {
  EXPECT_TRUE(looks_like_url("sqlite:rel.db"));
  EXPECT_TRUE(looks_like_url("postgresql://h/db"));
  EXPECT_TRUE(looks_like_url("git+ssh://h"));
  EXPECT_FALSE(looks_like_url("shop"));
  EXPECT_FALSE(looks_like_url(":x"));
  EXPECT_FALSE(looks_like_url("1a:x"));
  EXPECT_FALSE(looks_like_url("a b:x"));
  EXPECT_FALSE(looks_like_url(""));
}

}  // namespace
}  // namespace connctl::core
