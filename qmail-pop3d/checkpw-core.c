/* checkpw-core.c: request and password-file parsing for qmail-checkpw and qmail-newpop3. */
#include <string.h>
#include <skalibs/types.h>
#include "md5.h"
#include "pop3-core.h"
#include "checkpw-core.h"

int checkpw_request (checkpw_req_t *r, char const *buf, size_t len)
{
  char const *f[3] ;
  size_t i = 0 ;
  for (unsigned int n = 0 ; n < 3 ; n++)
  {
    char const *nul = memchr(buf + i, 0, len - i) ;
    if (!nul) return 0 ;
    f[n] = buf + i ;
    i = nul + 1 - buf ;
  }
  r->user = f[0] ; r->pass = f[1] ; r->stamp = f[2] ;
  return 1 ;
}

static int checkpw_id (char const *s, size_t len, unsigned int *v)
{
  return len && len < 10 && uint_scan(s, v) == len ;
}

int checkpw_line (checkpw_entry_t *e, char *line, char const **why)
{
  char *f[4] ;
  char *s = line ;
  unsigned int uid, gid ;
  for (unsigned int n = 0 ; n < 4 ; n++)
  {
    char *c = strchr(s, ':') ;
    if (!c) { *why = "fewer than 5 fields" ; return 0 ; }
    *c = 0 ;
    f[n] = s ;
    s = c + 1 ;
  }
  if (!*f[0]) { *why = "empty user name" ; return 0 ; }
  if (!*f[1]) { *why = "empty secret" ; return 0 ; }
  if (!checkpw_id(f[2], strlen(f[2]), &uid)) { *why = "malformed uid" ; return 0 ; }
  if (!checkpw_id(f[3], strlen(f[3]), &gid)) { *why = "malformed gid" ; return 0 ; }
  if (!uid) { *why = "uid 0 is refused" ; return 0 ; }
  if (*s != '/') { *why = "home is not an absolute path" ; return 0 ; }
  e->user = f[0] ; e->secret = f[1] ; e->uid = uid ; e->gid = gid ; e->home = s ;
  return 1 ;
}

int checkpw_pack (stralloc *sa, checkpw_entry_t const *e)
{
  char fmt[UINT_FMT] ;
  sa->len = 0 ;
  if (!stralloc_cats(sa, e->secret) || !stralloc_0(sa)) return 0 ;
  if (!stralloc_catb(sa, fmt, uint_fmt(fmt, e->uid)) || !stralloc_0(sa)) return 0 ;
  if (!stralloc_catb(sa, fmt, uint_fmt(fmt, e->gid)) || !stralloc_0(sa)) return 0 ;
  return stralloc_cats(sa, e->home) && stralloc_0(sa) ;
}

int checkpw_unpack (checkpw_entry_t *e, char const *s, size_t len)
{
  char const *f[4] ;
  unsigned int uid, gid ;
  size_t i = 0 ;
  for (unsigned int n = 0 ; n < 4 ; n++)
  {
    char const *nul = memchr(s + i, 0, len - i) ;
    if (!nul) return 0 ;
    f[n] = s + i ;
    i = nul + 1 - s ;
  }
  if (!checkpw_id(f[1], strlen(f[1]), &uid) || !checkpw_id(f[2], strlen(f[2]), &gid)) return 0 ;
  e->secret = f[0] ; e->uid = uid ; e->gid = gid ; e->home = f[3] ;
  return 1 ;
}

int checkpw_equal (char const *a, char const *b)
{
  size_t la = strlen(a), lb = strlen(b) ;
  unsigned char d = la != lb ;
  for (size_t i = 0 ; i < la ; i++) d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)] ;
  return !d ;
}

int checkpw_plain (char const *secret, char const *pass)
{
  size_t p = sizeof CHECKPW_PLAIN - 1 ;
  return !strncmp(secret, CHECKPW_PLAIN, p) && checkpw_equal(secret + p, pass) ;
}

int checkpw_apop (char const *secret, char const *stamp, char const *digest)
{
  stralloc sa = STRALLOC_ZERO ;
  char hex[2 * MD5_DIGEST + 1], low[2 * MD5_DIGEST + 1] ;
  size_t p = sizeof CHECKPW_PLAIN - 1, i = 0 ;
  int r ;
  if (strncmp(secret, CHECKPW_PLAIN, p) || !*stamp || strlen(digest) != 2 * MD5_DIGEST) return 0 ;
  for (; i < 2 * MD5_DIGEST ; i++) low[i] = digest[i] >= 'A' && digest[i] <= 'F' ? digest[i] + 32 : digest[i] ;
  low[i] = 0 ;
  if (!stralloc_cats(&sa, stamp) || !stralloc_cats(&sa, secret + p)) { stralloc_free(&sa) ; return 0 ; }
  md5_hex(hex, sa.s, sa.len) ;
  pop3_wipe(sa.s, sa.len) ;
  stralloc_free(&sa) ;
  r = checkpw_equal(hex, low) ;
  pop3_wipe(hex, sizeof hex) ;
  return r ;
}
