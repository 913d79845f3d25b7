/* smtpd-core.c: see smtpd-core.h. The decoder is the SMTP smuggling defence: only CRLF "."
   CRLF ends a DATA message; a bare LF or CR never starts a line, so "\n.\n", "\r.\r",
   "\r\n.\n", "\n.\r\n" and the like are data, and the message carrying them is refused. */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <skalibs/bytestr.h>
#include <skalibs/types.h>
#include "address.h"
#include "assign.h"
#include "date822.h"
#include "../qmail-local/qmail-local-core.h"
#include "smtpd-core.h"

enum { S_SOL, S_DOT, S_DOTCR, S_MID, S_CR } ;

void smtpd_data_init (smtpd_data_t *d, unsigned int mode, uint64_t max)
{
  memset(d, 0, sizeof *d) ;
  d->mode = mode ;
  d->max = max ;
  d->state = S_SOL ;
  d->inheader = 1 ;
}

/* Follow the header: count the hop fields, notice the empty line that ends it. */
static void header (smtpd_data_t *d, char c)
{
  if (c == '\n')
  {
    if (!d->fieldlen) d->inheader = 0 ;
    d->fieldlen = 0 ;
    return ;
  }
  if (d->fieldlen >= 13) return ;
  d->field[d->fieldlen++] = c >= 'A' && c <= 'Z' ? c + 32 : c ;
  if ((d->fieldlen == 9 && !memcmp(d->field, "received:", 9))
   || (d->fieldlen == 13 && !memcmp(d->field, "delivered-to:", 13)))
  {
    d->hops++ ;
    d->fieldlen = 13 ;
  }
}

static void emit (smtpd_data_t *d, stralloc *out, char c)
{
  if (d->inheader) header(d, c) ;
  d->bytes++ ;
  if (!smtpd_data_toobig(d)) out->s[out->len++] = c ;
}

/* Copy a run of ordinary bytes (no CR, no LF) in one go: the body's common case. */
static size_t run (smtpd_data_t *d, char const *s, size_t len, stralloc *out)
{
  size_t n = 0 ;
  while (n < len && s[n] != '\r' && s[n] != '\n') n++ ;
  if (d->inheader)
    for (size_t i = 0 ; i < n ; i++) emit(d, out, s[i]) ;
  else
  {
    uint64_t room = !d->max ? n : d->bytes >= d->max ? 0 : d->max - d->bytes ;
    if (room > n) room = n ;
    memcpy(out->s + out->len, s, room) ;
    out->len += room ;
    d->bytes += n ;
  }
  return n ;
}

size_t smtpd_data_feed (smtpd_data_t *d, char const *s, size_t len, stralloc *out)
{
  size_t i = 0 ;
  if (!stralloc_readyplus(out, len + 4)) return 0 ;
  while (i < len && !d->done)
  {
    char c = s[i] ;
    switch (d->state)
    {
      case S_SOL :
        if (c == '.' && d->mode == SMTPD_DATA_DOT) { d->state = S_DOT ; i++ ; break ; }
        /* fall through */
      case S_MID :
        if (c == '\r') d->state = S_CR, i++ ;
        else if (c == '\n') d->bare = 1, emit(d, out, c), d->state = S_MID, i++ ;
        else i += run(d, s + i, len - i, out), d->state = S_MID ;
        break ;
      case S_DOT :   /* a line that starts with a dot: the dot goes, unless it is the end */
        if (c == '\r') { d->state = S_DOTCR ; i++ ; break ; }
        d->state = S_MID ;
        if (c == '\n') d->bare = 1, emit(d, out, c), i++ ;
        break ;
      case S_DOTCR :
        if (c == '\n') { d->done = 1 ; i++ ; break ; }
        d->bare = 1 ;
        emit(d, out, '\r') ;
        d->state = S_MID ;
        break ;
      case S_CR :
        if (c == '\n') { emit(d, out, c) ; d->state = S_SOL ; i++ ; break ; }
        d->bare = 1 ;
        emit(d, out, '\r') ;
        if (c == '\r') i++ ;
        else d->state = S_MID ;
        break ;
    }
  }
  return i ;
}

void smtpd_data_end (smtpd_data_t *d)
{
  if (d->state == S_CR) d->bare = 1 ;
  d->done = 1 ;
}

static int keyis (char const *s, size_t len, char const *key)
{
  size_t n = strlen(key) ;
  return len == n && !strncasecmp(s, key, n) ;
}

