/* maildirwatch: show the From: and Subject: lines of every new or unseen message in $MAILDIR,
   oldest first, refreshed every 30 seconds (-t secs) until SIGTERM or SIGINT, or once (-1).
   The screen is cleared before each refresh only when fd 1 is a terminal.
   Output on fd 1. Exit codes: 0 done or signalled, 100 usage, 111 system error or no Maildir. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skalibs/buffer.h>
#include <skalibs/djbunix.h>
#include <skalibs/iopause.h>
#include <skalibs/selfpipe.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/tai.h>
#include <skalibs/types.h>
#include "maildir.h"
#include "maildirwatch-core.h"

#define USAGE "maildirwatch [ -1 ] [ -t secs ]"
#define WIDTH 79        /* characters per summary line */
#define HEADMAX 16384   /* bytes of a message read for its header */
#define CLEAR "\033[H\033[J"

/* a positive decimal number of seconds, nothing else */
static int scan_secs (char const *s, unsigned int *secs)
{
  size_t n = uint_scan(s, secs) ;
  return n && !s[n] && *secs ;
}

static void put (stralloc *sa, char const *s, size_t len)
{
  if (!stralloc_catb(sa, s, len)) strerr_diefusys(111, "allocate memory") ;
}

static void field (stralloc *sa, char const *head, size_t len, char const *name)
{
  int r = maildirwatch_field(sa, head, len, name, WIDTH) ;
  if (r < 0) strerr_diefusys(111, "allocate memory") ;
  if (!r) { put(sa, name, strlen(name)) ; put(sa, ": (none)\n", 9) ; }
}

/* Append the summary of one message; a message that vanished meanwhile is skipped */
static void summarize (stralloc *sa, char const *path)
{
  char head[HEADMAX] ;
  ssize_t len = openreadnclose(path, head, sizeof head) ;
  if (len < 0)
  {
    if (errno != ENOENT) strerr_warnwusys("read ", path) ;
    return ;
  }
  field(sa, head, len, "From") ;
  field(sa, head, len, "Subject") ;
  put(sa, "\n", 1) ;
}

/* One screen: 0 if the Maildir could not be scanned */
static int show (char const *maildir, maildir_list_t *list, stralloc *sa, int clear)
{
  sa->len = 0 ;
  if (!maildir_scan(list, maildir)) return 0 ;
  if (clear) put(sa, CLEAR, sizeof CLEAR - 1) ;
  for (size_t i = 0 ; i < maildir_list_len(list) ; i++)
  {
    maildir_msg_t const *m = maildir_list_msg(list, i) ;
    char const *flags = m->cur ? maildir_flags(m->name) : 0 ;
    if (!flags || !strchr(flags, 'S')) summarize(sa, m->path) ;
  }
  if (buffer_putflush(buffer_1, sa->s, sa->len) == -1) strerr_diefusys(111, "write to stdout") ;
  return 1 ;
}

/* Sleep until deadline: 1 if SIGTERM or SIGINT came first, else 0 */
static int sleep_until (int sfd, tain const *deadline)
{
  iopause_fd x = { .fd = sfd, .events = IOPAUSE_READ, .revents = 0 } ;
  for (;;)
  {
    int r = iopause_g(&x, 1, deadline) ;
    if (r < 0) strerr_diefusys(111, "iopause") ;
    if (!r) return 0 ;
    r = selfpipe_read() ;
    if (r < 0) strerr_diefusys(111, "read the selfpipe") ;
    if (r) return 1 ;  /* only SIGTERM and SIGINT are trapped */
  }
}

/* Refresh every secs seconds until SIGTERM or SIGINT; a failed scan is retried next time */
static void watch (char const *maildir, maildir_list_t *list, stralloc *sa, unsigned int secs)
{
  int tty = isatty(1) ;
  int sfd = selfpipe_init() ;
  tain interval ;
  if (sfd < 0 || !selfpipe_trap(SIGTERM) || !selfpipe_trap(SIGINT)) strerr_diefusys(111, "trap signals") ;
  tain_uint(&interval, secs) ;
  if (!tain_now_set_stopwatch_g()) strerr_diefusys(111, "read the clock") ;
  for (;;)
  {
    tain deadline ;
    if (!show(maildir, list, sa, tty)) strerr_warnwusys("scan Maildir ", maildir) ;
    tain_add_g(&deadline, &interval) ;
    if (sleep_until(sfd, &deadline)) break ;
  }
  selfpipe_finish() ;
}

int main (int argc, char const *const *argv)
{
  maildir_list_t list = MAILDIR_LIST_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  subgetopt l = SUBGETOPT_ZERO ;
  unsigned int secs = 30 ;
  int once = 0 ;
  char const *maildir, *why = "" ;
  PROG = "maildirwatch" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "1t:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case '1' : once = 1 ; break ;
      case 't' : if (!scan_secs(l.arg, &secs)) strerr_dieusage(100, USAGE) ; break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  }
  if (argc != l.ind) strerr_dieusage(100, USAGE) ;
  maildir = getenv("MAILDIR") ;
  if (!maildir || !*maildir) strerr_dief(111, "environment variable MAILDIR is not set") ;
  switch (maildir_check(maildir, &why))
  {
    case -1 : strerr_diefusys(111, "open Maildir ", maildir) ;
    case 0 : strerr_dief(111, "$MAILDIR is not a Maildir: ", maildir, ": ", why) ;
  }
  if (!once) watch(maildir, &list, &sa, secs) ;
  else if (!show(maildir, &list, &sa, 0)) strerr_diefusys(111, "scan Maildir ", maildir) ;
  stralloc_free(&sa) ;
  maildir_list_free(&list) ;
  return 0 ;
}
