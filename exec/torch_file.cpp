#include "exec/torch_file.hpp"

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/serialize.h>

#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "core/output.hpp"

namespace resist::exec {

void write_torch_file(const std::string& path, const NamedTensors& tensors) {
  c10::Dict<std::string, at::Tensor> dict; // insertion order is kept, and Python's dict keeps it too
  for (const auto& [name, t] : tensors) dict.insert(name, t.detach().to(torch::kCPU).contiguous());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

namespace {

// A pickled value. Lists, tuples and dicts are shared, as the pickle's memo shares them (SETITEMS fills
// a dict that the memo also holds).
struct Value {
  enum class Kind { none, boolean, integer, real, string, global, tuple, list, dict, tensor } kind = Kind::none;
  std::int64_t i = 0;
  double d = 0;
  std::string s; // string, or a global's "module.name"
  std::shared_ptr<std::vector<Value>> items;                     // tuple, list
  std::shared_ptr<std::vector<std::pair<Value, Value>>> entries; // dict, in order
  torch::Tensor tensor;
};

Value make(Value::Kind k) {
  Value v;
  v.kind = k;
  if (k == Value::Kind::tuple || k == Value::Kind::list) v.items = std::make_shared<std::vector<Value>>();
  if (k == Value::Kind::dict) v.entries = std::make_shared<std::vector<std::pair<Value, Value>>>();
  return v;
}

c10::ScalarType storage_dtype(const std::string& global) {
  static const std::map<std::string, c10::ScalarType> types = {
      {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool}};
  const auto it = types.find(global);
  if (it == types.end()) throw InputError(fmt::format("unsupported storage type {}", global));
  return it->second;
}

/// The pickle machine for data.pkl, restricted to what state dicts hold. Errors are InputErrors without
/// the file name (the caller adds it).
class Unpickler {
public:
  Unpickler(const char* data, std::size_t size, caffe2::serialize::PyTorchStreamReader& zip)
      : p_(data), end_(data + size), zip_(zip) {}

  Value run() {
    while (true) {
      const auto op = static_cast<unsigned char>(take(1)[0]);
      if (op == '.') break; // STOP
      step(op);
    }
    if (stack_.size() != 1) throw InputError("malformed pickle (stack at STOP)");
    return stack_.back();
  }

private:
  const char* take(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) throw InputError("truncated pickle");
    const char* at = p_;
    p_ += n;
    return at;
  }
  std::uint64_t uint_le(std::size_t n) {
    const auto* b = reinterpret_cast<const unsigned char*>(take(n));
    std::uint64_t v = 0;
    for (std::size_t k = 0; k < n; ++k) v |= static_cast<std::uint64_t>(b[k]) << (8 * k);
    return v;
  }
  std::string line() {
    const char* nl = static_cast<const char*>(std::memchr(p_, '\n', static_cast<std::size_t>(end_ - p_)));
    if (!nl) throw InputError("truncated pickle");
    std::string s(p_, nl);
    p_ = nl + 1;
    return s;
  }
  Value pop() {
    if (stack_.size() <= base()) throw InputError("malformed pickle (empty stack)");
    Value v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  Value& top() {
    if (stack_.size() <= base()) throw InputError("malformed pickle (empty stack)");
    return stack_.back();
  }
  std::size_t base() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<Value> pop_mark() { // the values above the last MARK, and the MARK
    if (marks_.empty()) throw InputError("malformed pickle (no MARK)");
    std::vector<Value> out(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return out;
  }
  Value tuple(std::vector<Value> items) {
    Value t = make(Value::Kind::tuple);
    *t.items = std::move(items);
    return t;
  }
  void set_items(Value& dict, std::vector<Value> kv) {
    if (dict.kind != Value::Kind::dict || kv.size() % 2) throw InputError("malformed pickle (SETITEMS)");
    for (std::size_t k = 0; k < kv.size(); k += 2) dict.entries->emplace_back(kv[k], kv[k + 1]);
  }
  void memo_put(std::uint64_t key) { memo_[key] = top(); }
  Value memo_get(std::uint64_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) throw InputError("malformed pickle (memo)");
    return it->second;
  }

  void step(unsigned char op) {
    using K = Value::Kind;
    switch (op) {
    case 0x80: take(1); break;                                  // PROTO
    case 0x95: take(8); break;                                  // FRAME
    case '(': marks_.push_back(stack_.size()); break;           // MARK
    case 'N': stack_.push_back(make(K::none)); break;           // NONE
    case 0x88: case 0x89: {                                     // NEWTRUE, NEWFALSE
      Value v = make(K::boolean);
      v.i = op == 0x88;
      stack_.push_back(v);
      break;
    }
    case 'J': case 'K': case 'M': {                             // BININT, BININT1, BININT2
      Value v = make(K::integer);
      const std::size_t n = op == 'J' ? 4 : op == 'K' ? 1 : 2;
      const std::uint64_t u = uint_le(n);
      v.i = op == 'J' ? static_cast<std::int32_t>(u) : static_cast<std::int64_t>(u);
      stack_.push_back(v);
      break;
    }
    case 0x8a: {                                                // LONG1: little-endian two's complement
      const std::size_t n = static_cast<unsigned char>(take(1)[0]);
      if (n > 8) throw InputError("integer in pickle exceeds 64 bits");
      Value v = make(K::integer);
      std::uint64_t u = n ? uint_le(n) : 0;
      if (n > 0 && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~std::uint64_t{0} << (8 * n); // sign-extend
      v.i = static_cast<std::int64_t>(u);
      stack_.push_back(v);
      break;
    }
    case 'G': {                                                 // BINFLOAT, big-endian
      const auto* b = reinterpret_cast<const unsigned char*>(take(8));
      std::uint64_t u = 0;
      for (int k = 0; k < 8; ++k) u = (u << 8) | b[k];
      Value v = make(K::real);
      std::memcpy(&v.d, &u, sizeof v.d);
      stack_.push_back(v);
      break;
    }
    case 'X': case 0x8c: case 0x8d: {                           // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
      const std::uint64_t n = uint_le(op == 'X' ? 4 : op == 0x8c ? 1 : 8);
      if (n > static_cast<std::uint64_t>(end_ - p_)) throw InputError("truncated pickle");
      Value v = make(K::string);
      v.s.assign(take(static_cast<std::size_t>(n)), static_cast<std::size_t>(n));
      stack_.push_back(v);
      break;
    }
    case 'c': {                                                 // GLOBAL "module\nname\n"
      Value v = make(K::global);
      const std::string module = line();
      v.s = module + "." + line();
      stack_.push_back(v);
      break;
    }
    case 0x93: {                                                // STACK_GLOBAL
      const Value name = pop(), module = pop();
      if (name.kind != K::string || module.kind != K::string) throw InputError("malformed pickle (STACK_GLOBAL)");
      Value v = make(K::global);
      v.s = module.s + "." + name.s;
      stack_.push_back(v);
      break;
    }
    case 'q': memo_put(uint_le(1)); break;                      // BINPUT
    case 'r': memo_put(uint_le(4)); break;                      // LONG_BINPUT
    case 0x94: memo_put(memo_.size()); break;                   // MEMOIZE
    case 'h': stack_.push_back(memo_get(uint_le(1))); break;    // BINGET
    case 'j': stack_.push_back(memo_get(uint_le(4))); break;    // LONG_BINGET
    case ')': stack_.push_back(make(K::tuple)); break;          // EMPTY_TUPLE
    case 't': stack_.push_back(tuple(pop_mark())); break;       // TUPLE
    case 0x85: case 0x86: case 0x87: {                          // TUPLE1..3
      std::vector<Value> items(static_cast<std::size_t>(op - 0x84));
      for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
      stack_.push_back(tuple(std::move(items)));
      break;
    }
    case ']': stack_.push_back(make(K::list)); break;           // EMPTY_LIST
    case 'a': {                                                 // APPEND
      Value v = pop();
      if (top().kind != K::list) throw InputError("malformed pickle (APPEND)");
      top().items->push_back(std::move(v));
      break;
    }
    case 'e': {                                                 // APPENDS
      std::vector<Value> vs = pop_mark();
      if (top().kind != K::list) throw InputError("malformed pickle (APPENDS)");
      top().items->insert(top().items->end(), vs.begin(), vs.end());
      break;
    }
    case '}': stack_.push_back(make(K::dict)); break;           // EMPTY_DICT
    case 's': {                                                 // SETITEM
      Value v = pop();
      Value k = pop();
      set_items(top(), {std::move(k), std::move(v)});
      break;
    }
    case 'u': {                                                 // SETITEMS
      std::vector<Value> kv = pop_mark();
      set_items(top(), std::move(kv));
      break;
    }
    case 'b': pop(); top(); break; // BUILD: an OrderedDict's __dict__ (state_dict's _metadata), dropped
    case '0': pop(); break;                                     // POP
    case '1': pop_mark(); break;                                // POP_MARK
    case '2': stack_.push_back(top()); break;                   // DUP
    case 'Q': stack_.push_back(storage(pop())); break;          // BINPERSID
    case 'R': {                                                 // REDUCE
      const Value args = pop();
      const Value fn = pop();
      stack_.push_back(reduce(fn, args));
      break;
    }
    default:
      throw InputError(fmt::format("unsupported pickle opcode 0x{:02x} (not a state dict)", op));
    }
  }

  // ('storage', torch.FloatStorage, key, location, numel) -> a flat tensor over the record data/<key>.
  Value storage(const Value& pid) {
    const auto& it = pid.items;
    if (pid.kind != Value::Kind::tuple || it->size() != 5 || (*it)[0].s != "storage" ||
        (*it)[1].kind != Value::Kind::global || (*it)[2].kind != Value::Kind::string ||
        (*it)[4].kind != Value::Kind::integer || (*it)[4].i < 0)
      throw InputError("unsupported persistent id (not a tensor storage)");
    const std::string& key = (*it)[2].s;
    const auto cached = storages_.find(key); // views of one storage share it, as in Python
    Value v = make(Value::Kind::tensor);
    if (cached != storages_.end()) {
      v.tensor = cached->second;
      return v;
    }
    const c10::ScalarType dtype = storage_dtype((*it)[1].s);
    const std::int64_t numel = (*it)[4].i;
    const std::string record = "data/" + key;
    if (!zip_.hasRecord(record)) throw InputError(fmt::format("storage {} is missing", key));
    auto [data, size] = zip_.getRecord(record);
    const std::size_t element_bytes = c10::elementSize(dtype);
    if (static_cast<std::uint64_t>(numel) > size / element_bytes) // before multiplying: numel may be absurd
      throw InputError(fmt::format("storage {} holds {} bytes, fewer than its {} elements need", key, size, numel));
    const std::size_t need = static_cast<std::size_t>(numel) * element_bytes;
    v.tensor = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (need > 0) std::memcpy(v.tensor.data_ptr(), data.get(), need);
    storages_.emplace(key, v.tensor);
    return v;
  }

  static std::vector<std::int64_t> ints(const Value& v, const char* what) {
    if (v.kind != Value::Kind::tuple) throw InputError(fmt::format("tensor {} is not a tuple", what));
    std::vector<std::int64_t> out;
    for (const Value& x : *v.items) {
      if (x.kind != Value::Kind::integer || x.i < 0) throw InputError(fmt::format("tensor {} holds a negative or non-integer value", what));
      out.push_back(x.i);
    }
    return out;
  }

  Value reduce(const Value& fn, const Value& args) {
    if (fn.kind != Value::Kind::global || args.kind != Value::Kind::tuple) throw InputError("malformed pickle (REDUCE)");
    const std::vector<Value>& a = *args.items;
    if (fn.s == "collections.OrderedDict" && a.empty()) return make(Value::Kind::dict);
    if (fn.s == "torch.jit._pickle.restore_type_tag" && a.size() == 2) return a[0]; // LibTorch's typed dict
    if ((fn.s == "torch._utils._rebuild_parameter" || fn.s == "torch._utils._rebuild_parameter_with_state") &&
        a.size() >= 3 && a[0].kind == Value::Kind::tensor)
      return a[0];
    if (fn.s == "torch._utils._rebuild_tensor_v2" && a.size() >= 4 && a[0].kind == Value::Kind::tensor &&
        a[1].kind == Value::Kind::integer) {
      const torch::Tensor& flat = a[0].tensor;
      const std::vector<std::int64_t> size = ints(a[2], "size"), stride = ints(a[3], "stride");
      if (size.size() != stride.size()) throw InputError("tensor size and stride differ in length");
      // The last element the view reaches must lie inside the storage (as_strided would read past it).
      std::int64_t last = a[1].i, numel = 1;
      bool empty = false;
      for (std::size_t k = 0; k < size.size(); ++k) {
        if (size[k] == 0) empty = true;
        else if (__builtin_mul_overflow(size[k] - 1, stride[k], &numel) || __builtin_add_overflow(last, numel, &last))
          throw InputError("tensor size overflows");
      }
      if (a[1].i < 0 || (!empty && last >= flat.numel()))
        throw InputError(fmt::format("a tensor of size [{}] reaches past its storage of {} elements",
                                     fmt::join(size, ","), flat.numel()));
      Value v = make(Value::Kind::tensor);
      v.tensor = empty ? torch::empty(size, flat.options()) : flat.as_strided(size, stride, a[1].i).clone();
      return v;
    }
    throw InputError(fmt::format("the pickle calls {}, which a state dict does not need", fn.s));
  }

  const char* p_;
  const char* end_;
  caffe2::serialize::PyTorchStreamReader& zip_;
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Value> memo_;
  std::map<std::string, torch::Tensor> storages_;
};

std::string first_line(const std::string& s) { return s.substr(0, std::min(s.find('\n'), std::size_t{200})); }

} // namespace

NamedTensors read_torch_file(const std::string& path) {
  check_input_file(path, "state dict");
  Value root;
  try {
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> zip;
    try {
      zip = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    } catch (const c10::Error& e) {
      throw InputError(fmt::format("not torch.save's zip format ({})", first_line(e.what_without_backtrace())));
    }
    auto [data, size] = zip->getRecord("data.pkl");
    Unpickler u(static_cast<const char*>(data.get()), size, *zip);
    root = u.run();
  } catch (const InputError& e) {
    throw InputError(fmt::format("state dict '{}': {}", path, e.what()));
  } catch (const std::exception& e) {
    throw InputError(fmt::format("state dict '{}': cannot read it: {}", path, first_line(e.what())));
  }
  if (root.kind != Value::Kind::dict)
    throw InputError(fmt::format("state dict '{}': holds no dict (save model.state_dict())", path));
  NamedTensors out;
  for (const auto& [k, v] : *root.entries) {
    if (k.kind != Value::Kind::string) throw InputError(fmt::format("state dict '{}': a key is not a string", path));
    if (v.kind != Value::Kind::tensor)
      throw InputError(fmt::format("state dict '{}': '{}' is not a tensor (a checkpoint that nests the state dict? "
                                   "save model.state_dict() alone)", path, k.s));
    out.emplace_back(k.s, v.tensor);
  }
  return out;
}

} // namespace resist::exec
