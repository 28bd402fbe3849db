// Answer equivalence (rules in answer.hpp).
#include "tutorcore/classify/answer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

namespace tutorcore {
inline namespace v0 {
namespace {

constexpr double kRelTolerance = 1e-9;
constexpr int kPoints = 3;
// Variable values of the evaluation points: irrational-ish, distinct per
// letter, so that different polynomials rarely agree at all three points.
constexpr double kBase[kPoints] = {0.7371, 1.6180, -1.4142};

bool close(double a, double b) {
  return std::fabs(a - b) <= kRelTolerance * std::max({1.0, std::fabs(a), std::fabs(b)});
}

// Recursive descent over a normalized expression.
class Parser {
 public:
  Parser(std::string_view s, int point) : s_(s), point_(point) {}
  std::optional<double> parse() {
    auto v = expr();
    if (!v || pos_ != s_.size() || !std::isfinite(*v)) return std::nullopt;
    return v;
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool starts_primary() const {
    char c = peek();
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '(' ||
           std::isalpha(static_cast<unsigned char>(c));
  }
  std::optional<double> expr() {
    auto v = term();
    while (v && (peek() == '+' || peek() == '-')) {
      char op = s_[pos_++];
      auto r = term();
      if (!r) return std::nullopt;
      v = op == '+' ? *v + *r : *v - *r;
    }
    return v;
  }
  std::optional<double> term() {
    auto v = unary();
    while (v) {
      char c = peek();
      if (c == '*' || c == '/') {
        ++pos_;
        auto r = unary();
        if (!r) return std::nullopt;
        v = c == '*' ? *v * *r : *v / *r;
      } else if (starts_primary()) {  // implicit product: 2x, 3(x+1), (x+1)(x-1)
        auto r = power();
        if (!r) return std::nullopt;
        v = *v * *r;
      } else {
        break;
      }
    }
    return v;
  }
  std::optional<double> unary() {
    if (peek() == '-' || peek() == '+') {
      char op = s_[pos_++];
      auto v = unary();
      if (!v) return std::nullopt;
      return op == '-' ? -*v : *v;
    }
    return power();
  }
  std::optional<double> power() {
    auto b = primary();
    if (!b || peek() != '^') return b;
    ++pos_;
    auto e = unary();
    if (!e) return std::nullopt;
    return std::pow(*b, *e);
  }
  std::optional<double> primary() {
    char c = peek();
    if (c == '(') {
      ++pos_;
      auto v = expr();
      if (!v || peek() != ')') return std::nullopt;
      ++pos_;
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      ++pos_;
      // A letter stands for a variable; each letter has its own value.
      return kBase[point_] + 0.1 * (c - 'a');
    }
    size_t start = pos_;
    while (std::isdigit(static_cast<unsigned char>(peek())) || peek() == '.')
      ++pos_;
    if (start == pos_) return std::nullopt;
    double v = 0;
    auto [p, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (ec != std::errc() || p != s_.data() + pos_) return std::nullopt;
    return v;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int point_;
};

// Splits "(a,b,...)" into its elements; nothing when it is not a tuple.
std::optional<std::vector<std::string_view>> tuple_elements(std::string_view s) {
  if (s.size() < 3 || s.front() != '(' || s.back() != ')') return std::nullopt;
  std::string_view inner = s.substr(1, s.size() - 2);
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '(') ++depth;
    if (inner[i] == ')') --depth;
    if (inner[i] == ',' && depth == 0) {
      out.push_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  if (out.empty()) return std::nullopt;  // "(x+1)" is a parenthesised expression
  out.push_back(inner.substr(start));
  return out;
}

// Words are not products of variables: at most 3 distinct letters, never
// three in a row ("all real numbers" is text, "3xy" is algebra).
bool looks_algebraic(std::string_view s) {
  bool seen[26] = {};
  int distinct = 0, run = 0;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') {
      if (++run >= 3) return false;
      if (!seen[c - 'a']) {
        seen[c - 'a'] = true;
        ++distinct;
      }
    } else {
      run = 0;
    }
  }
  return distinct <= 3;
}

bool same_expression(std::string_view a, std::string_view b) {
  if (!looks_algebraic(a) || !looks_algebraic(b)) return false;
  for (int p = 0; p < kPoints; ++p) {
    auto x = evaluate_expression(a, p), y = evaluate_expression(b, p);
    if (!x || !y || !close(*x, *y)) return false;
  }
  return true;
}

bool equivalent_normalized(std::string_view a, std::string_view b);

// "y=2x-1" against "y=-1+2x": the same left side and equivalent right sides;
// also relations such as "x<=2".
bool same_relation(std::string_view a, std::string_view b) {
  for (std::string_view op : {"<=", ">=", "=", "<", ">"}) {
    size_t i = a.find(op), j = b.find(op);
    if (i == std::string_view::npos || j == std::string_view::npos) continue;
    if (a.substr(0, i) != b.substr(0, j)) return false;
    return equivalent_normalized(a.substr(i + op.size()), b.substr(j + op.size()));
  }
  return false;
}

bool equivalent_normalized(std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (a.empty() || b.empty()) return false;
  auto x = parse_number(a), y = parse_number(b);
  if (x && y) return close(*x, *y);
  auto ta = tuple_elements(a), tb = tuple_elements(b);
  if (ta && tb) {
    if (ta->size() != tb->size()) return false;
    for (size_t i = 0; i < ta->size(); ++i) {
      if (!equivalent_normalized((*ta)[i], (*tb)[i])) return false;
    }
    return true;
  }
  if (same_relation(a, b)) return true;
  // "x=4" for "4": a stated variable's value.
  if (a.size() > 2 && std::isalpha(static_cast<unsigned char>(a[0])) && a[1] == '=' && y)
    return equivalent_normalized(a.substr(2), b);
  return same_expression(a, b);
}

}  // namespace

std::string normalize_answer(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    // U+2264 and U+2265 (less/greater than or equal), U+2212 (minus sign).
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x89) {
      unsigned char d = static_cast<unsigned char>(text[i + 2]);
      if (d == 0xA4 || d == 0xA5) {
        out += d == 0xA4 ? "<=" : ">=";
        i += 2;
        continue;
      }
    }
    if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x88 &&
        static_cast<unsigned char>(text[i + 2]) == 0x92) {
      out += '-';
      i += 2;
      continue;
    }
    if (std::isspace(c)) continue;
    out += static_cast<char>(std::tolower(c));
  }
  while (!out.empty() && out.back() == '.')
    out.pop_back();
  std::string clean;
  clean.reserve(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '*' && i + 1 < out.size() &&
        (std::isalpha(static_cast<unsigned char>(out[i + 1])) || out[i + 1] == '(')) {
      continue;
    }
    clean += out[i];
  }
  return clean;
}

std::optional<double> parse_number(std::string_view s) {
  if (!s.empty() && s.back() == '%') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    auto n = parse_number(s.substr(0, slash)), d = parse_number(s.substr(slash + 1));
    if (!n || !d || *d == 0.0 || s.substr(slash + 1).find('/') != std::string_view::npos)
      return std::nullopt;
    return *n / *d;
  }
  std::string_view body = s.front() == '+' ? s.substr(1) : s;
  double v = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc() || p != body.data() + body.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<double> evaluate_expression(std::string_view normalized, int point) {
  if (point < 0 || point >= kPoints || normalized.empty()) return std::nullopt;
  return Parser(normalized, point).parse();
}

bool answers_equivalent(std::string_view student, std::string_view reference) {
  return equivalent_normalized(normalize_answer(student), normalize_answer(reference));
}

bool normalized_answers_equivalent(std::string_view student, std::string_view reference) {
  return equivalent_normalized(student, reference);
}

}  // namespace v0
}  // namespace tutorcore
