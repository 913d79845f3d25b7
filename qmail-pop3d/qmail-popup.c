/* qmail-popup hostname subprogram [args]: the AUTHORIZATION state of POP3 (RFC 1939, RFC 2449
   CAPA, RFC 3206 codes) for one client on fds 0 and 1, under tcpserver. It greets with an APOP
   timestamp, takes USER+PASS or APOP, and runs subprogram (a checkpassword program, which
   execs qmail-pop3d on success) with "user\0password\0timestamp\0" on fd 3; the timestamp is
   empty after PASS. Exit codes: 0 session over, 100 usage, 111 system error or timeout. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <skalibs/allreadwrite.h>
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

static void child (popup_t *p, int fd)
{
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

static void do_user (popup_t *p, char *arg)
{
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
  if (!*arg || !digest) { reply(p, "-ERR APOP needs a name and a digest\r\n") ; return ; }
  *digest++ = 0 ;
  while (*digest == ' ') digest++ ;
  login(p, arg, digest, p->stamp.s) ;
}

static void do_capa (popup_t *p, char *arg)
{
  (void)arg ;
  reply(p, "+OK capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
    "PIPELINING\r\nIMPLEMENTATION qmail-popup\r\n.\r\n") ;
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

static command_t const commands[] =
{
  { "USER", &do_user }, { "PASS", &do_pass }, { "APOP", &do_apop }, { "CAPA", &do_capa },
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

/* control/timeoutpop3d, or $TIMEOUTPOP3D; passed on to qmail-pop3d in the environment */
static unsigned long timeout (void)
{
  unsigned long t ;
  char fmt[ULONG_FMT] ;
  int r = control_readulong(&t, "timeoutpop3d", TIMEOUT_DEFAULT, CONTROL_ENVOK) ;
  if (r < 0) control_die("timeoutpop3d", r) ;
  if (!t || t > 86400 * 7) strerr_dief(111, "timeoutpop3d must be 1 to 604800 seconds") ;
  fmt[ulong_fmt(fmt, t)] = 0 ;
  if (setenv("TIMEOUTPOP3D", fmt, 1) == -1) nomem() ;
  return t ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  popup_t p = { .stamp = STRALLOC_ZERO, .user = STRALLOC_ZERO, .req = STRALLOC_ZERO,
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
  p.timeout = timeout() ;
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
