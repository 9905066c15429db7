#pragma once
// Source URLs given on the command line or as `url = ` in a [[source]]:
// scheme://[user[:password]@]host[:port][/path][?query]. sqlite: URLs are
// sqlite:///abs/path.db (empty host, absolute path) or sqlite:relative.db.
// A password found in a URL is registered as a secret as soon as it is parsed.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace connctl::core {

struct Url {
  std::string scheme;  // lower-cased
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::string host;
  std::optional<int> port;
  std::string path;  // percent-decoded; keeps its leading '/'
  std::map<std::string, std::string> query;

  // The URL with its password replaced by "***", for messages.
  std::string redacted() const;
};

// True when text looks like a URL (scheme followed by ':'), not a config name.
bool looks_like_url(std::string_view text);

// Throws core::Error(usage) naming the problem (never echoing a password).
Url parse_url(std::string_view text);

}  // namespace connctl::core
