#include "cli/app.hpp"

int main(int argc, char** argv) {
  return connctl::cli::run(argc, argv);
}
