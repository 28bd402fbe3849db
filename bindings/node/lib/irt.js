// Item response theory: the 2PL model's probability and information.

import { describeType, lib } from './native.js';

function num(value, what) {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, not ${describeType(value)}`);
  return value;
}

/** P(right) under the 2PL model, 1 / (1 + exp(-a (theta - b))); a = 1 is
 * Rasch (tc_irt_probability). */
export function irtProbability(theta, a, b) {
  return lib().tc_irt_probability(num(theta, 'theta'), num(a, 'a'), num(b, 'b'));
}

/** Fisher information a^2 P (1 - P) of a 2PL item at theta (tc_irt_information). */
export function irtInformation(theta, a, b) {
  return lib().tc_irt_information(num(theta, 'theta'), num(a, 'a'), num(b, 'b'));
}

/** Ability from a mastery estimate: logit(m), m kept in [1e-6, 1 - 1e-6]
 * (tc_irt_theta_from_mastery). */
export function irtThetaFromMastery(mastery) {
  return lib().tc_irt_theta_from_mastery(num(mastery, 'mastery'));
}
