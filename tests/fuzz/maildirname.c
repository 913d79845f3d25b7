/* maildirname.c: fuzz the Maildir name parser and the flag rewriting. Input: name NUL add NUL
   del. Parts lie inside the name; setflags and mergeflags give a name with the same unique part
   and ":2," then sorted, distinct letters; make, from fields taken from the input, parses back. */
#include <errno.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "maildirname.h"
#include "common/fuzz.h"

static int hasflag (char const *s, size_t len, char c)
{
  return memchr(s, c, len) != 0 ;
}

/* out = name's unique part ":2," letters, sorted, distinct; each letter as want() says */
static void checkflags (stralloc const *out, char const *name, size_t len, char const *add, char const *del, int merge)
{
  char const *colon = memchr(name, ':', len) ;
  size_t uniq = colon ? (size_t)(colon - name) : len ;
  size_t oldn = colon ? len - uniq - 3 : 0 ;
  char const *old = colon ? colon + 3 : "" ;
  fuzz_assert(out->len >= uniq + 3 && !memcmp(out->s, name, uniq) && !memcmp(out->s + uniq, ":2,", 3)) ;
  for (size_t i = uniq + 4 ; i < out->len ; i++) fuzz_assert((unsigned char)out->s[i - 1] < (unsigned char)out->s[i]) ;
  for (int c = 'A' ; c <= 'z' ; c++)
  {
    int want, got ;
    if (c > 'Z' && c < 'a') continue ;
    if (merge) want = (hasflag(old, oldn, c) || (add && strchr(add, c))) && !(del && strchr(del, c)) ;
    else want = !!strchr(add, c) ;
    got = hasflag(out->s + uniq + 3, out->len - uniq - 3, c) ;
    fuzz_assert(want == got) ;
  }
}

static void makeparse (uint8_t const *data, size_t size)
{
  maildirname_t m = MAILDIRNAME_ZERO ;
  maildirname_parts_t p ;
  stralloc sa = STRALLOC_ZERO ;
  char *host ;
  if (size < 24) return ;
  memcpy(&m.sec, data, 8) ;
  memcpy(&m.usec, data + 8, 4) ;
  memcpy(&m.size, data + 12, 8) ;
  m.hassize = data[20] & 1 ;
  m.hasdevino = data[20] & 2 ;
  m.pid = data[21] | data[22] << 8 ;
  m.dev = data[23] ;
  m.ino = data[20] ;
  host = fuzz_strdup(data + 24, size - 24) ;
  m.host = host ;
  if (!*host) { free(host) ; return ; }   /* an empty host means gethostname() */
  fuzz_assert(maildirname_make(&sa, &m)) ;
  fuzz_assert(maildirname_parse(&p, sa.s, sa.len)) ;
  fuzz_assert(p.sec == m.sec && p.hassize == m.hassize && (!m.hassize || p.size == m.size)) ;
  fuzz_assert(!p.hasinfo && p.uniqlen == sa.len) ;
  for (size_t i = 0 ; i < p.hostlen ; i++)
    fuzz_assert(p.host[i] != '/' && p.host[i] != ':' && p.host[i] != ',') ;
  stralloc_free(&sa) ;
  free(host) ;
}

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size)
{
  char *all = fuzz_strdup(data, size) ;
  char const *name = all, *add = 0, *del = 0 ;
  size_t len = strlen(all) ;
  maildirname_parts_t p ;
  stralloc sa = STRALLOC_ZERO ;
  if (len < size) add = all + len + 1 ;
  if (add && add + strlen(add) < all + size) del = add + strlen(add) + 1 ;

  if (maildirname_parse(&p, name, len))
  {
    fuzz_assert(p.host > name && p.host + p.hostlen <= name + p.uniqlen && p.hostlen) ;
    fuzz_assert(p.uniqlen <= len) ;
    if (p.hasinfo) fuzz_assert(p.flags == name + p.uniqlen + 3 && p.flags + p.flagslen == name + len) ;
    else fuzz_assert(p.uniqlen == len) ;
  }
  else fuzz_assert(errno == EINVAL) ;

  if (maildirname_setflags(&sa, name, len, add ? add : ""))
    checkflags(&sa, name, len, add ? add : "", 0, 0) ;
  else fuzz_assert(sa.len == 0) ;
  sa.len = 0 ;
  if (maildirname_mergeflags(&sa, name, len, add, del))
  {
    checkflags(&sa, name, len, add, del, 1) ;
    /* the result is a name the rewriting takes again, unchanged */
    {
      stralloc again = STRALLOC_ZERO ;
      fuzz_assert(maildirname_mergeflags(&again, sa.s, sa.len, 0, 0)) ;
      fuzz_assert(fuzz_same(again.s, again.len, sa.s, sa.len)) ;
      stralloc_free(&again) ;
    }
  }
  else fuzz_assert(sa.len == 0) ;
  stralloc_free(&sa) ;
  makeparse(data, size) ;
  free(all) ;
  return 0 ;
}
