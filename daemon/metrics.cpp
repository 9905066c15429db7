#include "daemon/metrics.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include "core/error.hpp"
#include "core/log.hpp"

namespace connctl::daemon {
namespace {

// A label value with \, " and newline escaped, as the text format requires.
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

double seconds_since_epoch(core::TimePoint t) {
  return static_cast<double>(t.time_since_epoch().count()) / 1000.0;
}

}  // namespace

void Metrics::run_finished(const std::string& job, catalog::RunStatus status, double seconds,
                           const catalog::ApplyCounts& counts, core::TimePoint finished_at) {
  std::lock_guard lock(m_mutex);
  JobMetrics& m = m_jobs[job];
  ++m.runs[std::string(catalog::to_string(status))];
  m.duration_sum += seconds;
  ++m.duration_count;
  m.entities.added += counts.added;
  m.entities.changed += counts.changed;
  m.entities.removed += counts.removed;
  m.entities.unchanged += counts.unchanged;
  if (status == catalog::RunStatus::succeeded || status == catalog::RunStatus::partial) {
    m.last_success = finished_at;
  }
}

void Metrics::fire_skipped(const std::string& job) {
  std::lock_guard lock(m_mutex);
  ++m_jobs[job].skipped;
}

void Metrics::fire_claimed(const std::string& job, std::string_view result) {
  std::lock_guard lock(m_mutex);
  ++m_jobs[job].claims[std::string(result)];
}

void Metrics::set_next_fire(const std::string& job, std::optional<core::TimePoint> next) {
  std::lock_guard lock(m_mutex);
  m_jobs[job].next_fire = next;
}

void Metrics::set_running(std::int64_t running) {
  std::lock_guard lock(m_mutex);
  m_running = running;
}

void Metrics::set_jobs(const std::vector<std::string>& jobs) {
  std::lock_guard lock(m_mutex);
  for (auto& [name, m] : m_jobs) {
    if (std::find(jobs.begin(), jobs.end(), name) == jobs.end()) m.next_fire.reset();
  }
}

std::string Metrics::render() const {
  std::lock_guard lock(m_mutex);
  std::string out;
  auto header = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  header("connctl_up", "gauge", "1 while the daemon runs");
  out += "connctl_up 1\n";
  header("connctl_running_runs", "gauge", "Runs going on now");
  out += fmt::format("connctl_running_runs {}\n", m_running);
  header("connctl_runs_total", "counter", "Finished runs by job and status");
  for (const auto& [job, m] : m_jobs) {
    for (const auto& [status, n] : m.runs) {
      out +=
          fmt::format("connctl_runs_total{{job=\"{}\",status=\"{}\"}} {}\n", label(job), status, n);
    }
  }
  header("connctl_run_duration_seconds", "summary", "Run durations by job");
  for (const auto& [job, m] : m_jobs) {
    if (m.duration_count == 0) continue;
    out += fmt::format("connctl_run_duration_seconds_sum{{job=\"{}\"}} {:.3f}\n", label(job),
                       m.duration_sum);
    out += fmt::format("connctl_run_duration_seconds_count{{job=\"{}\"}} {}\n", label(job),
                       m.duration_count);
  }
  header("connctl_entities_total", "counter", "Entities written by job and change type");
  for (const auto& [job, m] : m_jobs) {
    if (m.duration_count == 0) continue;
    const std::pair<const char*, std::int64_t> changes[] = {{"added", m.entities.added},
                                                            {"changed", m.entities.changed},
                                                            {"removed", m.entities.removed},
                                                            {"unchanged", m.entities.unchanged}};
    for (const auto& [change, n] : changes) {
      out += fmt::format("connctl_entities_total{{job=\"{}\",change=\"{}\"}} {}\n", label(job),
                         change, n);
    }
  }
  header("connctl_last_success_timestamp_seconds", "gauge",
         "When the job last finished succeeded or partial (Unix time)");
  for (const auto& [job, m] : m_jobs) {
    if (m.last_success) {
      out += fmt::format("connctl_last_success_timestamp_seconds{{job=\"{}\"}} {:.3f}\n",
                         label(job), seconds_since_epoch(*m.last_success));
    }
  }
  header("connctl_next_fire_timestamp_seconds", "gauge",
         "The job's next scheduled time (Unix time)");
  for (const auto& [job, m] : m_jobs) {
    if (m.next_fire) {
      out += fmt::format("connctl_next_fire_timestamp_seconds{{job=\"{}\"}} {:.3f}\n", label(job),
                         seconds_since_epoch(*m.next_fire));
    }
  }
  header("connctl_skipped_fires_total", "counter",
         "Fires skipped because the job was still running");
  for (const auto& [job, m] : m_jobs) {
    out += fmt::format("connctl_skipped_fires_total{{job=\"{}\"}} {}\n", label(job), m.skipped);
  }
  header("connctl_fire_claims_total", "counter",
         "Fires claimed by this daemon (won), found claimed by another daemon (lost), or taken "
         "over from a daemon whose lease expired (taken_over)");
  for (const auto& [job, m] : m_jobs) {
    for (const char* result : {"won", "lost", "taken_over"}) {
      auto it = m.claims.find(result);
      out += fmt::format("connctl_fire_claims_total{{job=\"{}\",result=\"{}\"}} {}\n", label(job),
                         result, it == m.claims.end() ? 0 : it->second);
    }
  }
  return out;
}

MetricsServer::MetricsServer(const Metrics& metrics, std::function<std::string()> healthy)
    : m_metrics(metrics),
      m_healthy(std::move(healthy)),
      m_server(std::make_unique<httplib::Server>()) {
  m_server->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(m_metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  m_server->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const std::string problem = m_healthy();
    res.status = problem.empty() ? 200 : 503;
    res.set_content(problem.empty() ? "ok\n" : problem + "\n", "text/plain; charset=utf-8");
  });
}

MetricsServer::~MetricsServer() {
  if (m_thread.joinable()) {
    m_server->stop();
    m_thread.join();
  }
}

int MetricsServer::start(const std::string& address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    core::throw_usage(fmt::format("--metrics-listen '{}': expected HOST:PORT", address),
                      "e.g. 127.0.0.1:9464");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  int port = 0;
  try {
    port = std::stoi(address.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    core::throw_usage(fmt::format("--metrics-listen '{}': bad port", address),
                      "e.g. 127.0.0.1:9464");
  }
  if (port == 0) {
    port = m_server->bind_to_any_port(host);
  } else if (!m_server->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    core::throw_usage(fmt::format("--metrics-listen '{}': cannot listen there", address),
                      "is the port in use, or the address not on this host?");
  }
  m_thread = std::thread([this] { m_server->listen_after_bind(); });
  return port;
}

}  // namespace connctl::daemon
