// A small progress bar on stderr for long simulations and sweeps: redrawn in place when stderr is a
// terminal, one final line otherwise (so logs stay readable). An empty label disables it.
#pragma once
#include <chrono>
#include <string>

namespace resist::sim {

class Progress {
public:
  Progress(std::string label, long total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Reports `done` of the total; redraws at most every 100 ms.
  void update(long done);

private:
  void draw(bool final);
  std::string label_;
  long total_;
  long done_ = 0;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

} // namespace resist::sim
