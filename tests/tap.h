/* tap.h: the in-house unit-test harness. Prints TAP for prove; the test binary exits non-zero
   when any check failed, so valgrind's and prove's verdicts agree. Header-only on purpose. */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stdio.h>
#include <string.h>

static unsigned int tap_n = 0 ;
static unsigned int tap_failed = 0 ;

static inline int tap_ok (int cond, char const *name, char const *file, int line)
{
  tap_n++ ;
  printf("%sok %u - %s\n", cond ? "" : "not ", tap_n, name) ;
  if (!cond) { tap_failed++ ; printf("#   failed at %s:%d\n", file, line) ; }
  return cond ;
}

static inline int tap_is_mem (char const *got, size_t gotlen, char const *want, size_t wantlen, char const *name, char const *file, int line)
{
  int r = tap_ok(gotlen == wantlen && !memcmp(got, want, wantlen), name, file, line) ;
  if (!r) printf("#   got:  \"%.*s\" (%zu)\n#   want: \"%.*s\" (%zu)\n", (int)gotlen, got, gotlen, (int)wantlen, want, wantlen) ;
  return r ;
}

static inline int tap_is_long (long long got, long long want, char const *name, char const *file, int line)
{
  int r = tap_ok(got == want, name, file, line) ;
  if (!r) printf("#   got: %lld, want: %lld\n", got, want) ;
  return r ;
}

#define ok(cond, name) tap_ok(!!(cond), (name), __FILE__, __LINE__)
#define is(got, want, name) tap_is_long((long long)(got), (long long)(want), (name), __FILE__, __LINE__)
#define is_str(got, want, name) tap_is_mem((got), strlen(got), (want), strlen(want), (name), __FILE__, __LINE__)
#define is_mem(got, gotlen, want, name) tap_is_mem((got), (gotlen), (want), strlen(want), (name), __FILE__, __LINE__)

static inline int tap_done (void)
{
  printf("1..%u\n", tap_n) ;
  fflush(stdout) ;
  return tap_failed ? 1 : 0 ;
}

#endif
