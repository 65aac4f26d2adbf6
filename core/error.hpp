// Errors thrown by library code. Only main() turns them into exit codes:
// InputError (bad user input) -> exit 2, Error (anything else) -> exit 1.
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

} // namespace resist
