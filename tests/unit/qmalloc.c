/* Unit tests of lib/qmalloc.c (as qm_*, beside the C library's malloc): sizes and classes,
   alignment, reuse of freed blocks, realloc in place and by copy, calloc, big blocks, arenas
   after the first, and a random workload checked against a shadow copy. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "qmalloc.h"
#include "../tap.h"

#define SLOTS 500

static int aligned (void const *p)
{
  return !((uintptr_t)p & 15) ;
}

static void workload (void)
{
  static unsigned char *p[SLOTS], *shadow[SLOTS] ;
  static size_t len[SLOTS] ;
  unsigned int seed = 12345, bad = 0 ;
  for (unsigned int i = 0 ; i < 200000 ; i++)
  {
    unsigned int k = (seed = seed * 1103515245 + 12345) >> 16 ;
    unsigned int j = k % SLOTS ;
    size_t n = (k >> 3) % (k & 1 ? 300 : 70000) ;
    if (p[j] && memcmp(p[j], shadow[j], len[j])) bad++ ;
    if (k & 2 && p[j])
    {
      unsigned char *q = qm_realloc(p[j], n + 1) ;
      size_t keep = len[j] < n + 1 ? len[j] : n + 1 ;
      if (!q || memcmp(q, shadow[j], keep) || !aligned(q)) bad++ ;
      p[j] = q ;
    }
    else
    {
      qm_free(p[j]) ;
      p[j] = qm_malloc(n + 1) ;
      if (!p[j] || !aligned(p[j])) bad++ ;
    }
    free(shadow[j]) ;
    shadow[j] = malloc(n + 1) ;
    for (size_t b = 0 ; b <= n ; b++) shadow[j][b] = p[j][b] = (unsigned char)(k + b) ;
    len[j] = n + 1 ;
    if (qm_usable(p[j]) < n + 1) bad++ ;
  }
  is(bad, 0, "200,000 random mallocs, reallocs and frees keep every block's bytes") ;
  for (unsigned int j = 0 ; j < SLOTS ; j++) { qm_free(p[j]) ; free(shadow[j]) ; }
}

int main (void)
{
  char *a = qm_malloc(0), *b = qm_malloc(1), *c, *d ;
  ok(a && b && a != b, "malloc(0) and malloc(1) give distinct blocks") ;
  ok(aligned(a) && aligned(b), "16-byte aligned") ;
  is(qm_usable(b), 16, "the smallest class is 16 bytes") ;
  c = qm_malloc(17) ;
  is(qm_usable(c), 32, "17 bytes: class 32") ;
  qm_free(c) ;
  d = qm_malloc(20) ;
  ok(d == c, "a freed block is reused for the same class") ;
  memcpy(d, "0123456789abcdefghi", 20) ;
  c = qm_realloc(d, 30) ;
  ok(c == d, "realloc within the class keeps the block") ;
  d = qm_realloc(c, 100) ;
  ok(d == c, "realloc of the newest block grows it in place") ;
  is(qm_usable(d), 128, "to the next class") ;
  ok(!memcmp(d, "0123456789abcdefghi", 20), "the bytes stay") ;
  c = qm_malloc(8) ;
  a = qm_realloc(d, 1000) ;
  ok(a != d && !memcmp(a, "0123456789abcdefghi", 20), "realloc of an older block copies") ;
  qm_free(c) ;
  qm_free(a) ;
  qm_free(b) ;
  qm_free(0) ;
  a = qm_calloc(100, 10) ;
  ok(a && qm_usable(a) >= 1000, "calloc") ;
  memset(a, 'x', 1000) ;
  qm_free(a) ;
  b = qm_calloc(100, 10) ;
  ok(b == a, "calloc reuses the freed block") ;
  {
    int zero = 1 ;
    for (int i = 0 ; i < 1000 ; i++) if (b[i]) zero = 0 ;
    ok(zero, "and clears it") ;
  }
  errno = 0 ;
  ok(!qm_calloc(SIZE_MAX / 2, 3), "calloc refuses an overflowing size") ;
  is(errno, ENOMEM, "ENOMEM") ;
  errno = 0 ;
  ok(!qm_malloc(SIZE_MAX - 8), "malloc refuses an impossible size") ;
  is(errno, ENOMEM, "ENOMEM") ;
  a = qm_malloc(1 << 20) ;
  ok(a && aligned(a) && qm_usable(a) >= 1 << 20, "a big block: its own mapping") ;
  memset(a, 'y', 1 << 20) ;
  c = qm_realloc(a, 3 << 20) ;
  ok(c && c[0] == 'y' && c[(1 << 20) - 1] == 'y', "realloc of a big block keeps the bytes") ;
  qm_free(c) ;
  {
    char *p[40] ;
    int ok1 = 1 ;
    for (int i = 0 ; i < 40 ; i++)   /* 40 x 64 KB: past the first arena and into mapped ones */
    {
      p[i] = qm_malloc(65536) ;
      if (!p[i] || !aligned(p[i])) ok1 = 0 ;
      else memset(p[i], i, 65536) ;
    }
    for (int i = 0 ; i < 40 ; i++) if (ok1 && (p[i][0] != i || p[i][65535] != i)) ok1 = 0 ;
    ok(ok1, "blocks from later arenas are separate and writable") ;
    for (int i = 0 ; i < 40 ; i++) qm_free(p[i]) ;
  }
  workload() ;
  return tap_done() ;
}
