/* qlocal.c: fuzz the .qmail reader: qlocal_nextline cuts every line inside the file, without
   trailing blanks, and qlocal_classify sends each to one kind with its argument inside it. The
   extension helpers (safe names, -default names, EXTn, HOSTn) stay inside their input. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "../../qmail-local/qmail-local-core.h"
#include "common/fuzz.h"

static void lines (uint8_t const *data, size_t size)
{
  char *s = malloc(size + 1) ;   /* room for the NUL after the last line, as documented */
  char *line ;
  size_t pos = 0, len, prev = 0, n = 0 ;
  if (!s) abort() ;
  memcpy(s, data, size) ;
  while (qlocal_nextline(s, size, &pos, &line, &len))
  {
    size_t arg = (size_t)-1 ;
    qlocal_kind_t k ;
    fuzz_assert(pos > prev && pos <= size + 1 && line >= s + prev && line + len <= s + size) ;
    fuzz_assert(line[len] == 0) ;
    if (len) fuzz_assert(line[len - 1] != ' ' && line[len - 1] != '\t') ;
    k = qlocal_classify(line, len, &arg) ;
    switch (k)
    {
      case QLOCAL_SKIP : fuzz_assert(!len || line[0] == '#') ; break ;
      case QLOCAL_PROGRAM : fuzz_assert(line[0] == '|' && arg <= len) ; break ;
      case QLOCAL_FORWARD : fuzz_assert(arg <= len) ; break ;
      case QLOCAL_MBOX : fuzz_assert((line[0] == '/' || line[0] == '.') && line[len - 1] != '/') ; break ;
      case QLOCAL_MAILDIR : fuzz_assert((line[0] == '/' || line[0] == '.') && line[len - 1] == '/') ; break ;
      default : abort() ;
    }
    prev = pos ;
    fuzz_assert(++n <= size + 1) ;
  }
  free(s) ;
}

static void extension (uint8_t const *data, size_t size)
{
  char *ext = fuzz_strdup(data, size) ;
  stralloc safe = STRALLOC_ZERO, names = STRALLOC_ZERO ;
  size_t n = 0, len = strlen(ext) ;
  fuzz_assert(qlocal_safeext(&safe, ext)) ;
  fuzz_assert(safe.len == len && safe.s[safe.len] == 0) ;
  for (size_t i = 0 ; i < safe.len ; i++)
    fuzz_assert(safe.s[i] != '.' && safe.s[i] != '/' && (safe.s[i] < 'A' || safe.s[i] > 'Z')) ;
  fuzz_assert(qlocal_defaultnames(&names, &n, "-", safe.s)) ;
  {
    char const *p = names.s ;
    for (size_t i = 0 ; i < n ; i++)
    {
      size_t l = strlen(p) ;
      fuzz_assert(p + l < names.s + names.len + 1) ;
      fuzz_assert(l >= 13 && !memcmp(p, ".qmail", 6) && !memcmp(p + l - 7, "default", 7)) ;
      p += l + 1 ;
    }
    fuzz_assert(p == names.s + names.len || p == names.s + names.len + 1) ;
  }
  for (unsigned int k = 2 ; k <= 4 ; k++)
  {
    char const *e = qlocal_extn(ext, k) ;
    fuzz_assert(e >= ext && e <= ext + len) ;
    fuzz_assert(qlocal_hostn(ext, k) <= len) ;
  }
  stralloc_free(&safe) ;
  stralloc_free(&names) ;
  free(ext) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  lines(data, size) ;
  extension(data, size) ;
  return 0 ;
}