int smtpd_params (smtpd_params_t *p, char const *s, size_t len, int mail, char const **bad)
{
  size_t i = 0 ;
  while (i < len)
  {
    size_t start, eq, end ;
    while (i < len && s[i] == ' ') i++ ;
    if (i == len) break ;
    start = i ;
    while (i < len && s[i] != ' ') i++ ;
    end = i ;
    eq = start + byte_chr(s + start, end - start, '=') ;
    *bad = s + start ;
    if (eq == start) return SMTPD_PARAM_SYNTAX ;
    if (mail && keyis(s + start, eq - start, "SIZE"))
    {
      uint64_t u = 0 ;
      if (eq + 1 >= end || end - eq - 1 > 19) return SMTPD_PARAM_SYNTAX ;   /* 19 digits fit */
      for (size_t k = eq + 1 ; k < end ; k++)   /* not uint64_scan: it would read past len */
      {
        if (s[k] < '0' || s[k] > '9') return SMTPD_PARAM_SYNTAX ;
        u = u * 10 + (s[k] - '0') ;
      }
      p->size = u ;
    }
    else if (mail && keyis(s + start, eq - start, "BODY"))
    {
      if (eq < end && keyis(s + eq + 1, end - eq - 1, "8BITMIME")) p->eightbit = 1 ;
      else if (eq < end && keyis(s + eq + 1, end - eq - 1, "7BIT")) p->eightbit = 0 ;
      else return SMTPD_PARAM_SYNTAX ;
    }
    else if (mail && keyis(s + start, eq - start, "AUTH"))
    {
      if (eq + 1 >= end) return SMTPD_PARAM_SYNTAX ;   /* RFC 4954 section 5: accepted, not trusted */
    }
    else if (mail && keyis(s + start, eq - start, "SMTPUTF8"))
    {
      if (eq < end) return SMTPD_PARAM_SYNTAX ;
      p->utf8 = 1 ;
    }
    else return SMTPD_PARAM_UNKNOWN ;
  }
  return SMTPD_PARAM_OK ;
}

static int inlist (char const *list, size_t n, char const *s)
{
  for (size_t i = 0 ; i < n ; i++, list += strlen(list) + 1)
    if (!strcasecmp(list, s)) return 1 ;
  return 0 ;
}

int smtpd_rcpthosts (char const *list, size_t n, cdb const *more, char const *addr)
{
  char dom[ADDRESS_DOMAINMAX + 1] ;
  size_t at = strlen(addr), len ;
  while (at && addr[at - 1] != '@') at-- ;
  if (!at) return 1 ;
  len = strlen(addr + at) ;
  if (len > ADDRESS_DOMAINMAX) return 0 ;
  for (size_t i = 0 ; i <= len ; i++)
  {
    char c = addr[at + i] ;
    dom[i] = c >= 'A' && c <= 'Z' ? c + 32 : c ;
  }
  for (size_t i = 0 ; i < len ; i++)
  {
    if (i && dom[i] != '.') continue ;
    if (inlist(list, n, dom + i)) return 1 ;
    if (more)
    {
      cdb_data data ;
      int r = cdb_find(more, &data, dom + i, len - i) ;
      if (r) return r ;
    }
  }
  return 0 ;
}

int smtpd_badmailfrom (char const *list, size_t n, char const *addr)
{
  size_t at = str_rchr(addr, '@') ;
  for (size_t i = 0 ; i < n ; i++, list += strlen(list) + 1)
  {
    if (list[0] == '@' ? addr[at] && !strcasecmp(list, addr + at) : !strcasecmp(list, addr)) return 1 ;
  }
  return 0 ;
}

/* stat(2) as an existence test: 1 exists or cannot tell, 0 does not exist */
static int present (char const *path)
{
  struct stat st ;
  if (!stat(path, &st)) return 1 ;
  return errno != ENOENT && errno != ENOTDIR ;
}

int smtpd_rcptexists (char const *local)
{
  assign_t a = ASSIGN_ZERO ;
  stralloc ext = STRALLOC_ZERO, names = STRALLOC_ZERO, path = STRALLOC_ZERO ;
  size_t n, off = 0 ;
  int r ;
  if (!strcasecmp(local, "postmaster")) return 1 ;   /* RFC 5321 section 4.5.1 */
  r = assign_lookup(&a, local) ;
  if (r <= 0) return r ;
  r = 1 ;
  if (!*assign_ext(&a)) goto end ;   /* .qmail, or the default delivery */
  /* qmail-local tries .qmail-EXT, then the -default names from the longest prefix down */
  if (!qlocal_safeext(&ext, assign_ext(&a)) || !stralloc_cats(&names, ".qmail")
   || !stralloc_cats(&names, assign_dash(&a)) || !stralloc_cat(&names, &ext) || !stralloc_0(&names)
   || !qlocal_defaultnames(&names, &n, assign_dash(&a), ext.s)) goto nomem ;
  r = 0 ;
  for (size_t i = 0 ; i <= n && !r ; i++, off += strlen(names.s + off) + 1)
  {
    path.len = 0 ;
    if (!stralloc_cats(&path, assign_home(&a)) || !stralloc_catb(&path, "/", 1)
     || !stralloc_cats(&path, names.s + off) || !stralloc_0(&path)) goto nomem ;
    r = present(path.s) ;
  }
 end:
  stralloc_free(&path) ;
  stralloc_free(&names) ;
  stralloc_free(&ext) ;
  assign_free(&a) ;
  return r ;
 nomem:
  r = -1 ;
  goto end ;
}

