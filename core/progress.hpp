// A one-line progress bar on stderr for long simulations, sweeps and training runs: redrawn in place
// (at most every 100 ms) when stderr is a terminal; otherwise one line per tenth of the work, so logs
// stay short and readable, or, with `line_every_s` > 0, one line at most every that many seconds and none
// for work that ends sooner (a simulation: silent when short, a heartbeat when long). An empty label
// disables it.
#pragma once
#include <chrono>
#include <string>

namespace resist {

class Progress {
public:
  Progress(std::string label, long total, double line_every_s = 0);
  ~Progress(); // draws the final state
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Reports `done` of the total, with an optional status after the bar ("loss 0.53  7.3 s/round").
  /// `force` draws even when the throttling would skip it (an evaluation result worth a log line).
  void update(long done, std::string status = "", bool force = false);

private:
  void draw(bool final);
  std::string label_;
  long total_;
  long done_ = 0;
  std::string status_;
  double line_every_s_;
  bool tty_;
  bool drawn_ = false;
  long last_tenth_ = -1;
  bool drawn_final_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

} // namespace resist
