/* qmail-popup hostname subprogram [args]: the AUTHORIZATION state of POP3 (RFC 1939, RFC 2449
   CAPA, RFC 3206 codes) for one client on fds 0 and 1, under tcpserver. It greets with an APOP
   timestamp, takes USER+PASS or APOP, and runs subprogram (a checkpassword program, which
   execs qmail-pop3d on success) with "user\0password\0timestamp\0" on fd 3; the timestamp is
   empty after PASS. Under qmail-tls -s it offers STLS (RFC 2595): after the handshake it talks
   on SSLREADFD/SSLWRITEFD and hands them to subprogram as fds 0 and 1, with SSL_PROTOCOL and
   SSL_CIPHER set, as qmail-tls -s -i does. control/pop3authnotls 0: no login without TLS.
   Exit codes: 0 session over, 100 usage, 111 system error or timeout. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/exec.h>
#include <skalibs/iopause.h>
#include <skalibs/sgetopt.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include "checkpw-core.h"
#include "control.h"
#include "exitcode.h"
#include "home.h"
#include "pop3-core.h"

#define USAGE "qmail-popup hostname subprogram [ args... ]"
#define TIMEOUT_DEFAULT 1200
#define FAILDELAY 1   /* seconds before a failed login is answered */

typedef struct popup_s popup_t ;
struct popup_s
{
  char const *const *argv ;  /* subprogram and its args */
  stralloc stamp, user, req ;
  int haveuser ;
  int tlsctl, tlsread, tlswrite ;  /* qmail-tls's descriptors; -1: STLS is not offered */
  int tls ;                        /* TLS is on: after STLS, or implicit */
  int authnotls ;                  /* USER, PASS and APOP allowed without TLS */
  stralloc tlsinfo ;               /* version " " cipher */
  unsigned long timeout ;
  tain deadline ;
  pop3_in_t in ;
  pop3_out_t out ;
} ;

typedef struct command_s command_t ;
struct command_s
{
  char const *verb ;
  void (*f) (popup_t *, char *) ;
} ;

static void nomem (void)
{
  strerr_dief(111, "out of memory") ;
}

static void reply (popup_t *p, char const *s)
{
  if (!stralloc_cats(&p->out.sa, s)) nomem() ;
  if (!pop3_flush(&p->out, &p->deadline))
    strerr_diefusys(111, errno == ETIMEDOUT ? "write to the client: timed out" : "write to the client") ;
}

static char const *remoteip (void)
{
  char const *ip = getenv("TCPREMOTEIP") ;
  return ip ? ip : "unknown" ;
}

/* After STLS the client is on qmail-tls's pipes: they become fds 0 and 1 (replacing the
   socket), so that checkpassword and qmail-pop3d need not know about TLS. They move first:
   the request pipe may land on a number one of them holds. */
static void tlshandover (popup_t *p)
{
  size_t sp = byte_chr(p->tlsinfo.s, p->tlsinfo.len, ' ') ;
  if (unsetenv("SSLCTLFD") == -1 || unsetenv("SSLREADFD") == -1 || unsetenv("SSLWRITEFD") == -1) nomem() ;
  if (!p->tls || p->tlsread < 0) return ;  /* plaintext, or implicit TLS: fds 0 and 1 are right */
  if (fd_move(0, p->tlsread) == -1 || fd_move(1, p->tlswrite) == -1) strerr_diefusys(111, "move the TLS fds to 0 and 1") ;
  p->tlsinfo.s[sp] = 0 ;
  if (setenv("SSL_PROTOCOL", p->tlsinfo.s, 1) == -1
   || setenv("SSL_CIPHER", sp < p->tlsinfo.len ? p->tlsinfo.s + sp + 1 : "unknown", 1) == -1) nomem() ;
}

static void child (popup_t *p, int fd)
{
  tlshandover(p) ;
  if (fd_move(3, fd) == -1 || uncoe(3) == -1) strerr_diefusys(111, "move the request pipe to fd 3") ;
  ndelay_off(0) ;
  ndelay_off(1) ;
  xexec(p->argv) ;
}

