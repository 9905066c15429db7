#pragma once
// The extractor contract (DESIGN.md): test_connection() runs named steps,
// extract() streams entities into a sink and reports completeness. Extractors
// never know where their entities go.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cancel.hpp"
#include "core/config.hpp"
#include "extractors/filter.hpp"
#include "schema/entity.hpp"
#include "schema/sink.hpp"

namespace connctl::extractors {

// A source ready to be opened: its name, type and resolved settings.
struct SourceSpec {
  std::string name;
  std::string type;
  core::Settings settings;
  std::string origin;  // where it was defined: "connctl.toml:12:1" or "<command line>"
};

enum class StepStatus { ok, failed, skipped };
std::string_view to_string(StepStatus status);

struct TestStep {
  std::string name;  // resolve, connect, tls, authenticate, list_schemas, read_columns, …
  StepStatus status = StepStatus::ok;
  std::int64_t duration_ms = 0;
  std::string error;  // on failure: what failed
  std::string hint;   // on failure: what to do
};

struct TestReport {
  std::string source;
  std::vector<TestStep> steps;
  bool ok() const;
};

struct ExtractRequest {
  Filter filter;
  bool lineage = true;
  bool stats = false;                // observations such as row counts (may read data pages)
  std::optional<std::string> since;  // watermark of the last run, where the source can use it
};

struct ExtractResult {
  std::vector<schema::ContainerStatus> completeness;
  std::optional<std::string> watermark;
};

class Extractor {
 public:
  virtual ~Extractor() = default;

  // Never throws for a failing step: failures are reported in the steps.
  virtual TestReport test_connection(const core::CancelToken& cancel) = 0;

  // Throws core::Error(connection) when the source cannot be reached before
  // anything was streamed, core::Error(runtime) for a failure midway.
  // Objects that cannot be read are reported as skipped warnings.
  virtual ExtractResult extract(const ExtractRequest& request, schema::EntitySink& sink,
                                const core::CancelToken& cancel) = 0;

  // A short text that changes whenever what `extract(request)` returns may
  // have changed (DDL, comments, owners, grants) and otherwise stays the same,
  // so that a sync can tell an unchanged source without extracting it; nullopt
  // when the source cannot tell (the default). Read before extracting: a change
  // that races with it is seen by the next run. Throws like `extract`.
  virtual std::optional<std::string> change_signature(const ExtractRequest& request,
                                                      const core::CancelToken& cancel) {
    (void)request;
    (void)cancel;
    return std::nullopt;
  }
};

// Times a step and records its outcome; the step function throws
// core::Error to fail it (its message and hint become the step's).
class StepRunner {
 public:
  explicit StepRunner(TestReport& report) : m_report(report) {}

  // Runs fn unless an earlier step failed (then the step is skipped).
  // Returns true when the step passed.
  template <class Fn>
  bool run(std::string name, Fn&& fn);
  void skip(std::string name, std::string why);  // `why` is reported as the hint
  bool failed() const { return m_failed; }

 private:
  void record(std::string name, StepStatus status, std::int64_t ms, std::string error,
              std::string hint);
  TestReport& m_report;
  bool m_failed = false;
};

}  // namespace connctl::extractors

#include "extractors/extractor_inl.hpp"
