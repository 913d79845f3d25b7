/* replay.c: a main() for a fuzz target without libFuzzer, for the normal test suite
   (tests/fuzz-corpus.t): runs LLVMFuzzerTestOneInput once on each file named on the command
   line, so that every committed corpus input (crashes found once included) is checked with
   the ordinary compiler. Exit 0 when all ran; an input that breaks an invariant aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

static int replay (char const *path)
{
  FILE *f = fopen(path, "rb") ;
  uint8_t *data = 0 ;
  size_t len = 0, cap = 0 ;
  if (!f) { fprintf(stderr, "replay: unable to open %s: %s\n", path, strerror(errno)) ; return 0 ; }
  for (;;)
  {
    size_t r ;
    if (len == cap)
    {
      uint8_t *p = realloc(data, cap = cap ? 2 * cap : 4096) ;
      if (!p) { fprintf(stderr, "replay: out of memory\n") ; fclose(f) ; free(data) ; return 0 ; }
      data = p ;
    }
    r = fread(data + len, 1, cap - len, f) ;
    if (!r) break ;
    len += r ;
  }
  if (ferror(f)) { fprintf(stderr, "replay: unable to read %s\n", path) ; fclose(f) ; free(data) ; return 0 ; }
  fclose(f) ;
  LLVMFuzzerTestOneInput(data, len) ;
  free(data) ;
  return 1 ;
}

int main (int argc, char const *const *argv)
{
  int ok = 1 ;
  for (int i = 1 ; i < argc ; i++) if (!replay(argv[i])) ok = 0 ;
  return ok ? 0 : 111 ;
}
