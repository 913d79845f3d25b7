/* qmail-local-core.c: the parts of local delivery that need no mailbox (see the header). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include "date822.h"
#include "envelope.h"
#include "exitcode.h"
#include "home.h"
#include "qqspawn.h"
#include "qmail-local-core.h"

#define QQ_EXECFAIL 120   /* as qmail's: qmail-queue could not be run; temporary */

qlocal_kind_t qlocal_classify (char const *line, size_t len, size_t *arg)
{
  *arg = 0 ;
  if (!len || line[0] == '#') return QLOCAL_SKIP ;
  switch (line[0])
  {
    case '|': *arg = 1 ; return QLOCAL_PROGRAM ;
    case '&': *arg = 1 ; return QLOCAL_FORWARD ;
    case '/':
    case '.': return line[len - 1] == '/' ? QLOCAL_MAILDIR : QLOCAL_MBOX ;
    default: return QLOCAL_FORWARD ;  /* as qmail: "me@new.job.com" needs no "&" */
  }
}

int qlocal_nextline (char *s, size_t len, size_t *pos, char **line, size_t *linelen)
{
  size_t i = *pos, end ;
  if (i >= len) return 0 ;
  *line = s + i ;
  while (i < len && s[i] != '\n') i++ ;
  end = i ;
  *pos = i + 1 ;
  while (end > (size_t)(*line - s) && (s[end - 1] == ' ' || s[end - 1] == '\t')) end-- ;
  s[end] = 0 ;
  *linelen = end - (size_t)(*line - s) ;
  return 1 ;
}

int qlocal_safeext (stralloc *sa, char const *ext)
{
  size_t start = sa->len ;
  if (!stralloc_cats(sa, ext) || !stralloc_0(sa)) return 0 ;
  sa->len-- ;
  for (size_t i = start ; i < sa->len ; i++)
  {
    char c = sa->s[i] ;
    if (c >= 'A' && c <= 'Z') sa->s[i] = c + 32 ;
    else if (c == '.' || c == '/') sa->s[i] = ':' ;
  }
  return 1 ;
}

int qlocal_defaultnames (stralloc *sa, size_t *n, char const *dash, char const *safeext)
{
  size_t i = strlen(safeext) + 1 ;
  size_t start = sa->len ;
  *n = 0 ;
  while (i--)
  {
    if (i && safeext[i - 1] != '-') continue ;
    if (!stralloc_cats(sa, ".qmail") || !stralloc_cats(sa, dash) || !stralloc_catb(sa, safeext, i)
     || !stralloc_cats(sa, "default") || !stralloc_0(sa))
    {
      sa->len = start ;
      return 0 ;
    }
    (*n)++ ;
  }
  return 1 ;
}

char const *qlocal_extn (char const *ext, unsigned int n)
{
  while (n-- > 1)
  {
    char const *d = strchr(ext, '-') ;
    if (!d) return ext + strlen(ext) ;
    ext = d + 1 ;
  }
  return ext ;
}

size_t qlocal_hostn (char const *host, unsigned int n)
{
  size_t len = strlen(host) ;
  while (n-- > 1)
  {
    size_t i = len ;
    while (i && host[i - 1] != '.') i-- ;
    if (!i) break ;
    len = i - 1 ;
  }
  return len ;
}

/* Append s with each byte in from replaced by to. */
static int catreplace (stralloc *sa, char const *s, char const *from, char to)
{
  size_t start = sa->len ;
  if (!stralloc_cats(sa, s)) return 0 ;
  for (size_t i = start ; i < sa->len ; i++)
    if (strchr(from, sa->s[i])) sa->s[i] = to ;
  return 1 ;
}

int qlocal_dtline (stralloc *sa, char const *local, char const *domain)
{
  size_t start = sa->len ;
  if (stralloc_cats(sa, "Delivered-To: ") && catreplace(sa, local, "\n", '_')
   && stralloc_catb(sa, "@", 1) && catreplace(sa, domain, "\n", '_') && stralloc_catb(sa, "\n", 1))
    return 1 ;
  sa->len = start ;
  return 0 ;
}

int qlocal_rpline (stralloc *sa, char const *sender)
{
  size_t start = sa->len ;
  if (stralloc_cats(sa, "Return-Path: <") && catreplace(sa, sender, "\n", '_') && stralloc_cats(sa, ">\n"))
    return 1 ;
  sa->len = start ;
  return 0 ;
}

