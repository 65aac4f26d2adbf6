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

std::int64_t Block::params() const {
  std::int64_t n = 0;
  for (const auto& l : layers) n += l.params;
  return n;
}
std::int64_t Block::forward_macs() const {
  std::int64_t n = 0;
  for (const auto& l : layers) n += l.forward_macs;
  return n;
}
std::int64_t Block::backward_macs() const {
  std::int64_t n = 0;
  for (const auto& l : layers) n += l.backward_macs;
  return n;
}
std::int64_t Block::activation_bytes() const {
  std::int64_t n = 0;
  for (const auto& l : layers) n += l.output_bytes;
  return n;
}

std::int64_t Model::params() const {
  std::int64_t n = 0;
  for (const auto& b : blocks) n += b.params();
  return n;
}
std::int64_t Model::forward_macs() const {
  std::int64_t n = 0;
  for (const auto& b : blocks) n += b.forward_macs();
  return n;
}
std::int64_t Model::backward_macs() const {
  std::int64_t n = 0;
  for (const auto& b : blocks) n += b.backward_macs();
  return n;
}

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
