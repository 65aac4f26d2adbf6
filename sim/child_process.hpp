// Runs a function in a forked child process and returns what it returned: SimGrid allows one engine per
// process and never resets its clock, so every independent simulation gets a fresh process.
// simulate() runs whole schedules through it (result_io encodes them), `resist bench` its measurements.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace resist::sim {

/// Runs `body` in a child process and returns its result. An InputError or other exception in the child
/// is thrown again here with the same message and type (InputError, else Error); `what` names the
/// work in messages about a crashed child.
std::string run_in_child(const std::function<std::string()>& body, const std::string& what);

/// Runs body(0) .. body(count - 1), each in its own child process, at most `jobs` at once, and calls
/// `done(i, result)` here as each ends (in the order they end). After the first failure no new child
/// starts; the running ones end and that failure is thrown as run_in_child would. `what(i)` names
/// the work of child i in messages.
void run_in_children(std::size_t count, int jobs, const std::function<std::string(std::size_t)>& body,
                     const std::function<void(std::size_t, std::string)>& done,
                     const std::function<std::string(std::size_t)>& what);

} // namespace resist::sim
