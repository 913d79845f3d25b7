/* qmail-pop3d maildirname: the TRANSACTION and UPDATE states of POP3 (RFC 1939, RFC 2449 CAPA,
   RFC 3206 codes) for the Maildir maildirname (relative to the cwd, HOME after checkpassword),
   as the mailbox owner, never root. fds 0 and 1: the client; fd 2: log. Its first line answers
   the PASS or APOP that qmail-popup read. Deletions happen only at QUIT.
   Exit codes: 0 once the client had "+OK" (whatever came after: see the log), and before that,
   with nothing written, 100 run as root or usage, 111 system error: qmail-popup answers then. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include "control.h"
#include "home.h"
#include "maildir.h"
#include "pop3-core.h"
#include "pop3box-core.h"

#define USAGE "qmail-pop3d maildirname"
#define TIMEOUT_DEFAULT 1200
#define FLUSHAT 131072   /* a long RETR is written in pieces of this size */

typedef struct pop3d_s pop3d_t ;
struct pop3d_s
{
  pop3box_t box ;
  size_t last ;          /* highest message number retrieved (LAST) */
  size_t retrieved, deleted ;
  unsigned long timeout ;
  tain deadline ;
  pop3_in_t in ;
  pop3_out_t out ;
} ;

typedef struct command_s command_t ;
struct command_s
{
  char const *verb ;
  void (*f) (pop3d_t *, char *) ;
} ;

static void nomem (void)
{
  strerr_dief(111, "out of memory") ;
}

static void flush (pop3d_t *d)
{
  if (!pop3_flush(&d->out, &d->deadline))
  {
    if (errno == ETIMEDOUT) { strerr_warni("timed out writing to the client; nothing deleted") ; _exit(0) ; }
    strerr_warnwusys("write to the client; nothing deleted") ;
    _exit(0) ;
  }
}

static void put (pop3d_t *d, char const *s)
{
  if (!stralloc_cats(&d->out.sa, s)) nomem() ;
}

static void putnum (pop3d_t *d, uint64_t u)
{
  char fmt[UINT64_FMT] ;
  if (!stralloc_catb(&d->out.sa, fmt, uint64_fmt(fmt, u))) nomem() ;
}

static void sysfail (pop3d_t *d, char const *what)
{
  strerr_warnwusys(what) ;
  put(d, "-ERR [SYS/TEMP] unable to ") ;
  put(d, what) ;
  put(d, "\r\n") ;
}

static uint64_t msgsize (pop3d_t *d, size_t i)
{
  if (!pop3box_size(&d->box, i)) strerr_diefusys(111, "read ", pop3box_path(&d->box, i)) ;
  return pop3box_msg(&d->box, i)->size ;
}

/* The message numbered by arg (1-based), or -1 after an -ERR reply */
static ssize_t msgarg (pop3d_t *d, char const *arg, uint64_t *extra, int wantextra)
{
  uint64_t v[2] ;
  int n = pop3_numbers(arg, v, 2) ;
  if (n != 1 + wantextra) { put(d, "-ERR syntax error\r\n") ; return -1 ; }
  if (!v[0] || v[0] > pop3box_len(&d->box) || pop3box_msg(&d->box, v[0] - 1)->deleted)
  {
    put(d, "-ERR no such message\r\n") ;
    return -1 ;
  }
  if (wantextra) *extra = v[1] ;
  return v[0] - 1 ;
}

static void do_stat (pop3d_t *d, char *arg)
{
  uint64_t n = 0, total = 0 ;
  if (*arg) { put(d, "-ERR syntax error\r\n") ; return ; }
  for (size_t i = 0 ; i < pop3box_len(&d->box) ; i++)
    if (!pop3box_msg(&d->box, i)->deleted) { n++ ; total += msgsize(d, i) ; }
  put(d, "+OK ") ; putnum(d, n) ; put(d, " ") ; putnum(d, total) ; put(d, "\r\n") ;
}

static void listone (pop3d_t *d, size_t i, int uidl)
{
  putnum(d, i + 1) ;
  put(d, " ") ;
  if (!uidl) putnum(d, msgsize(d, i)) ;
  else if (!pop3_uidl(&d->out.sa, strchr(pop3box_path(&d->box, i), '/') + 1)) nomem() ;
  put(d, "\r\n") ;
}