/* Run the checkpassword program; its status once it (or what it exec'd) is done */
static int checkpassword (popup_t *p)
{
  int fds[2], wstat ;
  pid_t pid ;
  if (pipecoe(fds) == -1) strerr_diefusys(111, "create a pipe") ;
  pid = fork() ;
  if (pid == -1) strerr_diefusys(111, "fork") ;
  if (!pid) { fd_close(fds[1]) ; child(p, fds[0]) ; }
  fd_close(fds[0]) ;
  /* at most CHECKPW_MAX bytes: the pipe holds them without blocking */
  if (allwrite(fds[1], p->req.s, p->req.len) < p->req.len && errno != EPIPE)
    strerr_warnwusys("write the request to the checkpassword program") ;
  fd_close(fds[1]) ;
  pop3_wipe(p->req.s, p->req.len) ;
  if (wait_pid(pid, &wstat) != pid) strerr_diefusys(111, "wait for the checkpassword program") ;
  return wstat ;
}

static void login (popup_t *p, char const *user, char const *pass, char const *stamp)
{
  int wstat ;
  tain until ;
  p->req.len = 0 ;
  if (!stralloc_catb(&p->req, user, strlen(user) + 1) || !stralloc_catb(&p->req, pass, strlen(pass) + 1)
   || !stralloc_catb(&p->req, stamp, strlen(stamp) + 1)) nomem() ;
  p->haveuser = 0 ;
  if (p->req.len > CHECKPW_MAX) { pop3_wipe(p->req.s, p->req.len) ; reply(p, "-ERR [AUTH] user name or password too long\r\n") ; return ; }
  wstat = checkpassword(p) ;
  if (WIFEXITED(wstat) && !WEXITSTATUS(wstat)) _exit(0) ;  /* a whole session went by */
  if (WIFEXITED(wstat) && WEXITSTATUS(wstat) == 1)
  {
    strerr_warni("authorization failed for ", user, " from ", remoteip()) ;
    tain_addsec_g(&until, FAILDELAY) ;
    deepsleepuntil_g(&until) ;
    tain_now_g() ;
    tain_addsec_g(&p->deadline, p->timeout) ;
    reply(p, "-ERR [AUTH] authorization failed\r\n") ;
    return ;
  }
  {
    exitreply_t const *r = exitreply_program(WIFEXITED(wstat) ? WEXITSTATUS(wstat) == 2 ? QX_BUG : WEXITSTATUS(wstat) : QX_TEMP) ;
    stralloc sa = STRALLOC_ZERO ;
    char fmt[INT_FMT] ;
    fmt[int_fmt(fmt, WIFEXITED(wstat) ? WEXITSTATUS(wstat) : -WTERMSIG(wstat))] = 0 ;
    strerr_warnw("login of ", user, " from ", remoteip(), " failed: ", p->argv[0], " exited ", fmt) ;
    if (!exitreply_pop3(&sa, r) || !stralloc_0(&sa)) nomem() ;
    reply(p, sa.s) ;
    stralloc_free(&sa) ;
  }
}

/* 1 if a login may go on now; else the client got the refusal (RFC 2595: no password in the
   clear when the administrator says so) */
static int loginallowed (popup_t *p)
{
  if (p->tls || p->authnotls) return 1 ;
  strerr_warni("plaintext login refused from ", remoteip()) ;
  reply(p, p->tlsctl >= 0 ? "-ERR [AUTH] plaintext login refused: use STLS first\r\n"
    : "-ERR [AUTH] plaintext login refused: connect with TLS\r\n") ;
  return 0 ;
}

static void do_user (popup_t *p, char *arg)
{
  if (!loginallowed(p)) return ;
  if (!*arg) { reply(p, "-ERR USER needs a name\r\n") ; return ; }
  if (!stralloc_copys(&p->user, arg) || !stralloc_0(&p->user)) nomem() ;
  p->haveuser = 1 ;
  reply(p, "+OK\r\n") ;
}

static void do_pass (popup_t *p, char *arg)
{
  if (!p->haveuser) { reply(p, "-ERR USER first\r\n") ; return ; }
  login(p, p->user.s, arg, "") ;
}

static void do_apop (popup_t *p, char *arg)
{
  char *digest = strchr(arg, ' ') ;
  if (!loginallowed(p)) return ;
  if (!*arg || !digest) { reply(p, "-ERR APOP needs a name and a digest\r\n") ; return ; }
  *digest++ = 0 ;
  while (*digest == ' ') digest++ ;
  login(p, arg, digest, p->stamp.s) ;
}

static void do_capa (popup_t *p, char *arg)
{
  (void)arg ;
  if (!stralloc_cats(&p->out.sa, "+OK capability list follows\r\nTOP\r\nUIDL\r\n")
   || ((p->tls || p->authnotls) && !stralloc_cats(&p->out.sa, "USER\r\n"))
   || (p->tlsctl >= 0 && !p->tls && !stralloc_cats(&p->out.sa, "STLS\r\n"))) nomem() ;
  reply(p, "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION qmail-popup\r\n.\r\n") ;
}

