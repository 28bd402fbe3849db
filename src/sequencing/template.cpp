// The template engine (rules in sequencing/template.hpp).
#include "tutorcore/sequencing/template.hpp"

#include <fmt/format.h>

#include <cctype>
#include <limits>

#include "tutorcore/classify/answer.hpp"
#include "tutorcore/common/error.hpp"
#include "tutorcore/intervention/policy.hpp"

namespace tutorcore {
inline namespace v0 {

namespace {

// A recursive-descent evaluator over int64 with checked arithmetic.
// `ok` turns false when a rule breaks (the draw is rejected); a syntax error
// throws.
class Formula {
 public:
  Formula(std::string_view s, const TemplateValues &values) : s_(s), values_(values) {}

  std::optional<int64_t> run() {
    int64_t v = expr();
    skip();
    if (pos_ != s_.size()) fail(fmt::format("unexpected '{}'", s_.substr(pos_, 1)));
    if (!ok_) return std::nullopt;
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string &msg) {
    throw Error(Errc::invalid, fmt::format("template formula '{}': {}", s_, msg));
  }

  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_])))
      ++pos_;
  }
  bool eat(char c) {
    skip();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // The result of a checked operation: r, or 0 with the draw rejected.
  int64_t checked(bool overflow, int64_t r) {
    if (overflow) ok_ = false;
    return overflow ? 0 : r;
  }

  int64_t expr() {
    int64_t v = term();
    for (;;) {
      int64_t r;
      if (eat('+')) {
        int64_t t = term();
        bool o = __builtin_add_overflow(v, t, &r);
        v = checked(o, r);
      } else if (eat('-')) {
        int64_t t = term();
        bool o = __builtin_sub_overflow(v, t, &r);
        v = checked(o, r);
      } else {
        return v;
      }
    }
  }

  int64_t term() {
    int64_t v = unary();
    for (;;) {
      int64_t r;
      if (eat('*')) {
        int64_t t = unary();
        bool o = __builtin_mul_overflow(v, t, &r);
        v = checked(o, r);
      } else if (eat('/')) {
        int64_t t = unary();
        // Exact division only: a zero divisor, a remainder or INT64_MIN / -1
        // rejects the draw.
        if (t == 0 || (v == std::numeric_limits<int64_t>::min() && t == -1) || v % t != 0) {
          ok_ = false;
          v = 0;
        } else {
          v /= t;
        }
      } else {
        return v;
      }
    }
  }

  int64_t unary() {
    if (eat('-')) {
      int64_t v = unary();
      int64_t r;
      bool o = __builtin_sub_overflow(int64_t{0}, v, &r);
      return checked(o, r);
    }
    if (eat('+')) return unary();
    return primary();
  }

  int64_t primary() {
    skip();
    if (pos_ >= s_.size()) fail("ends where a number, a parameter or '(' is expected");
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      int64_t v = expr();
      if (!eat(')')) fail("a '(' is not closed");
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      int64_t v = 0;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        int64_t r;
        if (__builtin_mul_overflow(v, int64_t{10}, &r) ||
            __builtin_add_overflow(r, int64_t{s_[pos_] - '0'}, &v)) {
          fail("the integer literal is too large");
        }
        ++pos_;
      }
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
        ++pos_;
      }
      std::string_view name = s_.substr(start, pos_ - start);
      for (const auto &[n, v] : values_)
        if (n == name) return v;
      fail(fmt::format("parameter '{}' has no value", name));
    }
    fail(fmt::format("unexpected '{}'", s_.substr(pos_, 1)));
  }

  std::string_view s_;
  const TemplateValues &values_;
  size_t pos_ = 0;
  bool ok_ = true;
};

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ULL;
  return (h ^ 0xff) * 0x100000001b3ULL;
}

// A uniform integer in [lo, hi] by rejection (no modulo bias).
int64_t uniform_int(Rng &rng, int64_t lo, int64_t hi) {
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == std::numeric_limits<uint64_t>::max()) return static_cast<int64_t>(rng.next());
  uint64_t range = span + 1;
  uint64_t limit =
      std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % range;
  uint64_t x;
  do {
    x = rng.next();
  } while (x >= limit);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + x % range);
}

// A canonical decimal integer: optional '-', no leading zeros, not "-0".
bool parse_canonical_int(std::string_view s, int64_t *out) {
  bool neg = !s.empty() && s[0] == '-';
  std::string_view digits = neg ? s.substr(1) : s;
  if (digits.empty() || digits.size() > 19) return false;
  if (digits.size() > 1 && digits[0] == '0') return false;
  if (neg && digits == "0") return false;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (neg ? 1u : 0u))
    return false;
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

}  // namespace

std::optional<int64_t> evaluate_template_formula(std::string_view expr,
                                                 const TemplateValues &values) {
  return Formula(expr, values).run();
}

