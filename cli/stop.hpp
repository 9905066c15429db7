#pragma once
// Stop signals of the one-shot commands. SIGINT and SIGTERM cancel the token
// the command polls: it stops at its next safe point and exits 130. A source
// that cannot be reached to cancel its query (a network that no longer
// answers) would hold the command until that query's read timeout, so a
// command still running k_stop_grace after the first signal, or at a second
// signal, is ended at once: the files registered here are removed, the reason
// is logged, and the process exits 130 without unwinding. What that leaves
// is what a kill leaves, which the catalog stores survive (a transaction not
// committed is rolled back). The daemon blocks these signals and reads them
// itself (daemon/service.hpp); the watcher thread started here blocks them
// too, so that it never takes one meant for the daemon.

#include <chrono>
#include <string>

#include "core/cancel.hpp"

namespace connctl::cli {

inline constexpr std::chrono::seconds k_stop_grace{5};

// The token the signals cancel.
core::CancelToken& stop_token();

// Installs the handlers and starts the watcher; once, before other threads.
void install_stop_handlers();

// A file to remove if the process is ended at once (a temporary output
// file); forget it once it is renamed into place or removed.
void remove_on_forced_stop(const std::string& path);
void forget_on_forced_stop(const std::string& path);

}  // namespace connctl::cli