int qlocal_ufline (stralloc *sa, char const *sender, time_t t)
{
  char date[DATE822_CTIME_FMT] ;
  size_t start = sa->len ;
  size_t len = date822_fmt_ctime(date, t) ;
  if (!len) return 0 ;
  if (stralloc_cats(sa, "From ") && (*sender ? catreplace(sa, sender, " \t\n", '-') : stralloc_cats(sa, "MAILER-DAEMON"))
   && stralloc_catb(sa, " ", 1) && stralloc_catb(sa, date, len) && stralloc_catb(sa, "\n", 1))
    return 1 ;
  sa->len = start ;
  return 0 ;
}

int qlocal_newsender (stralloc *sa, char const *sender, char const *local, char const *domain, int hasowner, int hasownerdefault)
{
  size_t start = sa->len ;
  int r ;
  if (!*sender || !strcmp(sender, "#@[]") || !hasowner) r = stralloc_cats(sa, sender) ;
  else if (hasownerdefault)
    r = stralloc_cats(sa, local) && stralloc_cats(sa, "-owner-@") && stralloc_cats(sa, domain) && stralloc_cats(sa, "-@[]") ;
  else r = stralloc_cats(sa, local) && stralloc_cats(sa, "-owner@") && stralloc_cats(sa, domain) ;
  if (r && stralloc_0(sa))
  {
    sa->len-- ;
    return 1 ;
  }
  sa->len = start ;
  return 0 ;
}

static int startsnocase (char const *s, size_t len, char const *prefix)
{
  size_t n = strlen(prefix) ;
  if (len < n) return 0 ;
  for (size_t i = 0 ; i < n ; i++)
  {
    char c = s[i] ;
    if (c >= 'A' && c <= 'Z') c += 32 ;
    if (c != prefix[i]) return 0 ;
  }
  return 1 ;
}

/* Append the next line of b to sa, its newline included (the last line may lack it).
   1 if something was read, 0 at end of input, -1 on a read error. */
static int getline_ (buffer *b, stralloc *sa)
{
  size_t start = sa->len ;
  for (;;)
  {
    struct iovec v[2] ;
    if (buffer_isempty(b))
    {
      ssize_t r = buffer_fill(b) ;
      if (r < 0) return -1 ;
      if (!r) return sa->len > start ;
    }
    buffer_rpeek(b, v) ;
    for (unsigned int i = 0 ; i < 2 ; i++)
    {
      char const *s = v[i].iov_base ;
      char const *nl = v[i].iov_len ? memchr(s, '\n', v[i].iov_len) : 0 ;
      size_t n = nl ? (size_t)(nl - s) + 1 : v[i].iov_len ;
      if (!stralloc_catb(sa, s, n)) return -1 ;
      buffer_rseek(b, n) ;
      if (nl) return 1 ;
    }
  }
}

int qlocal_hasdtline (buffer *b, char const *dtline, size_t dtlen)
{
  stralloc line = STRALLOC_ZERO ;
  int found = 0 ;
  for (;;)
  {
    int r ;
    line.len = 0 ;
    r = getline_(b, &line) ;
    if (r < 0) { found = -1 ; break ; }
    if (!r || (line.len == 1 && line.s[0] == '\n')) break ;
    if (line.len == dtlen && startsnocase(line.s, line.len, "delivered-to:") && !memcmp(line.s + 13, dtline + 13, dtlen - 13))
    {
      found = 1 ;
      break ;
    }
    if (line.s[line.len - 1] != '\n') break ;
  }
  stralloc_free(&line) ;
  return found ;
}

/* Raw copy, through b's own storage. */
static int copyraw (buffer *out, buffer *b, unsigned long long *written)
{
  for (;;)
  {
    struct iovec v[2] ;
    size_t n ;
    ssize_t r = buffer_fill(b) ;
    if (r < 0) return QLOCAL_EREAD ;
    buffer_rpeek(b, v) ;
    n = v[0].iov_len + v[1].iov_len ;
    if (!n) return 1 ;
    if (!buffer_putvall(out, v, 2, &(size_t){ 0 })) return QLOCAL_EWRITE ;
    buffer_rseek(b, n) ;
    *written += n ;
  }
}

static int isfromline (char const *s, size_t len)
{
  size_t i = 0 ;
  while (i < len && s[i] == '>') i++ ;
  return len - i >= 5 && !memcmp(s + i, "From ", 5) ;
}

