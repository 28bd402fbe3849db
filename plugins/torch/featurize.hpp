// The featurizer "tc_hash_v1": an answer and its problem as a fixed-size
// vector of hashed tokens. scripts/train_torch_classifier.py implements the
// same function in Python; the torch tests check that both give identical
// float32 vectors. docs/pipeline.md ("Trained models") is the long form.
//
//   norm(s)    the UTF-8 bytes of s with U+2212 and U+2013 as '-', U+00D7 as
//              '*', U+00F7 as '/', A-Z lower-cased, each run of whitespace
//              (space \t \n \v \f \r) one space, none at either end
//   compact(s) norm(s) without spaces
//   value(s)   compact(s) less a leading "<letter>=", read as
//              [+-]? N ('/' N)? [a-z%]*  with N = digits ('.' digits)?, at
//              most 15 digits per N: numerator / denominator as a double
//              (none for anything else or a zero denominator)
//   numbers(p) the first 4 numbers in norm(problem text): runs of digits
//              with an optional '.' and digits, at most 15 digits, negative
//              when a '-' stands right before one and the text starts or has
//              one of ' ([{=,:;' right before that '-'
//
// Tokens: "b"; "k:<concept>"; "a:<g>" for every 1-, 2- and 3-byte slice g
// of "^" + compact(answer) + "$"; "s:<g>" for every 1- to 4-byte slice of
// that string with each run of digits as one '0' (the answer's shape);
// "w:<word>" for each word of norm(problem text) (runs of a-z, 0-9 and
// bytes >= 0x80; a run of digits alone is "#"); "o:<c>" for each of
// + - * / ^ = ( ) < > % in norm(problem text). Then the relations, each
// emitted twice, as itself and as "k:<concept>|<relation>":
// "r:same" when compact(answer) == compact(correct answer); "v:none" when
// the answer has no value, else "v:num" and, with x its value, c the
// correct answer's and n0..n3 the problem's numbers, x ~ y meaning
// |x - y| <= 1e-9 max(1, |x|, |y|):
//   "c:eq" x ~ c, "c:neg" x ~ -c, "c:p1" x ~ c + 1, "c:m1" x ~ c - 1,
//   "c:dbl" x ~ 2c, "c:half" x ~ c / 2, "c:inv" x ~ 1 / c (the last five
//   only for c != 0, p1 and m1 always);
//   "n:eq:<i>" and "n:eq" for x ~ ni;
//   "p:add:<i><j>" and "p:add" for x ~ ni + nj (i < j), likewise "mul"
//   (ni * nj, i < j), "sub" (ni - nj, i != j) and "div" (ni / nj, i != j,
//   nj != 0).
//
// Each token's 64-bit FNV-1a hash h adds sign to slot h mod dim, sign -1
// when bit 63 of h is set, else +1; the vector is then divided by its
// Euclidean norm (computed in double) and rounded to float.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tutorcore_torch {

struct FeatureInput {
  std::string_view answer;
  std::string_view problem_text;
  std::string_view correct_answer;
  std::string_view concept_id;
};

// Writes the dim floats of `in` into out. dim must be a power of two.
void featurize(const FeatureInput &in, uint32_t dim, float *out);

}  // namespace tutorcore_torch
