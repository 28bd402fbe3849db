#include <stdio.h>
#include <string.h>
#include <tutorcore/tutorcore.h>

int main(void) {
  tc_store_options opts = TC_STORE_OPTIONS_INIT;
  tc_store *store = NULL;
  int64_t last = -1;
  opts.backend = TC_STORE_MEMORY;
  if (strcmp(tc_version(), TC_VERSION_STRING) != 0) return 1;
  if (tc_store_open(&store, &opts) != TC_OK) return 2;
  if (tc_store_last_id(&last, store) != TC_OK || last != 0) return 3;
  tc_store_free(store);
  printf("consumer linked tutorcore %s\n", tc_version());
  return 0;
}
