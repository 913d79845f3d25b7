/* qmail-todo: preprocesses new messages apart from delivery (doc/QUEUE.md). For each file in
   queue/todo/ it classifies every new recipient local or remote (lib/rewrite), has qmail-clean
   record the letters and move the file to mess/, logs "new msg", and announces "ID\n" to
   qmail-send. fd 0: commands from qmail-send ("H" reread control files; end of file: exit 0);
   fd 1: log; fd 3: to qmail-send; fd 4/5: requests to / answers from qmail-clean. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/buffer.h>
#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/sig.h>
#include <skalibs/skamisc.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include "control.h"
#include "exitcode.h"
#include "home.h"
#include "queue.h"
#include "rewrite.h"
#include "cleanclient.h"

#define USAGE "qmail-todo"
#define RESCAN 60            /* seconds: scan todo/ even without a trigger */
#define FD_SEND 3
#define FD_CLEANW 4
#define FD_CLEANR 5

typedef struct todo_s todo_t ;
struct todo_s
{
  rewrite_t rw ;
  unsigned int split ;
  cleanclient_t clean ;
  stralloc hdr, addr, req ;
} ;

static void logline (char const *const *v, unsigned int n)
{
  stralloc sa = STRALLOC_ZERO ;
  for (unsigned int i = 0 ; i < n ; i++) if (!stralloc_cats(&sa, v[i])) strerr_diefusys(QX_TEMP, "log") ;
  if (!stralloc_catb(&sa, "\n", 1)) strerr_diefusys(QX_TEMP, "log") ;
  /* one write per line: lines from qmail-send and qmail-todo share the logger's pipe */
  if (allwrite(1, sa.s, sa.len) < sa.len) strerr_diefusys(QX_TEMP, "write log") ;
  stralloc_free(&sa) ;
}
#define log_(...) logline((char const *const[]){ __VA_ARGS__ }, sizeof((char const *const[]){ __VA_ARGS__ }) / sizeof(char const *))

/* At start trouble is fatal; on a reread (H) it is logged and the old tables stay. */
static void load (todo_t *t, int initial)
{
  rewrite_t rw = REWRITE_ZERO ;
  char const *failed ;
  int r ;
  if (chdir("..") < 0) strerr_diefusys(QX_TEMP, "chdir to home") ;
  r = rewrite_load(&rw, &failed) ;
  if (chdir("queue") < 0) strerr_diefusys(QX_TEMP, "chdir to queue") ;
  if (r < 0)
  {
    if (initial) control_die(failed, r) ;
    control_warn(failed, r) ;
    rewrite_free(&rw) ;
    return ;
  }
  rewrite_free(&t->rw) ;
  t->rw = rw ;
}

/* Classify the new recipients of one message, then have it moved to mess/. */
static void process (todo_t *t, uint64_t id, char const *path)
{
  char fmtid[UINT64_FMT], n1[UINT64_FMT], n2[UINT64_FMT], n3[UINT64_FMT], n4[UINT64_FMT] ;
  queuehdr_t h ;
  queuercpt_t r ;
  struct stat st ;
  size_t pos ;
  int local = 0, remote = 0 ;
  int fd = open_read(path) ;
  fmtid[uint64_fmt(fmtid, id)] = 0 ;
  if (fd < 0 || fstat(fd, &st) < 0 || !queuehdr_read(fd, &t->hdr, &h))
  {
    strerr_warnwusys("read ", path) ;
    fd_close(fd) ;
    return ;
  }
  fd_close(fd) ;
  for (pos = h.rcptstart ; queuehdr_nextrcpt(&h, t->hdr.s, &pos, &r) ; )
  {
    char c = r.state ;
    if (c == QUEUE_NEW)
    {
      c = rewrite_recipient(&t->rw, r.addr, &t->addr) ;
      if (!c) strerr_diefusys(QX_TEMP, "classify recipient") ;
      if (!cleanclient_write(&t->clean, 't', id, r.off, &c, 1)) return ;
    }
    local |= c == QUEUE_LOCAL ;
    remote |= c == QUEUE_REMOTE ;
  }
  if (local && !h.nextlocal && !cleanclient_writetime(&t->clean, 't', id, h.nextlocaloff, time(0))) return ;
  if (remote && !h.nextremote && !cleanclient_writetime(&t->clean, 't', id, h.nextremoteoff, time(0))) return ;
  if (!cleanclient_move(&t->clean, id)) return ;
  n1[uint64_fmt(n1, st.st_size - h.bodyoff)] = 0 ;
  n2[uint64_fmt(n2, h.pid)] = 0 ;
  n3[uint64_fmt(n3, h.uid)] = 0 ;
  n4[uint64_fmt(n4, h.rcptn)] = 0 ;
  log_("new msg ", fmtid) ;
  {
    /* the sender as a log line may show it: no control character can forge a line */
    if (!stralloc_copys(&t->addr, h.sender) || !stralloc_0(&t->addr)) strerr_diefusys(QX_TEMP, "allocate memory") ;
    for (size_t i = 0 ; i + 1 < t->addr.len ; i++)
      if ((unsigned char)t->addr.s[i] < 32 || t->addr.s[i] == 127) t->addr.s[i] = '?' ;
    log_("info msg ", fmtid, ": bytes ", n1, " from <", t->addr.s, "> qp ", n2, " uid ", n3) ;
  }
  {
    size_t len = uint64_fmt(fmtid, id) ;
    fmtid[len++] = '\n' ;
    if (allwrite(FD_SEND, fmtid, len) < len) strerr_diefusys(QX_TEMP, "write to qmail-send") ;
  }
}

