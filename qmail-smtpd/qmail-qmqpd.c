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
#include "qqspawn.h"
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

/* qmail-queue (or $QMAILQUEUE) with the message on its fd 0 and the envelope on its fd 1:
   its exit code, QQ_BUG if it could not run or died. */
static int enqueue (qmqp_t const *q)
{
  stralloc env = STRALLOC_ZERO ;
  int msgfd, envfd, code, sig ;
  pid_t pid ;
  if (!qmqp_envelope(&env, q)) return QQ_NOMEM ;
  pid = qq_spawn(&msgfd, &envfd, 0) ;
  if (pid < 0) { stralloc_free(&env) ; return QQ_BUG ; }
  allwrite(msgfd, q->msg, q->msglen) ;   /* qmail-queue reads all of the message first */
  close(msgfd) ;
  allwrite(envfd, env.s, env.len) ;
  close(envfd) ;
  stralloc_free(&env) ;
  code = qq_wait(pid, &sig) ;
  return code < 0 ? QQ_BUG : code ;
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
