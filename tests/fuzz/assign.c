/* assign.c: fuzz the users/assign reader: each line through assign_parseline (the cdb key and
   the six NUL-terminated fields qmail-getpw prints), the whole file through assign_make into a
   real cdb, where every "=" entry is then found by assign_cdb. */
#include <stdio.h>
#include <string.h>
#include <skalibs/cdb.h>
#include <skalibs/cdbmake.h>
#include <skalibs/stralloc.h>
#include "assign.h"
#include "common/fuzz.h"

static void parselines (char const *s, size_t len)
{
  stralloc key = STRALLOC_ZERO, data = STRALLOC_ZERO ;
  size_t pos = 0 ;
  while (pos < len)
  {
    char const *nl = memchr(s + pos, '\n', len - pos), *why = 0 ;
    size_t n = nl ? (size_t)(nl - s) - pos : len - pos ;
    int r = assign_parseline(&key, &data, s + pos, n, &why) ;
    fuzz_assert(r >= -1 && r <= 1) ;
    if (r == 1)
    {
      size_t nuls = 0 ;
      fuzz_assert(key.len >= 1 && (key.s[0] == '=' || key.s[0] == '+') && key.len < n) ;
      for (size_t i = 0 ; i < data.len ; i++) nuls += !data.s[i] ;
      fuzz_assert(nuls == 6 && data.len && !data.s[data.len - 1]) ;
    }
    else if (!r) fuzz_assert(why != 0) ;
    pos += n + 1 ;
  }
  stralloc_free(&key) ;
  stralloc_free(&data) ;
}

static void lookups (char const *s, size_t len, cdb const *c)
{
  stralloc key = STRALLOC_ZERO, data = STRALLOC_ZERO ;
  assign_t a = ASSIGN_ZERO ;
  size_t pos = 0 ;
  while (pos < len)
  {
    char const *nl = memchr(s + pos, '\n', len - pos), *why ;
    size_t n = nl ? (size_t)(nl - s) - pos : len - pos ;
    if (assign_parseline(&key, &data, s + pos, n, &why) == 1 && key.s[0] == '=')
    {
      if (!stralloc_0(&key)) abort() ;
      fuzz_assert(assign_cdb(&a, c, key.s + 1) == 1) ;
      fuzz_assert(a.source == ASSIGN_EXACT && a.uid != 0) ;
    }
    pos += n + 1 ;
  }
  assign_free(&a) ;
  stralloc_free(&key) ;
  stralloc_free(&data) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char const *s = (char const *)data ;
  FILE *f ;
  cdbmaker cm ;
  cdb c = CDB_ZERO ;
  size_t line ;
  char const *why ;
  int r ;
  parselines(s, size) ;
  f = tmpfile() ;
  if (!f || !cdbmake_start(&cm, fileno(f))) abort() ;
  r = assign_make(&cm, s, size, &line, &why) ;
  fuzz_assert(r >= -1 && r <= 1) ;
  if (r == 1)
  {
    if (!cdbmake_finish(&cm) || !cdb_init_fromfd(&c, fileno(f))) abort() ;
    lookups(s, size, &c) ;
    cdb_free(&c) ;
  }
  else
  {
    if (!r) fuzz_assert(why && line >= 1) ;
    cdbmake_finish(&cm) ;   /* frees the maker's table */
  }
  fclose(f) ;
  return 0 ;
}
