// Stated resource limits: what a run may ask for. Beyond them the input is refused with an InputError
// naming the value (exit 2) instead of running out of memory or working for minutes. They are far above
// any real ResIST run (the paper's largest: 8 workers, 313 rounds, l = 50, batch 128). README lists them.
#pragma once
#include <cstdint>

namespace resist::limits {

constexpr int kWorkers = 16'384;               // S: simulated workers (clusters)
constexpr int kLocalRanks = 1024;              // ranks `resist train` starts on one machine
constexpr int kLocalSteps = 1'000'000;         // l
constexpr int kBatch = 65'536;                 // images per worker per step
constexpr int kRounds = 100'000;               // rounds of a run
constexpr std::int64_t kScheduleCells = 1'000'000; // rounds x workers held in a schedule (~100 MB of JSON)
constexpr double kEpochs = 100'000;            // epochs per worker
constexpr std::int64_t kTrainSize = 1'000'000'000; // images per epoch
constexpr int kInChannels = 1024;
constexpr int kImageSize = 4096;               // pixels per side
constexpr int kClasses = 1'000'000;
constexpr int kParametricNodes = 100'000;      // nodes of a parametric platform (only those used are built)
constexpr int kGpusPerNode = 1024;
constexpr std::int64_t kInputFileBytes = std::int64_t{1} << 30; // any text input file (schedule, platform, CSV)

} // namespace resist::limits
