// resist platforms: the built-in platforms with a line each, one platform resolved with every parameter and
// where it comes from (--show), and the keys a parametric description takes (--keys).
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/output.hpp"
#include "sim/platform.hpp"
#include "sim/platform_info.hpp"

namespace resist::cli {
namespace {

struct PlatformsArgs {
  std::string show;
  bool keys = false;
  std::string format = "table";
};

void run_platforms(const PlatformsArgs& a) {
  const Format format = parse_format(a.format);
  if (a.keys) {
    Table t({"key", "meaning"});
    for (const auto& [k, m] : sim::parametric_keys()) t.add_row({k, m});
    print_table(t, format);
    return;
  }
  if (a.show.empty()) {
    Table t({"platform", "kind", "description"});
    for (const auto& p : sim::builtin_platform_summaries()) t.add_row({p.name, p.kind, p.description});
    print_table(t, format);
    if (format == Format::table)
      std::cout << "\nresist platforms --show NAME prints one resolved; a file (XML or TOML) or "
                   "parametric:key=value,... works wherever a name does (resist platforms --keys)\n";
    return;
  }
  const sim::PlatformDesc d = sim::resolve_platform(a.show);
  Table t({"key", "value", "source", "meaning"});
  for (const auto& f : sim::describe_platform(d)) t.add_row({f.key, f.value, f.source, f.meaning});
  if (format == Format::table)
    std::cout << fmt::format("{} ({}, {})\n\n", a.show, d.origin, d.parametric ? "parametric" : "SimGrid XML");
  print_table(t, format);
  if (format == Format::table)
    std::cout << "\nsource: file = the description sets it, default = it does not (the default is used), xml = the "
                 "XML zone's property.\nDefaults that change answers most: gpu, nvswitch, intra_link, nic_bw_GBps, "
                 "nics_per_node, nccl_net_latency_s, ddp_step_cv_net.\n";
}

} // namespace

void add_platforms_command(CLI::App& app) {
  auto a = std::make_shared<PlatformsArgs>();
  CLI::App* sub = app.add_subcommand("platforms", "The built-in platforms, and any platform resolved parameter by parameter");
  sub->add_option("--show", a->show, "One platform resolved: built-in name, XML/TOML file or parametric:k=v,...");
  sub->add_flag("--keys", a->keys, "The keys a parametric description (TOML or parametric:...) takes");
  add_format_option(*sub, a->format);
  sub->callback([a] { run_platforms(*a); });
}

} // namespace resist::cli
