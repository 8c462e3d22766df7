#pragma once
namespace benchlab {
// The `benchlab` command line; returns the process exit code (see ExitCode).
int cli_main(int argc, char** argv);
}  // namespace benchlab