int smtpd_safe (stralloc *sa, char const *s, size_t len, int strict)
{
  size_t start = sa->len ;
  if (!stralloc_catb(sa, s, len)) return 0 ;
  for (size_t i = start ; i < sa->len ; i++)
  {
    unsigned char c = sa->s[i] ;
    if (c < 0x20 || c > 0x7e || (strict && (c == ' ' || c == '(' || c == ')' || c == '\\'))) sa->s[i] = '?' ;
  }
  return 1 ;
}

int smtpd_received (stralloc *sa, smtpd_rcvd_t const *r, int64_t t)
{
  char date[DATE822_FMT] ;
  size_t start = sa->len, dlen = date822_fmt(date, (time_t)t) ;
  if (!stralloc_cats(sa, "Received: from ")) goto fail ;
  if (r->helo && *r->helo) { if (!smtpd_safe(sa, r->helo, strlen(r->helo), 1)) goto fail ; }
  else if (!stralloc_cats(sa, "unknown")) goto fail ;
  if (!stralloc_cats(sa, " (")) goto fail ;
  if (r->info && *r->info && (!smtpd_safe(sa, r->info, strlen(r->info), 1) || !stralloc_catb(sa, "@", 1))) goto fail ;
  if (r->host && *r->host && !smtpd_safe(sa, r->host, strlen(r->host), 1)) goto fail ;
  if (r->ip && *r->ip)
  {
    if (sa->s[sa->len - 1] != '(' && sa->s[sa->len - 1] != '@' && !stralloc_catb(sa, " ", 1)) goto fail ;
    if (!stralloc_cats(sa, r->ip6 ? "[IPv6:" : "[") || !smtpd_safe(sa, r->ip, strlen(r->ip), 1)
     || !stralloc_catb(sa, "]", 1)) goto fail ;
  }
  if (sa->s[sa->len - 1] == '(' && !stralloc_cats(sa, "unknown")) goto fail ;
  if (!stralloc_cats(sa, ")\n\tby ") || !smtpd_safe(sa, r->me, strlen(r->me), 1)
   || !stralloc_cats(sa, " (qmail-smtpd) with ") || !stralloc_cats(sa, r->proto)) goto fail ;
  if ((r->tls && *r->tls) || (r->auth && *r->auth))
  {
    int both = r->tls && *r->tls && r->auth && *r->auth ;
    if (!stralloc_cats(sa, " (")) goto fail ;
    if (r->tls && *r->tls && !smtpd_safe(sa, r->tls, strlen(r->tls), 0)) goto fail ;
    if (both && !stralloc_cats(sa, "; ")) goto fail ;
    if (r->auth && *r->auth && (!stralloc_cats(sa, "authenticated as ") || !smtpd_safe(sa, r->auth, strlen(r->auth), 1))) goto fail ;
    if (!stralloc_catb(sa, ")", 1)) goto fail ;
  }
  if (!stralloc_cats(sa, "; ") || !stralloc_catb(sa, date, dlen) || !stralloc_catb(sa, "\n", 1)) goto fail ;
  return 1 ;
 fail:
  sa->len = start ;
  return 0 ;
}

char const *smtpd_protocol (int esmtp, int utf8, int tls, int auth)
{
  static char const *const names[2][4] =
  {
    { "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" },
    { "UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA" }
  } ;
  if (!esmtp) return "SMTP" ;
  return names[!!utf8][!!tls + 2 * !!auth] ;
}

int smtpd_authplain (char *s, size_t len, char const **user, char const **pass)
{
  size_t a = byte_chr(s, len, 0), b ;
  if (a == len) return 0 ;
  b = a + 1 + byte_chr(s + a + 1, len - a - 1, 0) ;
  if (b == len || b == a + 1 || byte_chr(s + b + 1, len - b - 1, 0) != len - b - 1) return 0 ;
  if (a && (a != b - a - 1 || memcmp(s, s + a + 1, a))) return 0 ;
  *user = s + a + 1 ;
  *pass = s + b + 1 ;
  return 1 ;
}
