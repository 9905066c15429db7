#include "extractors/registry.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace connctl::extractors {

std::string_view to_string(StepStatus status) {
  switch (status) {
    case StepStatus::ok:
      return "ok";
    case StepStatus::failed:
      return "failed";
    case StepStatus::skipped:
      return "skipped";
  }
  return "failed";
}

bool TestReport::ok() const {
  return std::none_of(steps.begin(), steps.end(),
                      [](const TestStep& s) { return s.status == StepStatus::failed; });
}

void StepRunner::skip(std::string name, std::string why) {  // the reason goes in the hint
  record(std::move(name), StepStatus::skipped, 0, "", std::move(why));
}

void StepRunner::record(std::string name, StepStatus status, std::int64_t ms, std::string error,
                        std::string hint) {
  m_report.steps.push_back(
      TestStep{std::move(name), status, ms, std::move(error), std::move(hint)});
}

Registry& Registry::instance() {
  static Registry registry;
  return registry;
}

bool Registry::add(ExtractorInfo info) {
  if (find(info.type)) {
    std::fprintf(stderr, "connctl: extractor type '%s' registered twice\n", info.type.c_str());
    std::abort();
  }
  m_infos.push_back(std::move(info));
  return true;
}

const ExtractorInfo* Registry::find(std::string_view type) const {
  for (const auto& info : m_infos) {
    if (info.type == type) return &info;
  }
  return nullptr;
}

const ExtractorInfo* Registry::find_by_scheme(std::string_view scheme) const {
  for (const auto& info : m_infos) {
    for (const auto& s : info.url_schemes) {
      if (s == scheme) return &info;
    }
  }
  return nullptr;
}

std::vector<const ExtractorInfo*> Registry::all() const {
  std::vector<const ExtractorInfo*> out;
  for (const auto& info : m_infos) out.push_back(&info);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->type < b->type; });
  return out;
}

core::SourceTypeLookup Registry::config_lookup() const {
  return [this](std::string_view type) -> std::optional<core::SourceTypeSchema> {
    const ExtractorInfo* info = find(type);
    if (!info) return std::nullopt;
    return core::SourceTypeSchema{info->type, info->keys};
  };
}

}  // namespace connctl::extractors
