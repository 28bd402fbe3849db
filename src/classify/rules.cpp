// The rule-based backend and template rendering (rules in rules.hpp).
#include "tutorcore/classify/rules.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <functional>
#include <numeric>

#include "tutorcore/classify/answer.hpp"
#include "tutorcore/common/error.hpp"

namespace tutorcore {
inline namespace v0 {
namespace {

// An exact rational n/d with d > 0, reduced.
struct Rational {
  int64_t n = 0, d = 1;
};

std::optional<Rational> make(int64_t n, int64_t d) {
  if (d == 0) return std::nullopt;
  if (d < 0) {
    if (n == INT64_MIN || d == INT64_MIN) return std::nullopt;
    n = -n;
    d = -d;
  }
  int64_t g = std::gcd(n, d);
  if (g > 1) {
    n /= g;
    d /= g;
  }
  return Rational{n, d};
}

std::optional<int64_t> mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::optional<Rational> add(Rational a, Rational b, bool subtract) {
  auto x = mul(a.n, b.d), y = mul(b.n, a.d), d = mul(a.d, b.d);
  if (!x || !y || !d) return std::nullopt;
  int64_t n;
  if (subtract ? __builtin_sub_overflow(*x, *y, &n) : __builtin_add_overflow(*x, *y, &n))
    return std::nullopt;
  return make(n, *d);
}

std::optional<Rational> times(Rational a, Rational b, bool divide) {
  if (divide) std::swap(b.n, b.d);
  auto n = mul(a.n, b.n), d = mul(a.d, b.d);
  if (!n || !d) return std::nullopt;
  return make(*n, *d);
}

// Recursive descent over one placeholder's expression: integers, parameter
// names, + - * /, unary minus, parentheses; white space ignored.
class TemplateExpr {
 public:
  TemplateExpr(std::string_view s, const std::vector<std::pair<std::string, int64_t>> &params)
      : s_(s), params_(params) {}
  std::optional<Rational> parse() {
    auto v = expr();
    skip();
    if (!v || pos_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_])))
      ++pos_;
  }
  char peek() {
    skip();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  std::optional<Rational> expr() {
    auto v = term();
    while (v && (peek() == '+' || peek() == '-')) {
      bool minus = s_[pos_++] == '-';
      auto r = term();
      if (!r) return std::nullopt;
      v = add(*v, *r, minus);
    }
    return v;
  }
  std::optional<Rational> term() {
    auto v = unary();
    while (v && (peek() == '*' || peek() == '/')) {
      bool divide = s_[pos_++] == '/';
      auto r = unary();
      if (!r || (divide && r->n == 0)) return std::nullopt;
      v = times(*v, *r, divide);
    }
    return v;
  }
  std::optional<Rational> unary() {
    if (peek() == '-') {
      ++pos_;
      if (++depth_ > kMaxDepth) return std::nullopt;
      auto v = unary();
      --depth_;
      if (!v || v->n == INT64_MIN) return std::nullopt;
      return Rational{-v->n, v->d};
    }
    return primary();
  }
  std::optional<Rational> primary() {
    char c = peek();
    if (c == '(') {
      ++pos_;
      if (++depth_ > kMaxDepth) return std::nullopt;
      auto v = expr();
      --depth_;
      if (!v || peek() != ')') return std::nullopt;
      ++pos_;
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
        ++pos_;
      std::string_view name = s_.substr(start, pos_ - start);
      for (const auto &[k, v] : params_)
        if (k == name) return Rational{v, 1};
      return std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      int64_t v = 0;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        auto t = mul(v, 10);
        if (!t || __builtin_add_overflow(*t, s_[pos_] - '0', &v)) return std::nullopt;
        ++pos_;
      }
      return Rational{v, 1};
    }
    return std::nullopt;
  }

  static constexpr int kMaxDepth = 64;
  std::string_view s_;
  const std::vector<std::pair<std::string, int64_t>> &params_;
  size_t pos_ = 0;
  int depth_ = 0;
};

const ProblemTemplate *template_of(const Domain &d, const Problem &p) {
  if (p.template_id.empty()) return nullptr;
  for (const ProblemTemplate &t : d.templates)
    if (t.id == p.template_id) return &t;
  return nullptr;
}

}  // namespace

