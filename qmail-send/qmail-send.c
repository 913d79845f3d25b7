/* qmail-send: schedules deliveries, retries and bounces (doc/QUEUE.md). Runs in queue/ as
   qmails and only reads message files; qmail-clean records every state change.
   fds: 1 log; 3/4 jobs to / results from qmail-lspawn; 5/6 the same for qmail-rspawn (closed:
   remote mail waits); 7/8 requests to / answers from qmail-clean; 9/10 commands to /
   announcements from qmail-todo. Spawn protocol: job "slot\0id\0bodyoff\0sender\0recipient\0",
   result "slot\0" + K (delivered), Z (deferred) or D (failed) + text + "\0".
   Signals: ALRM retries everything now, HUP rereads control files, TERM finishes and exits 0. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/bytestr.h>
#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sig.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include "cleanclient.h"
#include "control.h"
#include "exitcode.h"
#include "home.h"
#include "queue.h"
#include "rewrite.h"
#include "send-core.h"

#define USAGE "qmail-send"
#define PIDCLEAN 3600   /* seconds between requests to remove stale pid/ files */

static int fd_isopen (int fd)
{
  return fcntl(fd, F_GETFD) >= 0 ;
}

/* First thing: until this runs, ALRM, HUP and TERM stay blocked (qmail-start blocks them). */
static void traps (send_t *s)
{
  s->sigfd = selfpipe_init() ;
  if (s->sigfd < 0) strerr_diefusys(QX_TEMP, "create selfpipe") ;
  {
    sigset_t set ;
    sigemptyset(&set) ;
    sigaddset(&set, SIGALRM) ; sigaddset(&set, SIGHUP) ; sigaddset(&set, SIGTERM) ;
    if (!selfpipe_trapset(&set)) strerr_diefusys(QX_TEMP, "trap signals") ;
  }
}

/* Which descriptors qmail-start gave us: before anything else opens a file. */
static void probe (send_t *s)
{
  if (!fd_isopen(3) || !fd_isopen(4)) strerr_dief(QX_TEMP, "no qmail-lspawn on fds 3 and 4: run me through qmail-start") ;
  s->ch[CH_LOCAL].jobfd = 3 ; s->ch[CH_LOCAL].resultfd = 4 ;
  if (fd_isopen(5) && fd_isopen(6)) { s->ch[CH_REMOTE].jobfd = 5 ; s->ch[CH_REMOTE].resultfd = 6 ; }
  if (!fd_isopen(7) || !fd_isopen(8)) strerr_dief(QX_TEMP, "no qmail-clean on fds 7 and 8: run me through qmail-start") ;
  if (fd_isopen(9) && fd_isopen(10)) { s->todofd = 9 ; s->announcefd = 10 ; }
}

void send_setup (send_t *s)
{
  for (int c = 0 ; c < 2 ; c++)
  {
    channel_t *ch = s->ch + c ;
    if (ch->jobfd < 0)
    {
      send_log_("info: no qmail-rspawn: remote mail stays queued") ;
      continue ;
    }
    ch->jobs = calloc(ch->concurrency, sizeof *ch->jobs) ;
    if (!ch->jobs) strerr_diefusys(QX_TEMP, "allocate delivery slots") ;
    if (coe(ch->jobfd) < 0 || coe(ch->resultfd) < 0 || ndelay_on(ch->resultfd) < 0) strerr_diefusys(QX_TEMP, "set up spawn descriptors") ;
  }
  {
    int fd = open3("lock/sendmutex", O_WRONLY | O_CREAT | O_CLOEXEC, 0600) ;
    int r = fd < 0 ? -1 : fd_lock(fd, 1, 1) ;
    if (r < 0) strerr_diefusys(QX_TEMP, "lock queue/lock/sendmutex") ;
    if (!r) strerr_dief(QX_TEMP, "another qmail-send is running on this queue") ;
  }
  coe(7) ; coe(8) ;
  cleanclient_init(&s->clean, 7, 8) ;
  if (s->todofd >= 0) { coe(9) ; coe(10) ; ndelay_on(10) ; }
  s->ctlfd = open2("lock/ctl", O_RDONLY | O_NONBLOCK | O_CLOEXEC) ;
  /* our own writer keeps the FIFO from reading as end of file between commands */
  if (s->ctlfd < 0 || open2("lock/ctl", O_WRONLY | O_NONBLOCK | O_CLOEXEC) < 0)
  {
    fd_close(s->ctlfd) ;
    s->ctlfd = -1 ;
    send_log_("info: no lock/ctl: qmail-qctl will work on the files directly") ;
  }
  sig_ignore(SIGPIPE) ;
  send_status(s) ;
}

