/* rewrite.c: recipient classification for qmail-todo and qmail-send (lib/rewrite.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <skalibs/bytestr.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "control.h"
#include "rewrite.h"

#define PERCENT_MAX 100   /* user%a%b%c...: a bound, so no address makes us loop long */

/* qsort_r is not POSIX: the table's base is passed through this file-local pointer while
   sorting, which happens only in rewrite_load. */
static char const *sortbase ;

static int cmp_key (void const *a, void const *b)
{
  char const *x = sortbase + *(size_t const *)a, *y = sortbase + *(size_t const *)b ;
  size_t xl = str_chr(x, ':'), yl = str_chr(y, ':') ;
  int c = strncmp(x, y, xl < yl ? xl : yl) ;
  return c ? c : (xl > yl) - (xl < yl) ;
}

/* Add the items of list (NUL-separated, n of them) to data, lowercasing up to the first ':'
   (for virtualdomains the prefix keeps its case), and their offsets to g, sorted. */
static int table_add (rewrite_t *r, genalloc *g, stralloc const *list, size_t n)
{
  char const *s = list->s ;
  for (size_t i = 0 ; i < n ; i++)
  {
    size_t len = strlen(s), off = r->data.len, key = str_chr(s, ':') ;
    if (!stralloc_catb(&r->data, s, len + 1) || !genalloc_append(size_t, g, &off)) return 0 ;
    case_lowerb(r->data.s + off, key) ;
    s += len + 1 ;
  }
  sortbase = r->data.s ;
  if (genalloc_len(size_t, g)) qsort(genalloc_s(size_t, g), genalloc_len(size_t, g), sizeof(size_t), &cmp_key) ;
  return 1 ;
}

int rewrite_load (rewrite_t *r, char const **failed)
{
  static char const *const lists[3] = { "locals", "percenthack", "virtualdomains" } ;
  genalloc *tables[3] = { &r->locals, &r->percent, &r->virt } ;
  stralloc sa = STRALLOC_ZERO ;
  int e ;
  rewrite_free(r) ;
  for (int i = 0 ; i < 3 ; i++)
  {
    size_t n ;
    *failed = lists[i] ;
    e = control_readlist(&sa, &n, lists[i]) ;
    if (e < 0) goto err ;
    if (!table_add(r, tables[i], &sa, n)) { e = CONTROL_ERR_FILE ; goto err ; }
  }
  *failed = "envnoathost" ;
  e = control_readline(&sa, "envnoathost", "envnoathost", CONTROL_ME) ;
  if (e < 0) goto err ;
  r->envnoathost = r->data.len ;
  if (!stralloc_catb(&r->data, sa.s, sa.len + 1)) { e = CONTROL_ERR_FILE ; goto err ; }
  stralloc_free(&sa) ;
  return 1 ;
 err:
  stralloc_free(&sa) ;
  return e ;
}

void rewrite_free (rewrite_t *r)
{
  stralloc_free(&r->data) ;
  genalloc_free(size_t, &r->locals) ;
  genalloc_free(size_t, &r->percent) ;
  genalloc_free(size_t, &r->virt) ;
  r->envnoathost = 0 ;
}

/* The entry of g whose key is exactly key[0..len) (compared lowercase), or 0. */
static char const *table_find (rewrite_t const *r, genalloc const *g, char const *key, size_t len)
{
  size_t lo = 0, hi = genalloc_len(size_t, g) ;
  size_t const *v = genalloc_s(size_t, g) ;
  while (lo < hi)
  {
    size_t mid = lo + (hi - lo) / 2 ;
    char const *e = r->data.s + v[mid] ;
    size_t el = str_chr(e, ':') ;
    int c = strncasecmp(key, e, len < el ? len : el) ;
    if (!c) c = (len > el) - (len < el) ;
    if (!c) return e ;
    if (c < 0) hi = mid ; else lo = mid + 1 ;
  }
  return 0 ;
}

/* virtualdomains: the address itself, the domain, each ".parent" wildcard, then "". */
static char const *virt_find (rewrite_t const *r, char const *addr, size_t len, size_t at)
{
  char const *e = table_find(r, &r->virt, addr, len) ;
  size_t i ;
  if (e) return e ;
  for (i = at + 1 ; i < len ; i++)
    if (i == at + 1 || addr[i] == '.')
    {
      e = table_find(r, &r->virt, addr + i, len - i) ;
      if (e) return e ;
    }
  return table_find(r, &r->virt, "", 0) ;
}

char rewrite_recipient (rewrite_t const *r, char const *addr, stralloc *out)
{
  size_t at, len ;
  char const *v ;
  out->len = 0 ;
  if (!stralloc_cats(out, addr)) return 0 ;
  at = byte_rchr(out->s, out->len, '@') ;
  if (at == out->len)
  {
    if (!stralloc_catb(out, "@", 1) || !stralloc_cats(out, r->data.s + r->envnoathost)) return 0 ;
  }
  for (int i = 0 ; i < PERCENT_MAX ; i++)
  {
    size_t pct ;
    at = byte_rchr(out->s, out->len, '@') ;
    if (!table_find(r, &r->percent, out->s + at + 1, out->len - at - 1)) break ;
    pct = byte_rchr(out->s, at, '%') ;
    if (pct == at) break ;
    out->s[pct] = '@' ;
    out->len = at ;
  }
  at = byte_rchr(out->s, out->len, '@') ;
  len = out->len ;
  if (!stralloc_0(out)) return 0 ;
  out->len-- ;
  if (table_find(r, &r->locals, out->s + at + 1, len - at - 1)) return REWRITE_LOCAL ;
  v = virt_find(r, out->s, len, at) ;
  if (!v) return REWRITE_REMOTE ;
  v += str_chr(v, ':') + 1 ;
  if (!*v) return REWRITE_REMOTE ;  /* an empty prefix is an exception: deliver remotely */
  if (!stralloc_insertb(out, 0, "-", 1) || !stralloc_insertb(out, 0, v, strlen(v)) || !stralloc_0(out)) return 0 ;
  out->len-- ;
  return REWRITE_LOCAL ;
}