std::optional<std::string> render_template_text(
    std::string_view text, const std::vector<std::pair<std::string, int64_t>> &params) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') {
      out += text[i];
      continue;
    }
    size_t end = text.find('}', i);
    if (end == std::string_view::npos) return std::nullopt;
    auto v = TemplateExpr(text.substr(i + 1, end - i - 1), params).parse();
    if (!v) return std::nullopt;
    out += v->d == 1 ? fmt::format("{}", v->n) : fmt::format("{}/{}", v->n, v->d);
    i = end;
  }
  return out;
}

ProblemRules problem_rules(const Problem &p, const ProblemTemplate *t) {
  ProblemRules r;
  r.correct = normalize_answer(p.correct_answer);
  for (const auto &[mid, wrong] : p.misconception_answers)
    r.wrong.push_back({mid, normalize_answer(wrong), std::string()});
  if (t) {
    for (const auto &[mid, pattern] : t->misconception_answers) {
      auto text = render_template_text(pattern, p.template_params);
      if (text) r.wrong.push_back({mid, normalize_answer(*text), t->id});
    }
  }
  return r;
}

Prediction classify_with_rules(const ProblemRules &rules, std::string_view answer,
                               const std::string &backend) {
  Prediction out;
  out.backend = backend;
  std::string a = normalize_answer(answer);
  auto right = [&] {
    out.label = kLabelCorrect;
    out.confidence = 1.0;
    out.reason = "equivalent to the correct answer";
  };
  auto shows = [&](const WrongAnswerRule &w) {
    out.label = w.misconception_id;
    out.confidence = 1.0;
    out.reason = w.template_id.empty()
                     ? fmt::format("equivalent to the problem bank's wrong answer for {}",
                                   w.misconception_id)
                     : fmt::format("equivalent to template {}'s wrong answer '{}' for {}",
                                   w.template_id, w.normalized, w.misconception_id);
  };
  // The same text first: a wrong answer may have the correct answer's value
  // ("2(4x-10)" for "factor completely: 8x-20"); its text still tells it apart.
  if (a == rules.correct) {
    right();
    return out;
  }
  for (const WrongAnswerRule &w : rules.wrong) {
    if (a == w.normalized) {
      shows(w);
      return out;
    }
  }
  if (normalized_answers_equivalent(a, rules.correct)) {
    right();
    return out;
  }
  for (const WrongAnswerRule &w : rules.wrong) {
    if (normalized_answers_equivalent(a, w.normalized)) {
      shows(w);
      return out;
    }
  }
  out.label = kLabelUnknown;
  out.reason = "matches neither the correct answer nor a known wrong answer";
  return out;
}

RuleClassifier::RuleClassifier(std::shared_ptr<const Domain> domain, std::string name)
    : domain_(std::move(domain)), name_(std::move(name)) {
  if (!domain_) throw Error(Errc::invalid, "rule classifier: no domain");
  check_classifier_name(name_);
  const Domain &d = *domain_;
  rules_.reserve(d.problems.size());
  for (const Problem &p : d.problems) {
    const ProblemTemplate *t = template_of(d, p);
    rules_.push_back(problem_rules(p, t));
    if (!t) continue;
    for (const auto &[mid, pattern] : t->misconception_answers) {
      if (!render_template_text(pattern, p.template_params)) {
        unrendered_.push_back(fmt::format("{}: {} pattern for {}", p.id, t->id, mid));
      }
    }
  }
}

Prediction RuleClassifier::predict(const Problem &problem, std::string_view answer,
                                   const Concept &) const {
  const Domain &d = *domain_;
  // A problem of this domain: its prepared rules.
  std::less<const Problem *> before;
  if (!d.problems.empty() && !before(&problem, d.problems.data()) &&
      before(&problem, d.problems.data() + d.problems.size())) {
    return classify_with_rules(rules_[static_cast<size_t>(&problem - d.problems.data())], answer,
                               name_);
  }
  return classify_with_rules(problem_rules(problem, template_of(d, problem)), answer, name_);
}

}  // namespace v0
}  // namespace tutorcore
