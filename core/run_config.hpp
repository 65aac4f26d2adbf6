// The options of a run that the schedule, the simulator and the trainer share.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/comm.hpp"
#include "core/layer_parallel.hpp"
#include "core/model.hpp"
#include "core/partition.hpp"

namespace resist {

/// How the learning rate falls after any warm-up: the reference's step decays, or a half cosine.
enum class LrShape { step, cosine };
const char* to_string(LrShape shape);
/// "step" or "cosine"; throws InputError naming another.
LrShape parse_lr_shape(const std::string& name);

struct RunConfig {
  std::string model = "preact_resnet101_cifar";
  ModelOptions model_options;           // 0 = model default
  Protocol protocol = Protocol::resist;
  int workers = 4;                      // S
  int min_depth = 0;                    // ResIST minimum partitioned blocks per sub-network
  PartitionPolicy partition;            // which stages are partitioned
  int local_steps = 50;                 // l: local SGD steps between synchronizations
  int batch = 128;                      // images per worker per step
  double lr = 0.03;                     // the reference launchers' --lr 3e-2
  LrShape lr_shape = LrShape::step;    // step decays or a cosine to lr_min
  std::vector<double> lr_decay_at{0.5, 0.75}; // step: fractions of the epochs after which lr *= factor
  std::vector<double> lr_decay_epochs;  // step: epochs after which lr *= factor (replaces lr_decay_at when set)
  double lr_decay_factor = 0.1;
  double lr_min = 0;                    // cosine: the rate it ends at
  double lr_warmup_epochs = 0;          // linear warm-up from lr / warm-up steps to lr over these epochs
  double momentum = 0.9;
  double weight_decay = 5e-4;
  std::uint64_t seed = 1;
  int rounds = 0;                       // run length in rounds; 0 = from epochs
  double epochs = 40;                   // epochs per worker (each worker sees the whole train set)
  double global_epochs = 0;             // > 0: the budget in epochs of all workers' images together
                                        // (epochs per worker = global_epochs / workers), replacing epochs
  int local_sgd_warmup_rounds = 0;      // resist only: the first K rounds are local SGD rounds (full model)
  double local_sgd_warmup_epochs = 0;   // resist only: the same in epochs per worker (rounds covering them)
  std::int64_t train_size = 0;          // images per epoch; 0 = the data set's (imagefolder: its scan sets it)
  std::string dataset = "cifar10";      // cifar10, cifar100, svhn, fashion_mnist, synthetic, imagefolder
  LayerParallelOptions layer_parallel;  // protocol layer_parallel only (in its JSON only then)
};

/// Training images of a known data set; throws InputError for an unknown name and for imagefolder (its
/// size is the scanned folder's: exec/image_folder_scan.hpp).
std::int64_t dataset_train_size(const std::string& dataset);

/// Epochs each worker runs: `epochs`, or `global_epochs / workers` when a global budget is set.
double epochs_per_worker(const RunConfig& config);

/// The epochs convention, for summaries: "E epochs per worker (= E x S global epochs)".
std::string epochs_convention(const RunConfig& config, double epochs_per_worker);

/// Checks every field, throws InputError naming the first offending value.
void validate(const RunConfig& config);

nlohmann::json to_json(const RunConfig& config);
/// Throws InputError on a missing or ill-typed field.
RunConfig run_config_from_json(const nlohmann::json& j);

} // namespace resist
