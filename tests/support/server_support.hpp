#pragma once
// What the throwaway database servers of the gtest suites (pg_server,
// mariadb_server) share: child processes with redirected output, the
// unprivileged system user the servers run as when the tests run as root,
// a free loopback port and the server's temporary directory.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace connctl::testing {

// The system user the test servers run as when the tests run as root.
inline constexpr const char* k_server_os_user = "connctl-test";

bool is_root();

// Starts argv with stdin from `in` and stdout+stderr appended to `out`;
// returns the child's pid.
pid_t spawn(std::vector<std::string> argv, const std::filesystem::path& in,
            const std::filesystem::path& out);
// Waits for the child; its exit status, or -1 when it did not exit normally.
int wait_for(pid_t pid);
// Runs argv (through runuser as k_server_os_user when root and
// as_server_user), output appended to `log`; returns the exit status.
int run(std::vector<std::string> argv, const std::filesystem::path& log,
        bool as_server_user = true);

// A loopback TCP port nobody listened on a moment ago.
int free_port();

// A new temporary directory named after `prefix` (mode 0755), owned by
// k_server_os_user (created on first use) when root.
std::filesystem::path make_server_dir(const std::string& prefix);

// The last 2000 characters of a (log) file.
std::string tail_of(const std::filesystem::path& file);

}  // namespace connctl::testing