static void scan (todo_t *t)
{
  stralloc path = STRALLOC_ZERO ;
  for (unsigned int s = 0 ; s < t->split ; s++)
  {
    char dir[6 + UINT_FMT] = "todo/" ;
    DIR *d ;
    dir[5 + uint_fmt(dir + 5, s)] = 0 ;
    d = opendir(dir) ;
    if (!d) { strerr_warnwusys("open ", dir) ; continue ; }
    for (;;)
    {
      direntry *e = readdir(d) ;
      uint64_t id ;
      if (!e) break ;
      if (e->d_name[0] == '.' || uint64_scan(e->d_name, &id) != strlen(e->d_name)) continue ;
      if (!queue_path(&path, "todo", id, t->split)) strerr_diefusys(QX_TEMP, "build path") ;
      process(t, id, path.s) ;
    }
    dir_close(d) ;
  }
  stralloc_free(&path) ;
}

/* Commands from qmail-send: 1 to go on, 0 at end of file. */
static int commands (todo_t *t)
{
  char buf[64] ;
  ssize_t r = fd_read(0, buf, sizeof buf) ;
  if (r < 0) return errno == EAGAIN || errno == EINTR ;
  if (!r) return 0 ;
  if (memchr(buf, 'H', r)) load(t, 0) ;
  return 1 ;
}

int main (int argc, char const *const *argv)
{
  todo_t t = { .rw = REWRITE_ZERO, .clean = CLEANCLIENT_ZERO, .hdr = STRALLOC_ZERO, .addr = STRALLOC_ZERO, .req = STRALLOC_ZERO } ;
  iopause_fd x[2] ;
  int trigger ;
  PROG = "qmail-todo" ;
  if (argc > 1) strerr_dieusage(QX_PERM, USAGE) ;
  (void)argv ;
  sig_ignore(SIGPIPE) ;
  home_chdir() ;
  if (chdir("queue") < 0) strerr_diefusys(QX_TEMP, "chdir to queue") ;
  load(&t, 1) ;
  if (!queue_split(&t.split)) strerr_diefusys(QX_TEMP, "read queue/split") ;
  cleanclient_init(&t.clean, FD_CLEANW, FD_CLEANR) ;
  trigger = open2("lock/trigger", O_RDONLY | O_NONBLOCK | O_CLOEXEC) ;
  /* our own writer keeps the FIFO from reading as end of file between injections */
  if (trigger < 0 || open2("lock/trigger", O_WRONLY | O_NONBLOCK | O_CLOEXEC) < 0)
    strerr_diefusys(QX_TEMP, "open lock/trigger") ;
  ndelay_on(0) ;
  x[0].fd = 0 ; x[0].events = IOPAUSE_READ ;
  x[1].fd = trigger ; x[1].events = IOPAUSE_READ ;
  for (;;)
  {
    tain deadline ;
    scan(&t) ;
    tain_now_g() ;
    tain_addsec_g(&deadline, RESCAN) ;
    if (iopause_g(x, 2, &deadline) < 0 && errno != EINTR) strerr_diefusys(QX_TEMP, "iopause") ;
    if (x[1].revents & IOPAUSE_READ) { char buf[4096] ; while (fd_read(trigger, buf, sizeof buf) > 0) ; }
    if (x[0].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT) && !commands(&t)) return 0 ;
  }
}
