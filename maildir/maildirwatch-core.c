/* maildirwatch-core.c: find, unfold and clean one header field for maildirwatch's summary. */
#include <string.h>
#include <strings.h>
#include <skalibs/stralloc.h>
#include "maildirwatch-core.h"

/* 1 and *start past the colon if the head has the field, else 0 */
static int field_find (char const *h, size_t len, char const *name, size_t *start)
{
  size_t n = strlen(name), i = 0 ;
  while (i < len && h[i] != '\n' && !(h[i] == '\r' && i + 1 < len && h[i + 1] == '\n'))
  {
    if (len - i > n && h[i + n] == ':' && !strncasecmp(h + i, name, n))
    {
      *start = i + n + 1 ;
      return 1 ;
    }
    while (i < len && h[i] != '\n') i++ ;
    i++ ;
  }
  return 0 ;
}

int maildirwatch_field (stralloc *out, char const *h, size_t len, char const *name, size_t width)
{
  size_t i, cols = strlen(name) + 2, oldlen = out->len ;
  if (!field_find(h, len, name, &i)) return 0 ;
  if (!stralloc_cats(out, name) || !stralloc_catb(out, ": ", 2)) return -1 ;
  while (i < len && (h[i] == ' ' || h[i] == '\t')) i++ ;
  for (; i < len ; i++)
  {
    char c = h[i] ;
    if (c == '\n')
    {
      if (i + 1 < len && (h[i + 1] == ' ' || h[i + 1] == '\t')) continue ;  /* folded */
      break ;
    }
    if (c == '\r') continue ;
    if (c == '\t') c = ' ' ;
    else if ((unsigned char)c < 0x20 || c == 0x7f) c = '?' ;
    if (((unsigned char)c & 0xc0) != 0x80 && cols++ >= width) break ;  /* UTF-8: a new character */
    if (!stralloc_catb(out, &c, 1)) { out->len = oldlen ; return -1 ; }
  }
  if (!stralloc_catb(out, "\n", 1)) { out->len = oldlen ; return -1 ; }
  return 1 ;
}
