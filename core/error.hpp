// Errors thrown by library code. Only main() turns them into exit codes:
// InputError (bad user input) -> exit 2, Error (anything else) -> exit 1, CheckFailed -> exit 3.
#pragma once
#include <stdexcept>
#include <string>

namespace resist {

/// A failure that is not the user's input (I/O, a broken peer, an internal invariant).
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Bad user input: an unknown name, an out-of-range value, a malformed file. Exit code 2.
class InputError : public Error {
public:
  using Error::Error;
};

/// A check that ran to its end and failed: a gate such as `resist comm --check` whose report is already
/// printed. Not an Error (nothing went wrong, and no handler of Error may swallow it). Exit code 3.
class CheckFailed : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace resist
