/* qmail-newpop3: compile $QMAILHOME/users/pop3passwd (lines "user:secret:uid:gid:home", see
   qmail-newpop3(8)) into users/pop3passwd.cdb for qmail-checkpw. users/pop3passwd.tmp is
   locked, written (mode 0600: it holds secrets), fsynced and renamed over the cdb, then users/
   is fsynced: readers see the old or the new cdb, and a malformed line leaves the cdb as it was.
   Exit codes: 0 done, 100 usage, 111 malformed file (the line is named) or system error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "checkpw-core.h"
#include "atomicfile.h"
#include "home.h"

#define USAGE "qmail-newpop3"
#define SRC "users/pop3passwd"
#define TMP "users/pop3passwd.tmp"
#define CDB "users/pop3passwd.cdb"

static void die_line (size_t line, char const *why)
{
  char fmt[SIZE_FMT] ;
  fmt[size_fmt(fmt, line)] = 0 ;
  unlink(TMP) ;
  strerr_dief(111, SRC, " line ", fmt, ": ", why, "; ", CDB, " left unchanged") ;
}

/* A duplicate user would be shadowed silently in the cdb: refuse it. The names seen so far are
   kept in memory and scanned linearly: fine for the thousands of lines such a file holds. */
static int seen (stralloc *names, char const *user)
{
  for (size_t i = 0 ; i < names->len ; i += strlen(names->s + i) + 1)
    if (!strcmp(names->s + i, user)) return 1 ;
  if (!stralloc_catb(names, user, strlen(user) + 1)) { unlink(TMP) ; strerr_diefusys(111, "store a name") ; }
  return 0 ;
}

static void compile (int fd, stralloc *text)
{
  cdbmaker c = CDBMAKER_ZERO ;
  stralloc val = STRALLOC_ZERO, names = STRALLOC_ZERO ;
  size_t i = 0, line = 0 ;
  if (!cdbmake_start(&c, fd)) strerr_diefusys(111, "write ", TMP) ;
  while (i < text->len)
  {
    char *s = text->s + i, *nl = memchr(s, '\n', text->len - i) ;
    checkpw_entry_t e ;
    char const *why ;
    if (!nl) die_line(line + 1, "no newline at the end") ;
    *nl = 0 ;
    i = nl + 1 - text->s ;
    line++ ;
    if (!*s || *s == '#') continue ;
    if (strlen(s) != (size_t)(nl - s)) die_line(line, "NUL byte") ;
    if (!checkpw_line(&e, s, &why)) die_line(line, why) ;
    if (seen(&names, e.user)) die_line(line, "user listed twice") ;
    if (!checkpw_pack(&val, &e) || !cdbmake_add(&c, e.user, strlen(e.user), val.s, val.len))
    { unlink(TMP) ; strerr_diefusys(111, "write ", TMP) ; }
  }
  if (!cdbmake_finish(&c)) { unlink(TMP) ; strerr_diefusys(111, "write ", TMP) ; }
  stralloc_free(&val) ;
  stralloc_free(&names) ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  stralloc text = STRALLOC_ZERO ;
  int fd ;
  PROG = "qmail-newpop3" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  if (argc - l.ind) strerr_dieusage(100, USAGE) ;
  home_chdir() ;
  if (!openslurpclose(&text, SRC)) strerr_diefusys(111, "read ", SRC) ;
  fd = atomicfile_open(TMP, 0600) ;   /* mode 0600: it holds secrets */
  if (fd == -1) strerr_diefusys(111, "open ", TMP) ;
  compile(fd, &text) ;
  if (!atomicfile_commit(fd, TMP, CDB)) strerr_diefusys(111, "replace ", CDB) ;
  stralloc_free(&text) ;
  return 0 ;
}
