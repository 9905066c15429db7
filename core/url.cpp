#include "core/url.hpp"

#include <fmt/format.h>

#include <cctype>

#include "core/error.hpp"
#include "core/secrets.hpp"

namespace connctl::core {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        throw_usage(fmt::format("malformed percent-encoding in the URL's {}", what));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Query parameters that carry credentials (libpq accepts ?password=, REST
// sources take tokens): they are secrets like the password of the authority.
bool is_secret_query_key(std::string_view key) {
  std::string lower;
  for (char c : key)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower == "pwd" || lower.find("password") != std::string::npos ||
         lower.find("passwd") != std::string::npos || lower.find("secret") != std::string::npos ||
         lower.find("token") != std::string::npos;
}

}  // namespace

bool looks_like_url(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  if (!std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    char c = text[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  return true;
}

Url parse_url(std::string_view text) {
  if (!looks_like_url(text)) {
    throw_usage("not a URL: expected scheme://… (for example sqlite:///abs/path.db)");
  }
  Url url;
  auto colon = text.find(':');
  for (char c : text.substr(0, colon))
    url.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string_view rest = text.substr(colon + 1);

  auto query_pos = rest.find('?');
  if (query_pos != std::string_view::npos) {
    std::string_view query = rest.substr(query_pos + 1);
    rest = rest.substr(0, query_pos);
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq), "query");
      std::string value = eq == std::string_view::npos
                              ? std::string{}
                              : percent_decode(pair.substr(eq + 1), "query");
      if (is_secret_query_key(key)) {
        register_secret(value);
        if (eq != std::string_view::npos) register_secret(pair.substr(eq + 1));
      }
      url.query[key] = value;
    }
  }

  if (rest.substr(0, 2) != "//") {
    // scheme:path, e.g. sqlite:relative.db
    url.path = percent_decode(rest, "path");
    return url;
  }
  rest = rest.substr(2);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  url.path =
      slash == std::string_view::npos ? std::string{} : percent_decode(rest.substr(slash), "path");

  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto pw = userinfo.find(':');
    url.user = percent_decode(userinfo.substr(0, pw), "user name");
    if (pw != std::string_view::npos) {
      // The URL as written (in a config file, a driver's message) holds the
      // encoded form, which must be redacted too; registered before decoding
      // can fail.
      register_secret(userinfo.substr(pw + 1));
      url.password = percent_decode(userinfo.substr(pw + 1), "password");
      register_secret(*url.password);
    }
  }

  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {  // [::1]:5432
    auto close = host.find(']');
    if (close == std::string_view::npos) throw_usage("malformed URL: unterminated '[' in the host");
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') throw_usage("malformed URL: expected ':' after ']' in the host");
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (auto pc = host.rfind(':'); pc != std::string_view::npos) {
    port = host.substr(pc + 1);
    host = host.substr(0, pc);
  }
  url.host = percent_decode(host, "host");
  if (!port.empty()) {
    int value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || value > 65535) {
        throw_usage(fmt::format("malformed URL: port '{}' is not a number from 1 to 65535", port));
      }
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) {
      throw_usage(fmt::format("malformed URL: port '{}' is not a number from 1 to 65535", port));
    }
    url.port = value;
  }
  return url;
}

std::string Url::redacted() const {
  std::string out = scheme + ":";
  bool has_authority = !host.empty() || user || port;
  if (has_authority || (path.size() > 0 && path[0] == '/')) out += "//";
  if (user) {
    out += *user;
    if (password) out += ":***";
    out += "@";
  }
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port) out += fmt::format(":{}", *port);
  out += path;
  char sep = '?';
  for (const auto& [k, v] : query) {
    out += sep;
    out += k;
    out += '=';
    out += is_secret_query_key(k) ? std::string(k_redacted) : v;
    sep = '&';
  }
  return out;
}

}  // namespace connctl::core