static void list (pop3d_t *d, char *arg, int uidl)
{
  ssize_t i ;
  if (*arg)
  {
    if ((i = msgarg(d, arg, 0, 0)) < 0) return ;
    put(d, "+OK ") ;
    listone(d, i, uidl) ;
    return ;
  }
  put(d, "+OK\r\n") ;
  for (size_t j = 0 ; j < pop3box_len(&d->box) ; j++)
    if (!pop3box_msg(&d->box, j)->deleted) listone(d, j, uidl) ;
  put(d, ".\r\n") ;
}

static void do_list (pop3d_t *d, char *arg) { list(d, arg, 0) ; }
static void do_uidl (pop3d_t *d, char *arg) { list(d, arg, 1) ; }

/* The message, converted for the wire, after the +OK line; flushed in pieces if long.
   0 if it could not be opened (an -ERR was given). */
static int send (pop3d_t *d, size_t i, int limited, uint64_t lines)
{
  pop3_xmit_t x ;
  int fd = pop3box_open(&d->box, i) ;
  if (fd == -1 || !stralloc_ready(&d->box.buf, 65536))
  {
    if (fd >= 0) fd_close(fd) ;
    sysfail(d, "open the message") ;
    return 0 ;
  }
  if (!limited) { put(d, "+OK ") ; putnum(d, msgsize(d, i)) ; put(d, " octets\r\n") ; }
  else put(d, "+OK\r\n") ;
  pop3_xmit_init(&x, limited, lines) ;
  while (!x.done)
  {
    ssize_t r = fd_read(fd, d->box.buf.s, 65536) ;
    if (r < 0) strerr_diefusys(111, "read ", pop3box_path(&d->box, i)) ;  /* mid-reply: only a drop is honest */
    if (!r) break ;
    if (!pop3_xmit(&x, &d->out.sa, d->box.buf.s, r)) nomem() ;
    if (d->out.sa.len >= FLUSHAT) flush(d) ;
  }
  fd_close(fd) ;
  if (!pop3_xmit_end(&x, &d->out.sa)) nomem() ;
  if (i + 1 > d->last) d->last = i + 1 ;
  return 1 ;
}

static void do_retr (pop3d_t *d, char *arg)
{
  ssize_t i = msgarg(d, arg, 0, 0) ;
  if (i >= 0 && send(d, i, 0, 0)) d->retrieved++ ;
}

static void do_top (pop3d_t *d, char *arg)
{
  uint64_t lines ;
  ssize_t i = msgarg(d, arg, &lines, 1) ;
  if (i >= 0) send(d, i, 1, lines) ;
}

static void do_dele (pop3d_t *d, char *arg)
{
  ssize_t i = msgarg(d, arg, 0, 0) ;
  if (i < 0) return ;
  pop3box_msg(&d->box, i)->deleted = 1 ;
  put(d, "+OK\r\n") ;
}

static void do_noop (pop3d_t *d, char *arg)
{
  put(d, *arg ? "-ERR syntax error\r\n" : "+OK\r\n") ;
}

static void do_rset (pop3d_t *d, char *arg)
{
  if (*arg) { put(d, "-ERR syntax error\r\n") ; return ; }
  for (size_t i = 0 ; i < pop3box_len(&d->box) ; i++) pop3box_msg(&d->box, i)->deleted = 0 ;
  d->last = 0 ;
  put(d, "+OK\r\n") ;
}

static void do_last (pop3d_t *d, char *arg)
{
  if (*arg) { put(d, "-ERR syntax error\r\n") ; return ; }
  put(d, "+OK ") ; putnum(d, d->last) ; put(d, "\r\n") ;
}

static void do_capa (pop3d_t *d, char *arg)
{
  (void)arg ;
  put(d, "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
    "PIPELINING\r\nIMPLEMENTATION qmail-pop3d\r\n.\r\n") ;
}

static void do_auth (pop3d_t *d, char *arg)
{
  (void)arg ;
  put(d, "-ERR already authenticated\r\n") ;
}

/* UPDATE: the only place where messages go; cur/ is synced so that they stay gone */
static void do_quit (pop3d_t *d, char *arg)
{
  stralloc gone = STRALLOC_ZERO ;
  char fmt[SIZE_FMT], fmt2[SIZE_FMT] ;
  int ok ;
  (void)arg ;
  ok = pop3box_update(&d->box, &gone, &d->deleted) ;
  if (!ok) strerr_warnwusys("remove some deleted messages") ;
  put(d, ok ? "+OK\r\n" : "-ERR [SYS/TEMP] some deleted messages not removed\r\n") ;
  flush(d) ;
  pop3box_purge(gone.s, gone.len) ;
  fmt[size_fmt(fmt, d->retrieved)] = 0 ;
  fmt2[size_fmt(fmt2, d->deleted)] = 0 ;
  strerr_warni("quit: ", fmt, " retrieved, ", fmt2, " deleted") ;
  _exit(0) ;
}

