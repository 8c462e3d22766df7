#include "benchlab/cli.hpp"

int main(int argc, char** argv) { return benchlab::cli_main(argc, argv); }
