// resist model: a network's blocks and layers with parameters, MACs, FLOPs and activation bytes.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/model_zoo.hpp"

namespace resist::cli {
namespace {

struct ModelArgs {
  std::string model = "preact_resnet101_cifar";
  ModelOptions options;
  std::string format = "table";
  bool list = false;
  bool layers = false;
};

nlohmann::json layer_json(const Layer& l) {
  return {{"name", l.name},
          {"kind", to_string(l.kind)},
          {"in_channels", l.in_channels},
          {"out_channels", l.out_channels},
          {"kernel", l.kernel},
          {"stride", l.stride},
          {"in_hw", {l.in_h, l.in_w}},
          {"out_hw", {l.out_h, l.out_w}},
          {"params", l.params},
          {"forward_macs", l.forward_macs},
          {"forward_flops", l.forward_flops()},
          {"backward_macs", l.backward_macs},
          {"activation_bytes", l.output_bytes}};
}

void run(const ModelArgs& a) {
  const Format format = parse_format(a.format);
  if (a.list) {
    Table t({"model", "description"});
    for (const auto& m : model_catalog()) t.add_row({m.name, m.description});
    print_table(t, format);
    return;
  }
  const Model m = make_model(a.model, a.options);
  if (format == Format::json) {
    nlohmann::json blocks = nlohmann::json::array(), layers = nlohmann::json::array();
    for (const auto& b : m.blocks) {
      blocks.push_back({{"name", b.name}, {"type", to_string(b.type)}, {"stage", b.stage}, {"index", b.index},
                        {"params", b.params()}, {"param_bytes", b.param_bytes()},
                        {"forward_macs", b.forward_macs()}, {"activation_bytes", b.activation_bytes()}});
      for (const auto& l : b.layers) layers.push_back(layer_json(l));
    }
    nlohmann::json j = {{"model", m.name},           {"description", m.description},
                        {"in_channels", m.in_channels}, {"image_size", m.image_size},
                        {"classes", m.classes},       {"params", m.params()},
                        {"param_bytes", m.param_bytes()}, {"forward_macs", m.forward_macs()},
                        {"forward_flops", 2 * m.forward_macs()}, {"backward_macs", m.backward_macs()},
                        {"stage_sizes", m.stage_sizes}, {"blocks", blocks},
                        {"layers", layers},
                        {"conventions", "MACs count conv and linear multiply-adds per image; FLOPs = 2 x MACs; "
                                        "backward = 2 x forward MACs (1 x for the first layer); fp32 bytes"}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  Table t = a.layers ? Table({"layer", "kind", "in", "out", "params", "forward_macs", "forward_flops", "act_bytes"})
                     : Table({"block", "type", "stage", "params", "param_MB", "forward_macs", "act_bytes"});
  for (const auto& b : m.blocks) {
    if (!a.layers) {
      t.add_row({b.name, std::string(to_string(b.type)), std::int64_t{b.stage}, b.params(), b.param_bytes() / 1e6,
                 b.forward_macs(), b.activation_bytes()});
      continue;
    }
    for (const auto& l : b.layers)
      t.add_row({l.name, std::string(to_string(l.kind)), fmt::format("{}x{}x{}", l.in_channels, l.in_h, l.in_w),
                 fmt::format("{}x{}x{}", l.out_channels, l.out_h, l.out_w), l.params, l.forward_macs,
                 l.forward_flops(), l.output_bytes});
  }
  if (format == Format::table)
    std::cout << fmt::format("{}: {}\ninput {}x{}x{}, {} classes\nparams {} ({:.1f} MB fp32), forward {:.4f} GMACs "
                             "= {:.4f} GFLOPs per image\n\n",
                             m.name, m.description, m.in_channels, m.image_size, m.image_size, m.classes, m.params(),
                             m.param_bytes() / 1e6, m.forward_macs() / 1e9, 2 * m.forward_macs() / 1e9);
  print_table(t, format);
}

} // namespace

void add_model_command(CLI::App& app) {
  auto args = std::make_shared<ModelArgs>();
  CLI::App* sub = app.add_subcommand("model", "A network's blocks and layers: parameters, MACs, FLOPs, bytes");
  add_model_options(*sub, args->model, args->options);
  add_format_option(*sub, args->format);
  sub->add_flag("--list", args->list, "List the known models");
  sub->add_flag("--layers", args->layers, "One row per layer instead of per block");
  sub->callback([args] { run(*args); });
}

} // namespace resist::cli
