/* remote-tls-core.c: see remote-tls-core.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include "base64.h"
#include "remote-tls-core.h"

static char const *const policies[] = { "none", "may", "encrypt", "verify" } ;

/* The length of an item's key: up to the first colon, or past "]" when it starts with "[". */
static size_t keylen (char const *item, size_t len)
{
  size_t k = 0 ;
  if (len && item[0] == '[') k = byte_chr(item, len, ']') ;
  return k + byte_chr(item + k, len - k, ':') ;
}

/* The item whose key equals key[0..klen) ignoring case, with a colon after it; 0 if none. */
static char const *lookup (char const *items, size_t n, char const *key, size_t klen)
{
  for (size_t i = 0 ; i < n ; i++)
  {
    size_t len = strlen(items), k = keylen(items, len) ;
    if (k < len && k == klen && !strncasecmp(items, key, klen)) return items ;
    items += len + 1 ;
  }
  return 0 ;
}

int tlspolicy_find (char const *items, size_t n, char const *domain)
{
  size_t len = strlen(domain) ;
  char const *hit = lookup(items, n, domain, len) ;
  for (size_t i = 0 ; !hit && i < len ; i++)
    if (domain[i] == '.') hit = lookup(items, n, domain + i, len - i) ;
  if (!hit) hit = lookup(items, n, "", 0) ;
  if (!hit) return TLSPOLICY_MAY ;
  hit += keylen(hit, strlen(hit)) + 1 ;
  for (int p = TLSPOLICY_NONE ; p <= TLSPOLICY_VERIFY ; p++)
    if (!strcasecmp(hit, policies[p])) return p ;
  return (errno = EINVAL, -1) ;
}

char const *tlspolicy_name (int policy)
{
  return policy >= TLSPOLICY_NONE && policy <= TLSPOLICY_VERIFY ? policies[policy] : "unknown" ;
}

int smtpauth_find (char const *items, size_t n, char const *host, char const **user, size_t *userlen, char const **pass)
{
  char const *hit = lookup(items, n, host, strlen(host)) ;
  size_t len, k, u ;
  if (!hit) return 0 ;
  len = strlen(hit) ;
  k = keylen(hit, len) + 1 ;
  u = byte_chr(hit + k, len - k, ':') ;
  if (!u || k + u >= len) return (errno = EINVAL, -1) ;
  *user = hit + k ;
  *userlen = u ;
  *pass = hit + k + u + 1 ;
  return 1 ;
}

int auth_plain (stralloc *sa, char const *user, size_t userlen, char const *pass, size_t passlen)
{
  stralloc raw = STRALLOC_ZERO ;
  size_t was = sa->len ;
  int ok = stralloc_catb(&raw, "", 1) && stralloc_catb(&raw, user, userlen) && stralloc_catb(&raw, "", 1)
        && stralloc_catb(&raw, pass, passlen)
        && stralloc_cats(sa, "AUTH PLAIN ") && base64_encode(sa, raw.s, raw.len, 0) && stralloc_cats(sa, "\r\n") ;
  if (raw.s) memset(raw.s, 0, raw.a) ;   /* the password is not left lying in freed memory */
  stralloc_free(&raw) ;
  if (!ok) sa->len = was ;
  return ok ;
}

int auth_answer (stralloc *sa, char const *s, size_t len)
{
  size_t was = sa->len ;
  if (base64_encode(sa, s, len, 0) && stralloc_cats(sa, "\r\n")) return 1 ;
  sa->len = was ;
  return 0 ;
}

/* In the child: put fd on to; fds are first moved above 9 so that no move clobbers another. */
static void child (char const *const *argv, int sock, int in, int out)
{
  int s = fcntl(sock, F_DUPFD_CLOEXEC, 10), i = fcntl(in, F_DUPFD_CLOEXEC, 10), o = fcntl(out, F_DUPFD_CLOEXEC, 10) ;
  if (s < 0 || i < 0 || o < 0 || dup2(s, 0) < 0 || dup2(s, 1) < 0 || dup2(i, 6) < 0 || dup2(o, 7) < 0) _exit(111) ;
  if (ndelay_off(6) < 0 || ndelay_off(7) < 0) _exit(111) ;
  sig_restore(SIGPIPE) ;
  execv(argv[0], (char *const *)argv) ;
  {
    char const *e = strerror(errno) ;
    if (allwrite(7, "Nunable to run ", 15) == 15 && allwrite(7, argv[0], strlen(argv[0])) && allwrite(7, ": ", 2) == 2
     && allwrite(7, e, strlen(e))) allwrite(7, "\n", 1) ;
  }
  _exit(111) ;
}

pid_t tlshelper_spawn (char const *const *argv, int sock, int *rfd, int *wfd)
{
  int in[2], out[2] ;   /* in: we write, the helper reads on 6; out: it writes on 7, we read */
  pid_t pid ;
  if (pipecoe(in) < 0) return -1 ;
  if (pipecoe(out) < 0) { fd_close(in[0]) ; fd_close(in[1]) ; return -1 ; }
  pid = fork() ;
  if (!pid) child(argv, sock, in[0], out[1]) ;
  fd_close(in[0]) ;
  fd_close(out[1]) ;
  if (pid < 0 || ndelay_on(in[1]) < 0 || ndelay_on(out[0]) < 0)
  {
    int e = errno ;
    fd_close(in[1]) ;
    fd_close(out[0]) ;
    return (errno = e, -1) ;
  }
  *wfd = in[1] ;
  *rfd = out[0] ;
  return pid ;
}
