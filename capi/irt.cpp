// tc_irt_*: IRT hot paths.
#include "tutorcore/irt/irt.hpp"
#include "capi_internal.hpp"

using namespace tutorcore;

extern "C" {

double tc_irt_probability(double theta, double a, double b) {
  return irt_probability(theta, IrtItem{a, b});
}

double tc_irt_information(double theta, double a, double b) {
  return irt_information(theta, IrtItem{a, b});
}

double tc_irt_theta_from_mastery(double mastery) {
  return theta_from_mastery(mastery);
}

}  // extern "C"
