/* qmail-qmqpd: the QMQP server, run by tcpserver for trusted clients only (no relay checks:
   restrict it with tcprules). fd 0/1: the connection. Reads one packet (qmqp.h), hands the
   message and envelope to qmail-queue ($QMAILQUEUE), answers one netstring: "Kok" + the
   queue's words, "Z" or "D" + why. Limits: control/databytes (0: 100 MB) on the message,
   control/timeoutsmtpd (1200 s) on each read. fd 2: one log line per packet.
   Exits 0 once it answered, 100 when the client broke the protocol, 111 on I/O errors. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "control.h"
#include "envelope.h"
#include "exitcode.h"
#include "home.h"
#include "qmqp.h"
#include "timedio.h"

#define USAGE "qmail-qmqpd"
#define MSGMAX (100UL << 20)
#define ENVROOM (1UL << 20)   /* room for the envelope's netstrings beyond the message */

typedef struct server_s server_t ;
struct server_s
{
  unsigned int timeout ;
  size_t max ;
  char const *remote ;
} ;

/* Answer, log, exit. */
static void answer (server_t const *s, int code, char letter, char const *text) gccattr_noreturn ;
static void answer (server_t const *s, int code, char letter, char const *text)
{
  stralloc a = STRALLOC_ZERO, in = STRALLOC_ZERO ;
  if (stralloc_catb(&in, &letter, 1) && stralloc_cats(&in, text) && qmqp_netstring(&a, in.s, in.len))
    timedio_write(1, a.s, a.len, s->timeout) ;
  strerr_warni(letter == 'K' ? "accepted from " : "refused from ", s->remote, ": ", text) ;
  if (code)
  {
    /* unread input would make the close a reset, which may destroy the answer in flight:
       read a little more of what the client sent before closing */
    char buf[4096] ;
    for (unsigned int i = 0 ; i < 256 && timedio_read(0, buf, sizeof buf, 2) > 0 ; i++) ;
  }
  _exit(code) ;
}

/* The whole packet into sa: header, then exactly its length and the comma. */
static void readpacket (server_t const *s, stralloc *sa, size_t *start, size_t *n)
{
  char buf[QMQP_LENDIGITS + 1] ;
  size_t len = 0, hdr ;
  int h = 0 ;
  while (!h)
  {
    ssize_t r = timedio_read(0, buf + len, 1, s->timeout) ;   /* byte by byte: stop at ':' */
    if (r <= 0) { strerr_warnwu("read from ", s->remote) ; _exit(QX_TEMP) ; }
    len++ ;
    h = qmqp_header(buf, len, n, &hdr) ;
    if (h < 0 || (!h && len == sizeof buf)) answer(s, QX_PERM, 'D', "Bad netstring. (#5.5.2)") ;
  }
  if (*n > s->max + ENVROOM) answer(s, QX_PERM, 'D', "Message too big. (#5.3.4)") ;
  if (!stralloc_ready(sa, *n + 1)) answer(s, QX_TEMP, 'Z', "Out of memory. (#4.3.0)") ;
  sa->len = 0 ;
  while (sa->len < *n + 1)
  {
    ssize_t r = timedio_read(0, sa->s + sa->len, *n + 1 - sa->len, s->timeout) ;
    if (r <= 0) { strerr_warnwu("read from ", s->remote) ; _exit(QX_TEMP) ; }
    sa->len += r ;
  }
  if (sa->s[*n] != ',') answer(s, QX_PERM, 'D', "Bad netstring. (#5.5.2)") ;
  *start = 0 ;
}

/* qmail-queue (or $QMAILQUEUE) with the message on its fd 0 and the envelope on its fd 1. */
static int enqueue (qmqp_t const *q)
{
  stralloc env = STRALLOC_ZERO, path = STRALLOC_ZERO ;
  char const *qq = home_env_trusted() ? getenv("QMAILQUEUE") : 0 ;
  int p0[2], p1[2], wstat ;
  pid_t pid ;
  if (!qmqp_envelope(&env, q)) return QQ_NOMEM ;
  if (!qq || !*qq)
  {
    if (!stralloc_cats(&path, home_dir()) || !stralloc_cats(&path, "/bin/qmail-queue") || !stralloc_0(&path)) return QQ_NOMEM ;
    qq = path.s ;
  }
  if (pipe(p0) < 0 || pipe(p1) < 0) return QQ_NOMEM ;
  pid = fork() ;
  if (pid < 0) return QQ_NOMEM ;
  if (!pid)
  {
    char const *argv[2] = { qq, 0 } ;
    close(p0[1]) ; close(p1[1]) ;
    if (fd_move(0, p0[0]) < 0 || fd_move(1, p1[0]) < 0) _exit(QQ_BUG) ;
    execv(qq, (char *const *)argv) ;
    _exit(QQ_BUG) ;
  }
  close(p0[0]) ; close(p1[0]) ;
  allwrite(p0[1], q->msg, q->msglen) ;   /* qmail-queue reads all of the message first */
  close(p0[1]) ;
  allwrite(p1[1], env.s, env.len) ;
  close(p1[1]) ;
  stralloc_free(&env) ;
  stralloc_free(&path) ;
  if (waitpid_nointr(pid, &wstat, 0) != pid) return QQ_BUG ;
  return WIFEXITED(wstat) ? WEXITSTATUS(wstat) : QQ_BUG ;
}

int main (int argc, char const *const *argv)
{
  server_t s = { .timeout = 1200, .max = MSGMAX, .remote = getenv("TCPREMOTEIP") } ;
  stralloc packet = STRALLOC_ZERO ;
  qmqp_t q ;
  unsigned long u ;
  size_t start, n ;
  int code ;
  PROG = "qmail-qmqpd" ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(QX_PERM, USAGE) ;
  if (!s.remote) s.remote = "unknown" ;
  sig_ignore(SIGPIPE) ;
  if (ndelay_on(0) < 0 || ndelay_on(1) < 0) strerr_diefusys(QX_TEMP, "set non-blocking mode") ;
  if (chdir(home_dir()) < 0) answer(&s, QX_TEMP, 'Z', "Unable to switch to the home directory. (#4.3.0)") ;
  if (control_readulong(&u, "timeoutsmtpd", 1200, CONTROL_ENVOK) < 0 || !u) answer(&s, QX_TEMP, 'Z', "Unable to read control/timeoutsmtpd. (#4.3.0)") ;
  s.timeout = u > 86400 ? 86400 : u ;
  if (control_readulong(&u, "databytes", 0, CONTROL_ENVOK) < 0) answer(&s, QX_TEMP, 'Z', "Unable to read control/databytes. (#4.3.0)") ;
  if (u && u < MSGMAX) s.max = u ;
  readpacket(&s, &packet, &start, &n) ;
  if (!qmqp_unpack(&q, packet.s + start, n, ENVELOPE_ADDRMAX)) answer(&s, QX_PERM, 'D', "Bad QMQP packet. (#5.5.2)") ;
  if (q.msglen > s.max) answer(&s, QX_PERM, 'D', "Message too big. (#5.3.4)") ;
  code = enqueue(&q) ;
  {
    exitreply_t const *r = exitreply_qq(code) ;
    char text[200] = "" ;
    strncat(text, r->text, 120) ;
    strcat(text, code ? " (#" : "") ;
    if (code) { strncat(text, r->enhanced, 10) ; strcat(text, ")") ; }
    answer(&s, 0, !code ? 'K' : exitcode_permanent(code) ? 'D' : 'Z', text) ;
  }
}
