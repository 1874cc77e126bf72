// Result<T>: a value or an Error, for failures that are expected (bad input, missing files,
// runtime errors of a state machine). Exceptions are kept for programmer errors.
// Thread-safety: a plain value type.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace wharf {

// An error with a machine-readable code and a message naming the place (file, line, state, field).
// In the ASL layers `code` is the States language error name (e.g. "States.Runtime") and `message`
// is the Cause.
struct Error {
  std::string code;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Error MakeError(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

}  // namespace wharf

// Propagates an error: `WHARF_TRY(auto x, Compute());` or `WHARF_TRY_STATUS(Check());`.
#define WHARF_CONCAT_INNER(a, b) a##b
#define WHARF_CONCAT(a, b) WHARF_CONCAT_INNER(a, b)
#define WHARF_TRY(decl, expr)                                     \
  auto WHARF_CONCAT(wharf_try_, __LINE__) = (expr);               \
  if (!WHARF_CONCAT(wharf_try_, __LINE__).ok())                   \
    return std::move(WHARF_CONCAT(wharf_try_, __LINE__)).error(); \
  decl = std::move(*WHARF_CONCAT(wharf_try_, __LINE__))
#define WHARF_TRY_STATUS(expr)                                        \
  do {                                                                \
    auto wharf_status_ = (expr);                                      \
    if (!wharf_status_.ok()) return std::move(wharf_status_).error(); \
  } while (0)
