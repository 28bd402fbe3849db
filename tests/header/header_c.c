/* tutorcore.h compiles on its own as C99 with -pedantic -Werror. */
#include "tutorcore/tutorcore.h"
int tc_header_test_c(void) {
  return TC_OK;
}
