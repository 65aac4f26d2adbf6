#include "core/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace resist {

Progress::Progress(std::string label, long total, double line_every_s)
    : label_(std::move(label)), total_(total), line_every_s_(line_every_s), tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  if (!label_.empty() && total_ > 0 && !drawn_final_ && (tty_ || line_every_s_ <= 0 || drawn_)) draw(true);
}

void Progress::update(long done, std::string status, bool force) {
  if (label_.empty()) return;
  done_ = done;
  status_ = std::move(status);
  if (!tty_ && line_every_s_ > 0) { // by time: a line every line_every_s, the last only after one of those
    const auto now = std::chrono::steady_clock::now();
    if (done_ >= total_) {
      if (drawn_) draw(true);
      drawn_final_ = true;
      return;
    }
    if (!force && std::chrono::duration<double>(now - last_draw_).count() < line_every_s_) return;
    last_draw_ = now;
    return draw(false);
  }
  if (done_ >= total_) return draw(true);
  if (tty_) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    return draw(false);
  }
  const long tenth = total_ > 0 ? done_ * 10 / total_ : 10;
  if (!force && tenth == last_tenth_) return;
  last_tenth_ = tenth;
  draw(false);
}

void Progress::draw(bool final) {
  if (final) {
    if (drawn_final_) return;
    drawn_final_ = true;
  }
  drawn_ = true;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double frac = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  const std::string line =
      fmt::format("{} [{}{}] {}/{} {:.1f}s{}{}", label_, std::string(static_cast<std::size_t>(filled), '#'),
                  std::string(static_cast<std::size_t>(kWidth - filled), '.'), done_, total_, elapsed,
                  status_.empty() ? "" : "  ", status_);
  if (tty_)
    std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), final ? "\n" : "");
  else
    std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

} // namespace resist
