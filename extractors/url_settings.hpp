#pragma once
// What the extractors' settings_from_url share: the place settings taken
// from a URL on the command line are said to come from, and the settings of
// a server URL's user, password, host, port and path.

#include <string>

#include "core/config.hpp"
#include "core/url.hpp"

namespace connctl::extractors {

// Where a setting given as a URL on the command line comes from.
core::Location command_line();

// Sets `key` as given on the command line.
void put_url_setting(core::Settings& settings, const std::string& key, core::SettingValue value,
                     bool secret = false);

// host and port (when given), user (when not empty), password (a secret)
// and the path without its leading '/' (when not empty) as `database_key`.
core::Settings server_url_settings(const core::Url& url, const std::string& database_key);

}  // namespace connctl::extractors
