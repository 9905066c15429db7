#include "extractors/url_settings.hpp"

#include <cstdint>
#include <utility>

namespace connctl::extractors {

core::Location command_line() {
  core::Location where;
  where.file = "<command line>";
  return where;
}

void put_url_setting(core::Settings& settings, const std::string& key, core::SettingValue value,
                     bool secret) {
  settings.set(key, core::Setting{std::move(value), command_line(), secret});
}

core::Settings server_url_settings(const core::Url& url, const std::string& database_key) {
  core::Settings settings;
  if (!url.host.empty()) put_url_setting(settings, "host", url.host);
  if (url.port) put_url_setting(settings, "port", static_cast<std::int64_t>(*url.port));
  if (url.user && !url.user->empty()) put_url_setting(settings, "user", *url.user);
  if (url.password) put_url_setting(settings, "password", *url.password, true);
  std::string db = url.path;
  if (!db.empty() && db.front() == '/') db.erase(0, 1);
  if (!db.empty()) put_url_setting(settings, database_key, db);
  return settings;
}

}  // namespace connctl::extractors
