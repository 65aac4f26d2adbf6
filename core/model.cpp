#include "core/model.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace resist {

const char* to_string(BlockType type) {
  switch (type) {
  case BlockType::stem: return "stem";
  case BlockType::preact_basic: return "preact_basic";
  case BlockType::basic: return "basic";
  case BlockType::bottleneck: return "bottleneck";
  case BlockType::head: return "head";
  case BlockType::mlp_layer: return "mlp_layer";
  }
  return "?";
}

namespace {
template <class Range, class F> std::int64_t sum_of(const Range& items, F value) {
  std::int64_t n = 0;
  for (const auto& item : items) n += value(item);
  return n;
}
} // namespace

std::int64_t Block::params() const { return sum_of(layers, [](const Layer& l) { return l.params; }); }
std::int64_t Block::forward_macs() const { return sum_of(layers, [](const Layer& l) { return l.forward_macs; }); }
std::int64_t Block::backward_macs() const { return sum_of(layers, [](const Layer& l) { return l.backward_macs; }); }
std::int64_t Block::activation_bytes() const { return sum_of(layers, [](const Layer& l) { return l.output_bytes; }); }

std::int64_t Model::params() const { return sum_of(blocks, [](const Block& b) { return b.params(); }); }
std::int64_t Model::forward_macs() const { return sum_of(blocks, [](const Block& b) { return b.forward_macs(); }); }
std::int64_t Model::backward_macs() const { return sum_of(blocks, [](const Block& b) { return b.backward_macs(); }); }

int Model::block_index(int stage, int index) const {
  for (std::size_t i = 0; i < blocks.size(); ++i)
    if (blocks[i].stage == stage && blocks[i].index == index && blocks[i].stage > 0) return static_cast<int>(i);
  throw InputError(fmt::format("model {} has no block {} in stage {}", name, index, stage));
}

int Model::block_by_name(const std::string& block_name) const {
  for (std::size_t i = 0; i < blocks.size(); ++i)
    if (blocks[i].name == block_name) return static_cast<int>(i);
  throw InputError(fmt::format("model {} has no block named '{}'", name, block_name));
}

} // namespace resist