int qlocal_copy (buffer *out, buffer *b, int mbox, unsigned long long *written)
{
  stralloc line = STRALLOC_ZERO ;
  int e = 1 ;
  if (!mbox) return copyraw(out, b, written) ;
  for (;;)
  {
    int r ;
    line.len = 0 ;
    r = getline_(b, &line) ;
    if (r < 0) { e = QLOCAL_EREAD ; break ; }
    if (!r) break ;
    if (line.s[line.len - 1] != '\n' && !stralloc_catb(&line, "\n", 1)) { e = QLOCAL_EREAD ; break ; }
    if (isfromline(line.s, line.len))
    {
      if (buffer_put(out, ">", 1) < 0) { e = QLOCAL_EWRITE ; break ; }
      (*written)++ ;
    }
    if (buffer_put(out, line.s, line.len) < 0) { e = QLOCAL_EWRITE ; break ; }
    *written += line.len ;
  }
  stralloc_free(&line) ;
  return e ;
}

int qlocal_progexit (int code)
{
  switch (code)
  {
    case 0: return 0 ;
    case 99: return 99 ;
    case 64: case 65: case 70: case 76: case 77: case 78: case 100: case 112: return 100 ;
    default: return 111 ;
  }
}

extern char **environ ;

int qlocal_run (char const *const *argv)
{
  int wstat ;
  pid_t pid ;
  buffer_flush(buffer_1) ;
  pid = child_spawn0(argv[0], argv, (char const *const *)environ) ;
  if (!pid) return -1 ;
  if (wait_pid(pid, &wstat) != pid) return -1 ;
  return wstat ;
}

/* Message (prefix, then fd to its end) into wfd. 0 ok, QLOCAL_EREAD, QLOCAL_EWRITE. */
static int qq_message (int wfd, int fd, char const *prefix, size_t prefixlen)
{
  char ibuf[BUFFER_INSIZE] ;
  char obuf[BUFFER_OUTSIZE] ;
  buffer in = BUFFER_INIT(&buffer_read, fd, ibuf, sizeof ibuf) ;
  buffer out = BUFFER_INIT(&buffer_write, wfd, obuf, sizeof obuf) ;
  unsigned long long n = 0 ;
  int r ;
  if (!buffer_putall(&out, prefix, prefixlen, &(size_t){ 0 })) return QLOCAL_EWRITE ;
  r = qlocal_copy(&out, &in, 0, &n) ;
  if (r < 0) return r ;
  return buffer_flush(&out) ? 0 : QLOCAL_EWRITE ;
}

int qlocal_inject (int fd, char const *prefix, size_t prefixlen, char const *sender, char const *const *rcpts, size_t n, pid_t *qp, char const **stage)
{
  stralloc env = STRALLOC_ZERO ;
  int msgfd, envfd, wstat, readerr, r = 0 ;
  pid_t pid ;
  *stage = "spawn qmail-queue" ;
  if (!envelope_build(&env, sender, rcpts, n)) return -1 ;
  buffer_flush(buffer_1) ;
  pid = qq_spawn(&msgfd, &envfd, 0) ;
  if (pid < 0) { stralloc_free(&env) ; return -1 ; }
  *qp = pid ;
  sig_ignore(SIGPIPE) ;  /* qmail-queue has the default action (qq_spawn) */
  r = qq_message(msgfd, fd, prefix, prefixlen) ;
  readerr = errno ;
  close(msgfd) ;
  /* The envelope goes only after the whole message: on a read error qmail-queue sees no
     envelope and queues nothing. A write error means qmail-queue stopped: its code says why. */
  if (!r && allwrite(envfd, env.s, env.len) < env.len) r = QLOCAL_EWRITE ;
  close(envfd) ;
  sig_restore(SIGPIPE) ;
  stralloc_free(&env) ;
  if (wait_pid(pid, &wstat) != pid) { *stage = "wait for qmail-queue" ; return -1 ; }
  if (r == QLOCAL_EREAD)
  {
    *stage = "read message" ;
    errno = readerr ;
    return -1 ;
  }
  return wstat ;
}

int qlocal_qqresult (int wstat, char const **text)
{
  int code ;
  if (WIFSIGNALED(wstat))
  {
    *text = "qmail-queue crashed" ;
    return 111 ;
  }
  code = WEXITSTATUS(wstat) ;
  if (!code) return 0 ;
  *text = exitreply_qq(code)->text ;
  return exitcode_permanent(code) ? 100 : 111 ;
}