static void do_quit (popup_t *p, char *arg)
{
  (void)arg ;
  reply(p, "+OK\r\n") ;
  _exit(0) ;
}

static void do_later (popup_t *p, char *arg)
{
  (void)arg ;
  reply(p, "-ERR authorization first\r\n") ;
}

/* Drop what the client sent after STLS, before our answer: plaintext must never be taken as
   having come over TLS (CVE-2011-0411). Done before "+OK", when the client may not have sent
   its ClientHello yet; a client that keeps sending only breaks its own handshake. */
static void drain (int fd)
{
  char buf[4096] ;
  for (int i = 0 ; i < 16 ; i++)
    if (fd_read(fd, buf, sizeof buf) <= 0) break ;
}

/* qmail-tls's answer on its control fd: one line, "Y" version " " cipher or "N" reason */
static void tlsanswer (popup_t *p, char *buf, size_t max)
{
  size_t n = 0 ;
  while (n < max - 1)
  {
    iopause_fd x = { .fd = p->tlsctl, .events = IOPAUSE_READ } ;
    int k = iopause_g(&x, 1, &p->deadline) ;
    if (k <= 0) { strcpy(buf, k ? "Niopause failed" : "Ntimed out") ; return ; }
    if (fd_read(p->tlsctl, buf + n, 1) != 1 || buf[n] == '\n') break ;
    n++ ;
  }
  buf[n] = 0 ;
  if (!n) strcpy(buf, "Nqmail-tls went away") ;
}

static void do_stls (popup_t *p, char *arg)
{
  char buf[300] ;
  if (p->tls) { reply(p, "-ERR TLS is already active\r\n") ; return ; }
  if (p->tlsctl < 0) { reply(p, "-ERR STLS not available\r\n") ; return ; }
  if (p->haveuser) { reply(p, "-ERR STLS must come before USER\r\n") ; return ; }
  if (*arg) { reply(p, "-ERR STLS takes no argument\r\n") ; return ; }
  drain(p->in.fd) ;
  reply(p, "+OK begin TLS\r\n") ;
  if (fd_write(p->tlsctl, "Y", 1) != 1) strerr_diefusys(111, "ask qmail-tls for TLS") ;
  tlsanswer(p, buf, sizeof buf) ;
  if (buf[0] != 'Y') { strerr_warnw("TLS failed from ", remoteip(), ": ", buf + 1) ; _exit(0) ; }
  /* from now on fds 0 and 1 are left alone; the (empty) input buffer starts afresh */
  p->in.fd = p->tlsread ;
  p->in.start = p->in.len = 0 ;
  p->in.toolong = 0 ;
  p->out.fd = p->tlswrite ;
  if (ndelay_on(p->tlsread) == -1 || ndelay_on(p->tlswrite) == -1) strerr_diefusys(111, "make the TLS fds non-blocking") ;
  if (!stralloc_copys(&p->tlsinfo, buf + 1) || !stralloc_0(&p->tlsinfo)) nomem() ;
  p->tlsinfo.len-- ;
  p->tls = 1 ;
  strerr_warni("TLS started from ", remoteip(), ": ", p->tlsinfo.s) ;
}

static command_t const commands[] =
{
  { "USER", &do_user }, { "PASS", &do_pass }, { "APOP", &do_apop }, { "CAPA", &do_capa },
  { "STLS", &do_stls },
  { "QUIT", &do_quit }, { "STAT", &do_later }, { "LIST", &do_later }, { "RETR", &do_later },
  { "DELE", &do_later }, { "NOOP", &do_later }, { "RSET", &do_later }, { "LAST", &do_later },
  { "TOP", &do_later }, { "UIDL", &do_later },
} ;

static void session (popup_t *p)
{
  for (;;)
  {
    char *line, *verb, *arg ;
    size_t i = 0 ;
    int r ;
    tain_now_g() ;
    tain_addsec_g(&p->deadline, p->timeout) ;
    r = pop3_getline(&p->in, &line, &p->deadline) ;
    if (!r) return ;
    if (r == -2) { reply(p, "-ERR line too long\r\n") ; continue ; }
    if (r < 0) strerr_diefusys(111, errno == ETIMEDOUT ? "read a command: timed out" : "read a command") ;
    verb = pop3_split(line, &arg) ;
    while (i < sizeof commands / sizeof *commands && strcmp(verb, commands[i].verb)) i++ ;
    if (i < sizeof commands / sizeof *commands) (*commands[i].f)(p, arg) ;
    else reply(p, "-ERR unknown command\r\n") ;
    pop3_wipe(line, strlen(line)) ;  /* the password, if this was PASS or APOP */
    pop3_wipe(arg, strlen(arg)) ;
  }
}