static void signals (send_t *s)
{
  for (;;)
  {
    int sig = selfpipe_read() ;
    if (sig <= 0)
    {
      if (sig < 0) strerr_diefusys(QX_TEMP, "read selfpipe") ;
      return ;
    }
    if (sig == SIGALRM)
    {
      send_log_("alarm: retrying every message now") ;
      heap_allnow(&s->ch[0].heap) ;
      heap_allnow(&s->ch[1].heap) ;
    }
    else if (sig == SIGHUP)
    {
      if (chdir("..") < 0) strerr_diefusys(QX_TEMP, "chdir to home") ;
      int ok = send_config(s, 0) ;
      if (chdir("queue") < 0) strerr_diefusys(QX_TEMP, "chdir to queue") ;
      if (s->todofd >= 0) fd_write(s->todofd, "H", 1) ;
      send_log_(ok ? "hup: reread the control files" : "hup: a control file is unreadable, the old values stay") ;
    }
    else if (sig == SIGTERM && !s->exiting)
    {
      send_log_("exiting: finishing the deliveries in progress") ;
      s->exiting = 1 ;
      fd_close(s->todofd) ;  /* qmail-todo exits at end of its input */
      s->todofd = -1 ;
    }
  }
}

/* Read what a spawner wrote: records "slot\0" letter text "\0". */
static void results (send_t *s, int c)
{
  channel_t *ch = s->ch + c ;
  char buf[8192] ;
  size_t pos = 0 ;
  ssize_t r = fd_read(ch->resultfd, buf, sizeof buf) ;
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return ;
  if (r <= 0) strerr_dief(QX_TEMP, c ? "qmail-rspawn" : "qmail-lspawn", " went away") ;
  if (!stralloc_catb(&ch->in, buf, r)) strerr_diefusys(QX_TEMP, "allocate memory") ;
  for (;;)
  {
    size_t a = byte_chr(ch->in.s + pos, ch->in.len - pos, 0), b ;
    unsigned int slot ;
    if (pos + a >= ch->in.len) break ;
    b = byte_chr(ch->in.s + pos + a + 1, ch->in.len - pos - a - 1, 0) ;
    if (pos + a + 1 + b >= ch->in.len) break ;
    if (uint_scan(ch->in.s + pos, &slot) != a || slot >= ch->concurrency || !ch->jobs[slot].busy || !b)
      strerr_dief(QX_BUG, "garbled result from qmail-", c ? "rspawn" : "lspawn") ;
    send_result(s, c, slot, ch->in.s[pos + a + 1], ch->in.s + pos + a + 2) ;
    pos += a + b + 2 ;
  }
  memmove(ch->in.s, ch->in.s + pos, ch->in.len - pos) ;
  ch->in.len -= pos ;
}

/* Read what fd has, append it to sa, and pass each complete line to handle. -1: end of
   file or error, 0: nothing more for now, 1: lines handled. */
static int readlines (send_t *s, int fd, stralloc *sa, void (*handle) (send_t *, char const *, size_t))
{
  char buf[4096] ;
  size_t pos = 0 ;
  ssize_t r = fd_read(fd, buf, sizeof buf) ;
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0 ;
  if (r <= 0) return -1 ;
  if (!stralloc_catb(sa, buf, r)) strerr_diefusys(QX_TEMP, "allocate memory") ;
  for (;;)
  {
    size_t n = byte_chr(sa->s + pos, sa->len - pos, '\n') ;
    if (pos + n >= sa->len) break ;
    handle(s, sa->s + pos, n) ;
    pos += n + 1 ;
  }
  memmove(sa->s, sa->s + pos, sa->len - pos) ;
  sa->len -= pos ;
  if (sa->len > 1024) sa->len = 0 ;  /* a line that long is garbage */
  return 1 ;
}

/* qmail-todo's announcement: "ID", a new message in mess/ */
static void announcement (send_t *s, char const *line, size_t n)
{
  uint64_t id ;
  if (uint64_scan(line, &id) == n && id) send_load(s, id) ;
}

