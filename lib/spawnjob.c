/* spawnjob.c: see spawnjob.h. */

#include <string.h>
#include <skalibs/bytestr.h>
#include <skalibs/types.h>
#include "spawnjob.h"

long spawnjob_next (char const *s, size_t len, char const **f, unsigned int *slot, unsigned int slotmax)
{
  size_t p = 0 ;
  for (unsigned int i = 0 ; i < SPAWNJOB_FIELDS ; i++)
  {
    size_t n = byte_chr(s + p, len - p, 0) ;
    if (p + n >= len) return 0 ;
    f[i] = s + p ;
    p += n + 1 ;
  }
  if (!*f[0] || uint_scan(f[0], slot) != strlen(f[0]) || *slot >= slotmax) return -1 ;
  return (long)p ;
}
