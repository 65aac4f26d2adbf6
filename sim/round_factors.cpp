#include "sim/round_factors.hpp"

#include <fmt/format.h>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/error.hpp"

namespace sg4 = simgrid::s4u;

namespace resist::sim {

double window_factor(const std::vector<WorkerRounds>& windows, int round, int w) {
  double f = 1;
  for (const WorkerRounds& x : windows)
    if (x.worker == w && round >= x.first_round && round < x.end_round) f *= x.factor;
  return f;
}

void check_windows(const std::vector<WorkerRounds>& windows, int workers, const char* what) {
  for (const WorkerRounds& x : windows) {
    if (x.worker < 0 || x.worker >= workers)
      throw InputError(fmt::format("{} factor for worker {}: no such worker (0..{})", what, x.worker, workers - 1));
    if (!(x.factor > 0) || !std::isfinite(x.factor))
      throw InputError(fmt::format("{} factor {} for worker {}: must be finite and > 0", what, x.factor, x.worker));
    if (x.first_round < 0 || x.end_round < x.first_round)
      throw InputError(fmt::format("{} factor for worker {}: rounds {}..{} are no range", what, x.worker,
                                   x.first_round, x.end_round));
  }
}

namespace {

/// The links on every route from worker w (out) or to it (!out).
std::vector<sg4::Link*> common_links(const std::vector<WorkerHost>& hosts, int w, bool out) {
  std::vector<sg4::Link*> common;
  bool first = true;
  const WorkerHost& a = hosts[static_cast<std::size_t>(w)];
  for (std::size_t v = 0; v < hosts.size(); ++v) {
    if (static_cast<int>(v) == w || hosts[v].host == a.host) continue;
    std::vector<sg4::Link*> links;
    if (out) a.host->route_to(hosts[v].host, links, nullptr);
    else hosts[v].host->route_to(a.host, links, nullptr);
    std::sort(links.begin(), links.end());
    if (first) {
      common = links;
      first = false;
    } else {
      std::vector<sg4::Link*> both;
      std::set_intersection(common.begin(), common.end(), links.begin(), links.end(), std::back_inserter(both));
      common.swap(both);
    }
  }
  return common;
}

} // namespace

LinkFactors::LinkFactors(const std::vector<WorkerHost>& hosts, const std::vector<WorkerRounds>& windows)
    : windows_(windows), applied_(hosts.size(), 1.0) {
  if (windows.empty()) return;
  for (int w = 0; w < static_cast<int>(hosts.size()); ++w)
    for (const bool out : {true, false})
      for (sg4::Link* l : common_links(hosts, w, out)) {
        auto it = std::find_if(links_.begin(), links_.end(), [l](const Entry& e) { return e.link == l; });
        if (it == links_.end()) it = links_.insert(links_.end(), Entry{l, l->get_bandwidth(), {}});
        if (std::find(it->owners.begin(), it->owners.end(), w) == it->owners.end()) it->owners.push_back(w);
      }
}

bool LinkFactors::apply(int round) {
  bool changed = false;
  for (std::size_t w = 0; w < applied_.size(); ++w) {
    const double f = window_factor(windows_, round, static_cast<int>(w));
    if (f != applied_[w]) changed = true;
    applied_[w] = f;
  }
  if (!changed) return false;
  for (const Entry& e : links_) {
    double f = 1;
    bool any = false;
    for (int w : e.owners) {
      f = any ? std::min(f, applied_[static_cast<std::size_t>(w)]) : applied_[static_cast<std::size_t>(w)];
      any = true;
    }
    e.link->set_bandwidth(e.nominal_Bps * f);
  }
  return true;
}

void LinkFactors::add_to_key(std::string& key) const {
  if (!windows_.empty())
    for (double f : applied_) key.append(reinterpret_cast<const char*>(&f), sizeof f);
}

} // namespace resist::sim
