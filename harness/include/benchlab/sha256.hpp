#pragma once
#include <string>
#include <string_view>

namespace benchlab {
// Lower-case hex SHA-256 of the bytes (OpenSSL's libcrypto); identifies a scenario file in reports.
std::string sha256_hex(std::string_view data);
}  // namespace benchlab
