#include "extractors/source.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/url.hpp"

namespace connctl::extractors {
namespace {

std::string known_types() {
  std::string out;
  for (const auto* info : Registry::instance().all()) {
    if (!out.empty()) out += ", ";
    out += info->type;
  }
  return out;
}

std::string known_schemes() {
  std::string out;
  for (const auto* info : Registry::instance().all()) {
    for (const auto& s : info->url_schemes) {
      if (!out.empty()) out += ", ";
      out += s + "://";
    }
  }
  return out;
}

}  // namespace

SourceSpec resolve_source(std::string_view name_or_url, const core::Config* config) {
  if (core::looks_like_url(name_or_url)) {
    core::Url url = core::parse_url(name_or_url);
    const ExtractorInfo* info = Registry::instance().find_by_scheme(url.scheme);
    if (!info) {
      core::throw_usage(fmt::format("unknown source URL scheme '{}:'", url.scheme),
                        fmt::format("known schemes: {}", known_schemes()));
    }
    SourceSpec spec;
    spec.type = info->type;
    spec.settings = info->settings_from_url(url, spec.name);
    if (spec.name.empty()) spec.name = info->type;
    spec.origin = "<command line>";
    return spec;
  }
  if (!config) {
    core::throw_usage(fmt::format("no source named '{}': no config file was found", name_or_url),
                      "give a URL such as sqlite:///abs/path.db, or a config file with --config "
                      "(see docs/config.md)");
  }
  const core::SourceConfig* source = config->find_source(name_or_url);
  if (!source) {
    std::string names;
    for (const auto& s : config->sources) names += (names.empty() ? "" : ", ") + s.name;
    core::throw_usage(fmt::format("no source named '{}' in {}", name_or_url, config->path),
                      names.empty() ? "the config defines no [[source]]"
                                    : fmt::format("configured sources: {}", names));
  }
  return spec_from_config(*source);
}

SourceSpec spec_from_config(const core::SourceConfig& source) {
  SourceSpec spec;
  spec.name = source.name;
  spec.type = source.type;
  spec.origin = source.where.str();
  const ExtractorInfo* info = Registry::instance().find(source.type);
  if (!info) {
    core::throw_usage(fmt::format("{}: source '{}': unknown source type '{}'", source.where.str(),
                                  source.name, source.type),
                      fmt::format("known types: {}", known_types()));
  }
  if (auto url_text = source.settings.get_string("url")) {
    core::Url url = core::parse_url(*url_text);
    if (std::find(info->url_schemes.begin(), info->url_schemes.end(), url.scheme) ==
        info->url_schemes.end()) {
      core::throw_usage(fmt::format("{}: source '{}': a {}: URL does not fit type '{}'",
                                    source.settings.find("url")->where.str(), source.name,
                                    url.scheme, source.type));
    }
    std::string ignored_name;
    core::Settings from_url = info->settings_from_url(url, ignored_name);
    for (const auto& [key, setting] : from_url.all()) {
      if (!source.settings.has(key)) spec.settings.set(key, setting);
    }
  }
  for (const auto& [key, setting] : source.settings.all()) spec.settings.set(key, setting);
  return spec;
}

std::unique_ptr<Extractor> open_extractor(const SourceSpec& spec) {
  const ExtractorInfo* info = Registry::instance().find(spec.type);
  if (!info) {
    core::throw_usage(fmt::format("source '{}': unknown source type '{}'", spec.name, spec.type),
                      fmt::format("known types: {}", known_types()));
  }
  return info->factory(spec);
}

ExtractRequest request_from_settings(const SourceSpec& spec) {
  ExtractRequest request;
  if (auto includes = spec.settings.get_string_list("include")) {
    for (const auto& p : *includes) request.filter.include(p);
  }
  if (auto excludes = spec.settings.get_string_list("exclude")) {
    for (const auto& p : *excludes) request.filter.exclude(p);
  }
  if (auto lineage = spec.settings.get_bool("lineage")) request.lineage = *lineage;
  if (auto stats = spec.settings.get_bool("stats")) request.stats = *stats;
  return request;
}

}  // namespace connctl::extractors