static int envfd (char const *name)
{
  char const *x = getenv(name) ;
  unsigned int fd ;
  return x && uint0_scan(x, &fd) && fd > 2 ? (int)fd : -1 ;
}

/* qmail-tls -s's descriptors (STLS offered), or the variables of qmail-tls -s -i */
static void tlsenv (popup_t *p)
{
  char const *proto = getenv("SSL_PROTOCOL"), *cipher = getenv("SSL_CIPHER") ;
  p->tlsctl = envfd("SSLCTLFD") ;
  p->tlsread = envfd("SSLREADFD") ;
  p->tlswrite = envfd("SSLWRITEFD") ;
  if (p->tlsctl < 0 || p->tlsread < 0 || p->tlswrite < 0 || (proto && *proto))
    p->tlsctl = p->tlsread = p->tlswrite = -1 ;
  /* not for checkpassword: tlshandover gives it the ones it needs */
  else if (coe(p->tlsctl) == -1 || coe(p->tlsread) == -1 || coe(p->tlswrite) == -1) strerr_diefusys(111, "set close-on-exec") ;
  if (!proto || !*proto) return ;
  p->tls = 1 ;
  if (!stralloc_copys(&p->tlsinfo, proto) || !stralloc_cats(&p->tlsinfo, " ")
   || !stralloc_cats(&p->tlsinfo, cipher ? cipher : "unknown") || !stralloc_0(&p->tlsinfo)) nomem() ;
  p->tlsinfo.len-- ;
  strerr_warni("TLS from ", remoteip(), ": ", p->tlsinfo.s) ;
}

/* control/timeoutpop3d, or $TIMEOUTPOP3D, passed on to qmail-pop3d in the environment;
   control/pop3authnotls, or $POP3AUTHNOTLS */
static void readconf (popup_t *p)
{
  unsigned long t ;
  char fmt[ULONG_FMT] ;
  int r = control_readulong(&t, "timeoutpop3d", TIMEOUT_DEFAULT, CONTROL_ENVOK) ;
  if (r < 0) control_die("timeoutpop3d", r) ;
  if (!t || t > 86400 * 7) strerr_dief(111, "timeoutpop3d must be 1 to 604800 seconds") ;
  fmt[ulong_fmt(fmt, t)] = 0 ;
  if (setenv("TIMEOUTPOP3D", fmt, 1) == -1) nomem() ;
  p->timeout = t ;
  r = control_readulong(&t, "pop3authnotls", 1, CONTROL_ENVOK) ;
  if (r < 0) control_die("pop3authnotls", r) ;
  p->authnotls = !!t ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  popup_t p = { .stamp = STRALLOC_ZERO, .user = STRALLOC_ZERO, .req = STRALLOC_ZERO, .tlsinfo = STRALLOC_ZERO,
    .in = POP3_IN_INIT(0, 1), .out = POP3_OUT_INIT(1) } ;
  PROG = "qmail-popup" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  argc -= l.ind ; argv += l.ind ;
  if (argc < 2 || !*argv[0] || strpbrk(argv[0], " <>\r\n")) strerr_dieusage(100, USAGE) ;
  p.argv = argv + 1 ;
  if (sig_ignore(SIGPIPE) == -1) strerr_diefusys(111, "ignore SIGPIPE") ;
  home_chdir() ;
  readconf(&p) ;
  tlsenv(&p) ;
  if (ndelay_on(0) == -1 || ndelay_on(1) == -1) strerr_diefusys(111, "make fds 0 and 1 non-blocking") ;
  pop3_nodelay(1) ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&p.deadline, p.timeout) ;
  if (!pop3_timestamp(&p.stamp, getpid(), (uint64_t)time(0), argv[0]) || !stralloc_0(&p.stamp)) nomem() ;
  if (!stralloc_copys(&p.out.sa, "+OK ") || !stralloc_cats(&p.out.sa, p.stamp.s)) nomem() ;
  reply(&p, "\r\n") ;
  session(&p) ;
  return 0 ;
}
