// The featurizer tc_hash_v1 (rules in featurize.hpp). No torch here: the
// plugin's torch translation unit calls it to fill its input tensors.
#include "featurize.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

namespace tutorcore_torch {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr size_t kMaxDigits = 15;
constexpr size_t kMaxNumbers = 4;

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_lower(unsigned char c) {
  return c >= 'a' && c <= 'z';
}
bool in_set(const char *set, char c) {
  return c != '\0' && std::strchr(set, c) != nullptr;
}

bool starts_with(std::string_view s, size_t i, std::string_view prefix) {
  return s.size() - i >= prefix.size() && s.compare(i, prefix.size(), prefix) == 0;
}

std::string norm(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    size_t step = 1;
    if (starts_with(s, i, "\xe2\x88\x92") || starts_with(s, i, "\xe2\x80\x93")) {  // − –
      c = '-';
      step = 3;
    } else if (starts_with(s, i, "\xc3\x97")) {  // ×
      c = '*';
      step = 2;
    } else if (starts_with(s, i, "\xc3\xb7")) {  // ÷
      c = '/';
      step = 2;
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    i += step;
    if (is_space(static_cast<unsigned char>(c))) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string compact(std::string_view normed) {
  std::string out;
  out.reserve(normed.size());
  for (char c : normed)
    if (c != ' ') out += c;
  return out;
}

// Reads digits ('.' digits)? at s[*i]; its magnitude, or nothing when it has
// more than kMaxDigits digits (the digits are consumed either way).
std::optional<double> read_number(std::string_view s, size_t *i) {
  size_t start = *i, digits = 0;
  while (*i < s.size() && is_digit(static_cast<unsigned char>(s[*i]))) {
    ++*i;
    ++digits;
  }
  if (*i + 1 < s.size() && s[*i] == '.' && is_digit(static_cast<unsigned char>(s[*i + 1]))) {
    ++*i;
    while (*i < s.size() && is_digit(static_cast<unsigned char>(s[*i]))) {
      ++*i;
      ++digits;
    }
  }
  if (digits > kMaxDigits) return std::nullopt;
  double v = 0.0;
  auto r = std::from_chars(s.data() + start, s.data() + *i, v);
  if (r.ec != std::errc() || r.ptr != s.data() + *i) return std::nullopt;
  return v;
}

std::optional<double> value_of(const std::string &compacted) {
  std::string_view t = compacted;
  if (t.size() >= 2 && is_lower(static_cast<unsigned char>(t[0])) && t[1] == '=')
    t.remove_prefix(2);
  size_t i = 0;
  bool negative = false;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    negative = t[i] == '-';
    ++i;
  }
  if (i >= t.size() || !is_digit(static_cast<unsigned char>(t[i]))) return std::nullopt;
  std::optional<double> num = read_number(t, &i);
  std::optional<double> den;
  if (i < t.size() && t[i] == '/') {
    ++i;
    if (i >= t.size() || !is_digit(static_cast<unsigned char>(t[i]))) return std::nullopt;
    den = read_number(t, &i);
    if (!den) return std::nullopt;
  }
  for (; i < t.size(); ++i) {
    if (!is_lower(static_cast<unsigned char>(t[i])) && t[i] != '%') return std::nullopt;
  }
  if (!num) return std::nullopt;
  double v = *num;
  if (den) {
    if (*den == 0.0) return std::nullopt;
    v = v / *den;
  }
  return negative ? -v : v;
}

std::vector<double> numbers_of(const std::string &normed) {
  std::vector<double> out;
  for (size_t i = 0; i < normed.size() && out.size() < kMaxNumbers;) {
    if (!is_digit(static_cast<unsigned char>(normed[i]))) {
      ++i;
      continue;
    }
    size_t start = i;
    std::optional<double> v = read_number(normed, &i);
    if (!v) continue;
    bool negative = start >= 1 && normed[start - 1] == '-' &&
                    (start == 1 || in_set(" ([{=,:;", normed[start - 2]));
    out.push_back(negative ? -*v : *v);
  }
  return out;
}

bool near(double x, double y) {
  double scale = std::fmax(1.0, std::fmax(std::fabs(x), std::fabs(y)));
  return std::fabs(x - y) <= 1e-9 * scale;
}

class Sink {
 public:
  Sink(uint32_t dim, std::string_view concept_id) : v_(dim, 0.0), concept_(concept_id) {}

  void add(std::string_view token) {
    uint64_t h = kFnvOffset;
    for (char c : token) {
      h ^= static_cast<unsigned char>(c);
      h *= kFnvPrime;
    }
    v_[h & (v_.size() - 1)] += (h >> 63) ? -1.0 : 1.0;
  }
  void add(std::string_view prefix, std::string_view body) {
    buf_.assign(prefix);
    buf_.append(body);
    add(buf_);
  }
  // A relation: itself and crossed with the concept.
  void relation(const std::string &r) {
    add(r);
    cross_.assign("k:");
    cross_.append(concept_);
    cross_ += '|';
    cross_ += r;
    add(cross_);
  }
  void write(float *out) const {
    double s = 0.0;
    for (double x : v_)
      s += x * x;
    double n = s > 0.0 ? std::sqrt(s) : 1.0;
    for (size_t k = 0; k < v_.size(); ++k)
      out[k] = static_cast<float>(s > 0.0 ? v_[k] / n : 0.0);
  }

 private:
  std::vector<double> v_;
  std::string_view concept_;
  std::string buf_, cross_;
};

std::string shape_of(const std::string &g) {
  std::string out;
  for (size_t i = 0; i < g.size(); ++i) {
    if (is_digit(static_cast<unsigned char>(g[i]))) {
      if (i == 0 || !is_digit(static_cast<unsigned char>(g[i - 1]))) out += '0';
    } else {
      out += g[i];
    }
  }
  return out;
}

void ngrams(Sink &sink, std::string_view prefix, const std::string &g, size_t max_n) {
  for (size_t n = 1; n <= max_n; ++n) {
    for (size_t i = 0; i + n <= g.size(); ++i)
      sink.add(prefix, std::string_view(g).substr(i, n));
  }
}

}  // namespace

void featurize(const FeatureInput &in, uint32_t dim, float *out) {
  Sink sink(dim, in.concept_id);
  sink.add("b");
  sink.add("k:", in.concept_id);

  const std::string answer = compact(norm(in.answer));
  const std::string g = "^" + answer + "$";
  ngrams(sink, "a:", g, 3);
  ngrams(sink, "s:", shape_of(g), 4);

  const std::string problem = norm(in.problem_text);
  for (size_t i = 0; i < problem.size();) {
    auto word_byte = [](unsigned char c) { return is_lower(c) || is_digit(c) || c >= 0x80; };
    if (!word_byte(static_cast<unsigned char>(problem[i]))) {
      if (in_set("+-*/^=()<>%", problem[i])) sink.add("o:", std::string_view(problem).substr(i, 1));
      ++i;
      continue;
    }
    size_t start = i;
    bool all_digits = true;
    while (i < problem.size() && word_byte(static_cast<unsigned char>(problem[i]))) {
      all_digits = all_digits && is_digit(static_cast<unsigned char>(problem[i]));
      ++i;
    }
    sink.add("w:", all_digits ? std::string_view("#")
                              : std::string_view(problem).substr(start, i - start));
  }

  const std::string correct = compact(norm(in.correct_answer));
  if (answer == correct) sink.relation("r:same");
  std::optional<double> x = value_of(answer);
  if (!x) {
    sink.relation("v:none");
  } else {
    sink.relation("v:num");
    if (std::optional<double> c = value_of(correct)) {
      if (near(*x, *c)) sink.relation("c:eq");
      if (*c != 0.0 && near(*x, -*c)) sink.relation("c:neg");
      if (near(*x, *c + 1.0)) sink.relation("c:p1");
      if (near(*x, *c - 1.0)) sink.relation("c:m1");
      if (*c != 0.0 && near(*x, 2.0 * *c)) sink.relation("c:dbl");
      if (*c != 0.0 && near(*x, *c / 2.0)) sink.relation("c:half");
      if (*c != 0.0 && near(*x, 1.0 / *c)) sink.relation("c:inv");
    }
    const std::vector<double> n = numbers_of(problem);
    const std::string digits = "0123";
    auto pair_rel = [&](const char *op, size_t i, size_t j) {
      std::string r = std::string("p:") + op;
      sink.relation(r + ":" + digits[i] + digits[j]);
      sink.relation(r);
    };
    for (size_t i = 0; i < n.size(); ++i) {
      if (near(*x, n[i])) {
        sink.relation(std::string("n:eq:") + digits[i]);
        sink.relation("n:eq");
      }
    }
    for (size_t i = 0; i < n.size(); ++i) {
      for (size_t j = 0; j < n.size(); ++j) {
        if (i == j) continue;
        if (i < j && near(*x, n[i] + n[j])) pair_rel("add", i, j);
        if (i < j && near(*x, n[i] * n[j])) pair_rel("mul", i, j);
        if (near(*x, n[i] - n[j])) pair_rel("sub", i, j);
        if (n[j] != 0.0 && near(*x, n[i] / n[j])) pair_rel("div", i, j);
      }
    }
  }
  sink.write(out);
}

}  // namespace tutorcore_torch
