// The parser compiled again with toml++ header-only, so the fuzzer instruments (and gets
// coverage from) toml++ itself, not only our validator. The linker takes these definitions and
// leaves libbenchlab_harness.a's scenario.cpp.o unused; the shipped binary uses the shared
// libtomlplusplus of the same version.
#undef TOML_HEADER_ONLY
#undef TOML_SHARED_LIB
#define TOML_HEADER_ONLY 1
#include "../src/scenario.cpp"
