/* qmail-newu: compile $QMAILHOME/users/assign (qmail-users(5)) into users/cdb for the lookups
   of qmail-lspawn (lib/assign). users/cdb.tmp is locked, written, fsynced and renamed over
   users/cdb, then users/ is fsynced: readers see the old or the new cdb, never a mixture, and a
   malformed assign leaves users/cdb untouched. No fds but 2 (diagnostics).
   Exit codes: 0 done, 100 usage, 111 malformed assign (the line is named) or system error. */
#include <stdio.h>
#include <unistd.h>
#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "assign.h"
#include "atomicfile.h"
#include "home.h"

#define USAGE "qmail-newu"
#define ASSIGN "users/assign"
#define TMP "users/cdb.tmp"

static void die_malformed (size_t line, char const *why)
{
  char fmt[SIZE_FMT] ;
  fmt[size_fmt(fmt, line)] = 0 ;
  unlink(TMP) ;
  strerr_dief(111, ASSIGN, " line ", fmt, ": ", why, "; ", ASSIGN_CDB, " left unchanged") ;
}

static void compile (int fd, stralloc const *text)
{
  cdbmaker c = CDBMAKER_ZERO ;
  char const *why = 0 ;
  size_t line = 0 ;
  int r ;
  if (!cdbmake_start(&c, fd)) strerr_diefusys(111, "write ", TMP) ;
  r = assign_make(&c, text->s, text->len, &line, &why) ;
  if (!r) die_malformed(line, why) ;
  if (r < 0 || !cdbmake_finish(&c)) { unlink(TMP) ; strerr_diefusys(111, "write ", TMP) ; }
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  stralloc text = STRALLOC_ZERO ;
  int fd ;
  PROG = "qmail-newu" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  if (argc - l.ind) strerr_dieusage(100, USAGE) ;
  home_chdir() ;
  if (!openslurpclose(&text, ASSIGN)) strerr_diefusys(111, "read ", ASSIGN) ;
  fd = atomicfile_open(TMP, 0644) ;
  if (fd == -1) strerr_diefusys(111, "open ", TMP) ;
  compile(fd, &text) ;
  if (!atomicfile_commit(fd, TMP, ASSIGN_CDB)) strerr_diefusys(111, "replace ", ASSIGN_CDB) ;
  stralloc_free(&text) ;
  return 0 ;
}
