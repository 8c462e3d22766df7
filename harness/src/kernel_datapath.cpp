#include "benchlab/kernel_datapath.hpp"

namespace benchlab {
namespace {

class KernelStack final : public Datapath {
 public:
  std::string name() const override { return "kernel"; }
};

}  // namespace

void register_kernel_datapath(DatapathRegistry& reg) {
  reg.add({
      .name = "kernel",
      .description = "plain kernel stack, nothing attached: the baseline of every traffic kind, the reference of every ratio",
      .options = {},
      .factory = [](const DatapathContext&) -> std::unique_ptr<Datapath> { return std::make_unique<KernelStack>(); },
      .probe = [] { return Support{}; },
      .traffic = {"stream", "packet"},
      .baseline_of = {"stream", "packet"},
      .summary = "the plain kernel stack, nothing attached: the baseline of every traffic kind",
  });
}

}  // namespace benchlab
