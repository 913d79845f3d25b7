/* qmail-qmqpc: a qmail-queue replacement that hands each message to a QMQP server (a hub
   running qmail-qmqpd) instead of the local queue. Same interface as qmail-queue: the message
   on fd 0, the envelope on fd 1 ("F" sender NUL, "T" recipient NUL..., NUL). The servers are
   the lines of control/qmqpservers ("IP", "IP:port", "[IPv6]:port"; port 628 by default),
   tried in order until one answers. Exit codes are qmail-queue's: 0 accepted; 31 refused for
   good (D); 71 refused for now (Z); 72/73 no server reachable; 74 a server failed mid-way;
   51 memory, 54 read error, 55 control files, 91 bad envelope. */

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/buffer.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/ip46.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include "control.h"
#include "envelope.h"
#include "exitcode.h"
#include "home.h"
#include "qmqp.h"
#include "remote-core.h"
#include "timedio.h"

#define USAGE "qmail-qmqpc"
#define ENVMAX (16UL << 20)
#define ANSWERMAX 1000

/* The message (fd 0), then the envelope (fd 1), as qmail-queue reads them. */
static void readall (stralloc *msg, stralloc *envsa, envelope_t *env)
{
  char buf[ENVELOPE_ADDRMAX + 16] ;
  buffer b = BUFFER_INIT(&fd_readv, 1, buf, sizeof buf) ;
  int r ;
  for (;;)
  {
    ssize_t n ;
    if (!stralloc_readyplus(msg, 65536)) strerr_diefusys(QQ_NOMEM, "allocate memory") ;
    n = fd_read(0, msg->s + msg->len, 65536) ;
    if (n < 0) strerr_diefusys(QQ_READ, "read the message") ;
    if (!n) break ;
    msg->len += n ;
  }
  r = envelope_read(&b, envsa, ENVMAX, ENVELOPE_ADDRMAX, env) ;
  if (r == ENVELOPE_ENOMEM) strerr_diefusys(QQ_NOMEM, "read the envelope") ;
  if (r == ENVELOPE_EREAD) strerr_diefusys(QQ_READ, "read the envelope") ;
  if (r != ENVELOPE_OK) strerr_dief(QQ_ENVELOPE, "bad envelope: ", envelope_strerror(r)) ;
}

/* The server's answer netstring: its first byte K, Z or D, or 0 if none came. */
static char answer (int fd, unsigned int timeout, stralloc *text)
{
  char buf[ANSWERMAX + 16] ;
  size_t len = 0, n, hdr ;
  for (;;)
  {
    ssize_t r ;
    int h = qmqp_header(buf, len, &n, &hdr) ;
    if (h < 0 || (h > 0 && (n < 1 || n > ANSWERMAX))) return 0 ;
    if (h > 0 && len >= hdr + n + 1)
    {
      if (buf[hdr + n] != ',' || byte_chr("KZD", 3, buf[hdr]) == 3) return 0 ;
      text->len = 0 ;
      if (!stralloc_catb(text, buf + hdr + 1, n - 1) || !stralloc_0(text)) strerr_diefusys(QQ_NOMEM, "allocate memory") ;
      return buf[hdr] ;
    }
    if (len == sizeof buf) return 0 ;
    r = timedio_read(fd, buf + len, sizeof buf - len, timeout) ;
    if (r <= 0) return 0 ;
    len += r ;
  }
}

/* One server: 0 if it could not be reached, else its answer's letter (T: failed mid-way). */
static char try (relay_t const *srv, stralloc const *packet, unsigned int tconn, unsigned int tdata, stralloc *text)
{
  tain deadline ;
  char a ;
  int fd = socket_tcp46_nbcoe(srv->ip.is6) ;
  if (fd < 0) strerr_diefusys(QQ_NETWORK, "create a socket") ;
  tain_now_g() ;
  tain_addsec_g(&deadline, tconn) ;
  if (!socket_deadlineconnstamp46_g(fd, &srv->ip, srv->port, &deadline)) { fd_close(fd) ; return 0 ; }
  a = timedio_write(fd, packet->s, packet->len, tdata) ? answer(fd, tdata, text) : 0 ;
  fd_close(fd) ;
  return a ? a : 'T' ;
}

static unsigned int seconds (char const *name, unsigned long def)
{
  unsigned long u ;
  int r = control_readulong(&u, name, def, CONTROL_ENVOK) ;
  if (r < 0 || !u) { if (r >= 0) errno = EINVAL ; strerr_diefusys(QQ_CONFIG, "read control/", name) ; }
  return u > 86400 ? 86400 : u ;
}

int main (int argc, char const *const *argv)
{
  stralloc msg = STRALLOC_ZERO, envsa = STRALLOC_ZERO, packet = STRALLOC_ZERO, servers = STRALLOC_ZERO, text = STRALLOC_ZERO ;
  envelope_t env = ENVELOPE_ZERO ;
  relay_t srv = RELAY_ZERO ;
  char const *s ;
  size_t n ;
  unsigned int tconn, tdata ;
  int code = QQ_CONNREJECT ;
  PROG = "qmail-qmqpc" ;
  (void)argv ;
  if (argc > 1) strerr_dieusage(QX_PERM, USAGE) ;
  sig_ignore(SIGPIPE) ;
  if (chdir(home_dir()) < 0) strerr_diefusys(QQ_HOME, "chdir to ", home_dir()) ;
  if (control_readlist(&servers, &n, "qmqpservers") < 0) strerr_diefusys(QQ_CONFIG, "read control/qmqpservers") ;
  if (!n) strerr_dief(QQ_CONFIG, "no server in control/qmqpservers") ;
  tconn = seconds("timeoutconnect", 60) ;
  tdata = seconds("timeoutremote", 1200) ;
  readall(&msg, &envsa, &env) ;
  if (!qmqp_pack(&packet, msg.s ? msg.s : "", msg.len, &env)) strerr_diefusys(QQ_NOMEM, "allocate memory") ;
  stralloc_free(&msg) ;
  for (s = servers.s ; n-- ; s += strlen(s) + 1)
  {
    char a ;
    if (!relay_parse(&srv, s, strlen(s), QMQP_PORT) || !srv.isip) strerr_dief(QQ_CONFIG, "bad server in control/qmqpservers: ", s) ;
    a = try(&srv, &packet, tconn, tdata, &text) ;
    if (a == 'K') return 0 ;
    if (a == 'D') strerr_dief(QQ_PERMREFUSED, "refused for good by ", s, ": ", text.s) ;
    if (a == 'Z') strerr_warnw(s, " refused for now: ", text.s) ;
    code = a == 'Z' ? QQ_TEMPREFUSED : a == 'T' ? QQ_COMMFAIL : code ;
  }
  strerr_dief(code, code == QQ_CONNREJECT ? "unable to connect to a QMQP server" : "no QMQP server took the message") ;
}
