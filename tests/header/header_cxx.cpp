// tutorcore.h compiles on its own as C++17 with -pedantic -Werror.
#include "tutorcore/tutorcore.h"
int tc_header_test_cxx() {
  return TC_OK;
}