/* qmail-qctl's command on lock/ctl: "d ID", "h ID", "r ID", "f ID" or "f" */
static void control (send_t *s, char const *line, size_t n)
{
  uint64_t id = 0 ;
  if (n == 1 && line[0] == 'f') send_control(s, 'f', 0) ;
  else if (n > 2 && line[1] == ' ' && strchr("dhrf", line[0]) && uint64_scan(line + 2, &id) == n - 2 && id)
    send_control(s, line[0], id) ;
  else send_log_("warning: qmail-qctl: malformed command ignored") ;
}

static void announcements (send_t *s)
{
  if (readlines(s, s->announcefd, &s->announce, &announcement) >= 0) return ;
  if (!s->exiting) strerr_dief(QX_TEMP, "qmail-todo went away") ;
  fd_close(s->announcefd) ;
  s->announcefd = -1 ;
}

static void controls (send_t *s)
{
  readlines(s, s->ctlfd, &s->ctl, &control) ;  /* our own writer keeps it from ending */
}

static uint64_t nextevent (send_t const *s, uint64_t now, uint64_t pidclean)
{
  uint64_t t = pidclean ;
  for (int c = 0 ; c < 2 ; c++)
  {
    channel_t const *ch = s->ch + c ;
    if (ch->jobfd >= 0 && ch->busy < ch->concurrency && ch->heap.n && ch->heap.v[0].when < t) t = ch->heap.v[0].when ;
  }
  if (s->nextbouncetry && s->nextbouncetry < t) t = s->nextbouncetry ;
  return t > now ? t : now ;
}

void send_loop (send_t *s)
{
  uint64_t pidclean = 0 ;
  for (;;)
  {
    iopause_fd x[5] ;
    unsigned int n = 0, ich[2] = { 9, 9 }, itodo = 9, ictl = 9 ;
    uint64_t now = time(0) ;
    tain deadline ;
    if (now >= pidclean) { cleanclient_pidclean(&s->clean) ; pidclean = now + PIDCLEAN ; }
    if (!s->exiting) send_start(s, now) ;
    send_retrybounces(s, now) ;
    if (s->exiting && !s->ch[0].busy && !s->ch[1].busy) return ;
    x[n].fd = s->sigfd ; x[n++].events = IOPAUSE_READ ;
    for (int c = 0 ; c < 2 ; c++)
      if (s->ch[c].resultfd >= 0) { ich[c] = n ; x[n].fd = s->ch[c].resultfd ; x[n++].events = IOPAUSE_READ ; }
    if (s->announcefd >= 0) { itodo = n ; x[n].fd = s->announcefd ; x[n++].events = IOPAUSE_READ ; }
    if (s->ctlfd >= 0 && !s->exiting) { ictl = n ; x[n].fd = s->ctlfd ; x[n++].events = IOPAUSE_READ ; }
    tain_now_g() ;
    tain_addsec_g(&deadline, nextevent(s, now, pidclean) - now) ;
    if (iopause_g(x, n, &deadline) < 0 && errno != EINTR) strerr_diefusys(QX_TEMP, "iopause") ;
    if (x[0].revents & IOPAUSE_READ) signals(s) ;
    for (int c = 0 ; c < 2 ; c++)
      if (ich[c] < n && x[ich[c]].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) results(s, c) ;
    if (itodo < n && x[itodo].revents & (IOPAUSE_READ | IOPAUSE_EXCEPT)) announcements(s) ;
    if (ictl < n && x[ictl].revents & IOPAUSE_READ) controls(s) ;
  }
}

int main (int argc, char const *const *argv)
{
  send_t s = SEND_ZERO ;
  PROG = "qmail-send" ;
  if (argc > 1) strerr_dieusage(QX_PERM, USAGE) ;
  (void)argv ;
  probe(&s) ;
  traps(&s) ;
  home_chdir() ;
  send_config(&s, 1) ;
  if (chdir("queue") < 0) strerr_diefusys(QX_TEMP, "chdir to queue") ;
  if (!queue_split(&s.split)) strerr_diefusys(QX_TEMP, "read queue/split") ;
  send_setup(&s) ;
  send_scan(&s) ;
  send_loop(&s) ;
  return 0 ;
}
