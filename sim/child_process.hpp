// Runs a function in a forked child process and returns what it returned: SimGrid allows one engine per
// process and never resets its clock, so every independent simulation gets a fresh process.
// simulate() runs whole schedules through it (result_io encodes them), `resist bench` its measurements.
#pragma once
#include <functional>
#include <string>

namespace resist::sim {

/// Runs `body` in a child process and returns its result. An InputError or other exception in the child
/// is thrown again here with the same message and type (InputError, else Error); `what` names the
/// work in messages about a crashed child.
std::string run_in_child(const std::function<std::string()>& body, const std::string& what);

} // namespace resist::sim