static command_t const commands[] =
{
  { "STAT", &do_stat }, { "LIST", &do_list }, { "UIDL", &do_uidl }, { "RETR", &do_retr },
  { "TOP", &do_top }, { "DELE", &do_dele }, { "NOOP", &do_noop }, { "RSET", &do_rset },
  { "LAST", &do_last }, { "QUIT", &do_quit }, { "CAPA", &do_capa }, { "USER", &do_auth },
  { "PASS", &do_auth }, { "APOP", &do_auth },
} ;

static void session (pop3d_t *d)
{
  for (;;)
  {
    char *line, *verb, *arg ;
    size_t i = 0 ;
    int r ;
    if (!pop3_lineready(&d->in)) flush(d) ;  /* pipelined commands get their replies together */
    tain_now_g() ;
    tain_addsec_g(&d->deadline, d->timeout) ;
    r = pop3_getline(&d->in, &line, &d->deadline) ;
    if (!r) { strerr_warni("connection dropped; nothing deleted") ; return ; }
    if (r == -2) { put(d, "-ERR line too long\r\n") ; continue ; }
    if (r < 0)
    {
      if (errno == ETIMEDOUT) { put(d, "-ERR autologout\r\n") ; flush(d) ; strerr_warni("timed out; nothing deleted") ; return ; }
      strerr_warnwusys("read a command; nothing deleted") ;
      return ;
    }
    verb = pop3_split(line, &arg) ;
    while (i < sizeof commands / sizeof *commands && strcmp(verb, commands[i].verb)) i++ ;
    if (i < sizeof commands / sizeof *commands) (*commands[i].f)(d, arg) ;
    else put(d, "-ERR unknown command\r\n") ;
  }
}

/* $TIMEOUTPOP3D (qmail-popup passes it on), else control/timeoutpop3d in the home */
static unsigned long timeout (void)
{
  unsigned long t ;
  int r ;
  if (!getenv("TIMEOUTPOP3D"))
  {
    int fd = open2(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
    if (fd == -1) strerr_diefusys(111, "open the current directory") ;
    home_chdir() ;
    r = control_readulong(&t, "timeoutpop3d", TIMEOUT_DEFAULT, CONTROL_ENVOK) ;
    if (fchdir(fd) == -1) strerr_diefusys(111, "return to the home directory") ;
    fd_close(fd) ;
  }
  else r = control_readulong(&t, "timeoutpop3d", TIMEOUT_DEFAULT, CONTROL_ENVOK) ;
  if (r < 0) control_die("timeoutpop3d", r) ;
  if (!t) strerr_dief(111, "timeoutpop3d must not be 0") ;
  return t ;
}

static void openbox (pop3d_t *d, char const *dir)
{
  char const *why = "" ;
  int r = maildir_check(dir, &why) ;
  if (r < 0) strerr_diefusys(111, "open the Maildir ", dir) ;
  if (!r) strerr_dief(111, dir, " is no Maildir: ", why) ;
  if (chdir(dir) == -1) strerr_diefusys(111, "chdir to ", dir) ;
  if (pop3box_cleantmp(time(0)) < 0) strerr_warnwusys("clean ", dir, "/tmp") ;
  if (!pop3box_scan(&d->box)) strerr_diefusys(111, "list ", dir, "/cur and new") ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  pop3d_t d = { .box = POP3BOX_ZERO, .last = 0, .retrieved = 0, .deleted = 0,
    .in = POP3_IN_INIT(0, POP3_LINEMAX), .out = POP3_OUT_INIT(1) } ;
  PROG = "qmail-pop3d" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  argc -= l.ind ; argv += l.ind ;
  if (argc != 1 || !*argv[0]) strerr_dieusage(100, USAGE) ;
  if (!getuid() || !geteuid()) strerr_dief(100, "refusing to run as root") ;
  d.timeout = timeout() ;
  openbox(&d, argv[0]) ;
  if (ndelay_on(0) == -1 || ndelay_on(1) == -1) strerr_diefusys(111, "make fds 0 and 1 non-blocking") ;
  pop3_nodelay(1) ;
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&d.deadline, d.timeout) ;
  put(&d, "+OK ") ;
  putnum(&d, pop3box_len(&d.box)) ;
  put(&d, " messages\r\n") ;
  session(&d) ;
  return 0 ;
}