std::optional<std::string> fill_template_text(std::string_view text, const TemplateValues &values) {
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') {
      out.push_back(text[i]);
      continue;
    }
    size_t end = text.find('}', i);
    if (end == std::string_view::npos) {
      throw Error(Errc::invalid, fmt::format("template text '{}': a '{{' is not closed", text));
    }
    std::optional<int64_t> v = evaluate_template_formula(text.substr(i + 1, end - i - 1), values);
    if (!v) return std::nullopt;
    out += std::to_string(*v);
    i = end;
  }
  return out;
}

std::string instance_id(std::string_view template_id, const TemplateValues &values) {
  std::string id(template_id);
  id.push_back(':');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) id.push_back(',');
    id += values[i].first;
    id.push_back('=');
    id += std::to_string(values[i].second);
  }
  return id;
}

bool parse_instance_id(std::string_view id, std::string *template_id, TemplateValues *values) {
  size_t colon = id.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  template_id->assign(id.substr(0, colon));
  values->clear();
  std::string_view rest = id.substr(colon + 1);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view pair = rest.substr(0, comma);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    int64_t v;
    if (!parse_canonical_int(pair.substr(eq + 1), &v)) return false;
    values->emplace_back(std::string(pair.substr(0, eq)), v);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
    if (rest.empty()) return false;  // a trailing comma
  }
  return true;
}

std::optional<Problem> instantiate_template(const ProblemTemplate &t,
                                            const TemplateValues &values) {
  if (values.size() != t.params.size()) return std::nullopt;
  for (size_t i = 0; i < values.size(); ++i) {
    const TemplateParam &p = t.params[i];
    if (values[i].first != p.name || values[i].second < p.min || values[i].second > p.max)
      return std::nullopt;
  }
  auto text = fill_template_text(t.text, values);
  auto answer = text ? fill_template_text(t.answer, values) : std::nullopt;
  if (!answer) return std::nullopt;
  Problem p;
  p.id = instance_id(t.id, values);
  p.concept_id = t.concept_id;
  p.text = std::move(*text);
  p.correct_answer = std::move(*answer);
  p.irt_b = t.irt_b;
  p.irt_a = t.irt_a;
  p.diagnostic_for = t.diagnostic_for;
  for (const auto &[mid, formula] : t.misconception_answers) {
    auto wrong = fill_template_text(formula, values);
    // An instance whose misconception answer is right cannot diagnose it.
    if (!wrong || answers_equivalent(*wrong, p.correct_answer)) return std::nullopt;
    p.misconception_answers.emplace_back(mid, std::move(*wrong));
  }
  p.template_id = t.id;
  p.template_params = values;
  return p;
}

std::optional<Problem> generate_instance(const ProblemTemplate &t, uint64_t seed, uint64_t n,
                                         int32_t max_draws) {
  uint64_t h = fnv1a(0xcbf29ce484222325ULL ^ seed, t.id);
  Rng rng((h ^ n) * 0x9e3779b97f4a7c15ULL + n);
  TemplateValues values;
  values.reserve(t.params.size());
  for (int32_t draw = 0; draw < max_draws; ++draw) {
    values.clear();
    for (const TemplateParam &p : t.params)
      values.emplace_back(p.name, uniform_int(rng, p.min, p.max));
    if (auto inst = instantiate_template(t, values)) return inst;
  }
  return std::nullopt;
}

const ProblemTemplate *find_template(const Domain &d, std::string_view id) {
  for (const ProblemTemplate &t : d.templates)
    if (t.id == id) return &t;
  return nullptr;
}

const Problem *find_problem_or_instance(const Domain &d, std::string_view id, Problem *storage) {
  if (const Problem *p = d.find_problem(id)) return p;
  std::string tid;
  TemplateValues values;
  if (!parse_instance_id(id, &tid, &values)) return nullptr;
  const ProblemTemplate *t = find_template(d, tid);
  if (!t) return nullptr;
  std::optional<Problem> inst = instantiate_template(*t, values);
  if (!inst || inst->id != id) return nullptr;
  *storage = std::move(*inst);
  return storage;
}

void write_problem_json(JsonWriter &w, const Problem &p, bool generated) {
  w.begin_object().field("problem_id", p.id).field("concept", p.concept_id);
  w.field("problem_text", p.text).field("correct_answer", p.correct_answer);
  if (!p.difficulty.empty()) w.field("difficulty", p.difficulty);
  w.field("irt_b", p.irt_b).field("irt_discrimination", p.irt_a);
  w.key("diagnostic_for").begin_array();
  for (const auto &m : p.diagnostic_for)
    w.value(m);
  w.end_array();
  w.key("misconception_answers").begin_object();
  for (const auto &[mid, wrong] : p.misconception_answers)
    w.field(mid, wrong);
  w.end_object();
  if (!p.template_id.empty()) {
    w.field("template_id", p.template_id);
    w.key("template_params").begin_object();
    for (const auto &[name, v] : p.template_params)
      w.field(name, v);
    w.end_object();
  }
  if (generated) w.field("generated", true);
  w.end_object();
}

}  // namespace v0
}  // namespace tutorcore
