#include "sim/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace resist::sim {

Progress::Progress(std::string label, long total)
    : label_(std::move(label)), total_(total), tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  if (!label_.empty() && total_ > 0) draw(true);
}

void Progress::update(long done) {
  done_ = done;
  if (label_.empty() || !tty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done_ < total_) return;
  last_draw_ = now;
  draw(false);
}

void Progress::draw(bool final) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double frac = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                          std::string(static_cast<std::size_t>(kWidth - filled), '.');
  const std::string line = fmt::format("{} [{}] {}/{} {:.1f}s", label_, bar, done_, total_, elapsed);
  if (tty_)
    std::fprintf(stderr, "\r%s%s", line.c_str(), final ? "\n" : "");
  else if (final)
    std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

} // namespace resist::sim
