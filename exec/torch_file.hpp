// Files that Python's torch.save writes and torch.load reads (a zip: data.pkl, one record per storage),
// for dicts of named tensors: state dicts. Writing uses LibTorch's pickler; reading has its own small,
// restricted unpickler, because LibTorch 1.13's torch::pickle_load turns collections.OrderedDict (what
// torch.save(model.state_dict()) writes) into None and fails. It builds only dicts, lists, tuples, scalars
// and tensors, and calls nothing: any other global is refused, as torch.load(weights_only=True) does.
#pragma once
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace resist::exec {

/// Names and tensors in file order (a state dict).
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

/// Writes `tensors` as a dict str -> Tensor (CPU copies) in torch.save's zip format to `path`, atomically
/// (temporary file + rename; nothing is left on failure). Python's torch.load returns a dict.
/// InputError when `path` cannot be an output file (a directory, a missing folder), Error on I/O failure.
void write_torch_file(const std::string& path, const NamedTensors& tensors);

/// Reads a dict str -> Tensor saved by torch.save (a dict or OrderedDict; tensors, parameters and views)
/// or by write_torch_file. InputError with one line naming the file and what is wrong: not a regular
/// file, not torch.save's zip format (the legacy format of _use_new_zipfile_serialization=False), a value
/// that is not a tensor (a training checkpoint that nests the state dict), an unsupported pickle opcode or
/// global, a storage shorter than its tensors.
NamedTensors read_torch_file(const std::string& path);

} // namespace resist::exec
