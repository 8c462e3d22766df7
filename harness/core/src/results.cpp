#include "benchlab/core/results.hpp"

namespace benchlab {

namespace {
uint64_t minus(uint64_t b, uint64_t a) { return b >= a ? b - a : 0; }
}  // namespace

Counters counter_delta(const Counters& a, const Counters& b) {
  Counters d;
  for (const auto& [k, v] : b) {
    auto it = a.find(k);
    d[k] = minus(v, it == a.end() ? 0 : it->second);
  }
  return d;
}

uint64_t counter_or_zero(const Counters& c, const std::string& key) {
  auto it = c.find(key);
  return it == c.end() ? 0 : it->second;
}

std::vector<LinkCounters> link_delta(const std::vector<LinkCounters>& a, const std::vector<LinkCounters>& b) {
  std::vector<LinkCounters> out;
  for (const LinkCounters& e : b) {
    LinkCounters base;
    for (const LinkCounters& x : a)
      if (x.role == e.role && x.ifname == e.ifname) base = x;
    LinkCounters d = e;
    d.rx_packets = minus(e.rx_packets, base.rx_packets);
    d.tx_packets = minus(e.tx_packets, base.tx_packets);
    d.rx_bytes = minus(e.rx_bytes, base.rx_bytes);
    d.tx_bytes = minus(e.tx_bytes, base.tx_bytes);
    d.rx_dropped = minus(e.rx_dropped, base.rx_dropped);
    d.tx_dropped = minus(e.tx_dropped, base.tx_dropped);
    d.xdp_xmit = minus(e.xdp_xmit, base.xdp_xmit);
    d.xdp_xmit_errors = minus(e.xdp_xmit_errors, base.xdp_xmit_errors);
    d.rxq_drops = minus(e.rxq_drops, base.rxq_drops);
    d.rxq_xdp_packets = minus(e.rxq_xdp_packets, base.rxq_xdp_packets);
    d.rxq_xdp_drops = minus(e.rxq_xdp_drops, base.rxq_xdp_drops);
    out.push_back(d);
  }
  return out;
}

}  // namespace benchlab
