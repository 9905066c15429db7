#include "cli/output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/stop.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "schema/fqn.hpp"

namespace connctl::cli {

bool stdout_is_terminal() {
  return isatty(STDOUT_FILENO) == 1;
}
bool stderr_is_terminal() {
  return isatty(STDERR_FILENO) == 1;
}

void print_table(const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(headers.size(), 0);
  for (std::size_t i = 0; i < headers.size(); ++i) widths[i] = headers[i].size();
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::puts(line.c_str());
  };
  print_row(headers);
  for (const auto& row : rows) print_row(row);
}

void json_string(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void json_key(JsonWriter& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}

void json_string_or_null(JsonWriter& w, std::string_view s) {
  if (s.empty()) {
    w.Null();
  } else {
    json_string(w, s);
  }
}

void print_json(const rapidjson::StringBuffer& buffer) {
  std::fwrite(buffer.GetString(), 1, buffer.GetSize(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

AtomicOutputFile::AtomicOutputFile(const std::filesystem::path& target) : m_target(target) {
  auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    core::throw_runtime(
        fmt::format("cannot create the output file in {}: {}", dir.string(), std::strerror(errno)),
        "check that the directory exists and is writable");
  }
  m_temp = tmpl;
  remove_on_forced_stop(tmpl);
  // mkstemp creates 0600; give the file the mode a plain create would get.
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  m_file = fdopen(fd, "wb");
  if (!m_file) {
    int err = errno;
    close(fd);
    unlink(m_temp.c_str());
    forget_on_forced_stop(tmpl);
    core::throw_runtime(fmt::format("cannot open the output file: {}", std::strerror(err)));
  }
}

AtomicOutputFile::~AtomicOutputFile() {
  if (m_file) std::fclose(m_file);
  if (!m_committed && !m_temp.empty()) unlink(m_temp.c_str());
  if (!m_temp.empty()) forget_on_forced_stop(m_temp.string());
}

void AtomicOutputFile::commit() {
  bool ok = std::fflush(m_file) == 0 && fsync(fileno(m_file)) == 0;
  int err = errno;
  ok = std::fclose(m_file) == 0 && ok;
  m_file = nullptr;
  if (!ok)
    core::throw_runtime(fmt::format("cannot write {}: {}", m_target.string(), std::strerror(err)));
  if (std::rename(m_temp.c_str(), m_target.c_str()) != 0) {
    core::throw_runtime(fmt::format("cannot move the output into place at {}: {}",
                                    m_target.string(), std::strerror(errno)));
  }
  m_committed = true;
}

ProgressSink::ProgressSink(schema::EntitySink& next, std::string source)
    : m_next(next), m_source(std::move(source)) {}

ProgressSink::~ProgressSink() {
  clear();
}

void ProgressSink::on_entity(const schema::Entity& entity) {
  ++m_count;
  m_next.on_entity(entity);
  if ((m_count & 0x3ff) == 1) {
    auto now = std::chrono::steady_clock::now();
    if (now - m_last_draw > std::chrono::milliseconds(200)) {
      m_last_draw = now;
      draw();
    }
  }
}

void ProgressSink::on_warning(const schema::Warning& warning) {
  clear();
  m_next.on_warning(warning);
}

void ProgressSink::draw() {
  std::fprintf(stderr, "\r\x1b[Kconnctl: extracting %s: %zu entities", m_source.c_str(), m_count);
  std::fflush(stderr);
  m_drawn = true;
}

void ProgressSink::clear() {
  if (!m_drawn) return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  m_drawn = false;
}

void CountingSink::on_warning(const schema::Warning& warning) {
  ++warnings;
  if (warning.skipped) ++skipped;
  core::log_line(warning.skipped ? core::LogLevel::warn : core::LogLevel::info,
                 fmt::format("{}: {}{}", warning.object, warning.message,
                             warning.skipped ? " (skipped)" : ""));
  m_next.on_warning(warning);
}

}  // namespace connctl::cli
