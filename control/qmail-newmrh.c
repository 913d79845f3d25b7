/* qmail-newmrh: compile $QMAILHOME/control/morercpthosts (one host or .domain per line, as in
   rcpthosts) into control/morercpthosts.cdb, which qmail-smtpd consults after rcpthosts.
   Keys are lowercased; blank lines and # comments are skipped. The cdb is replaced atomically
   (lib/atomicfile). No fds but 2 (diagnostics).
   Exit codes: 0 done, 100 usage, 111 system error. */
#include <string.h>
#include <skalibs/cdbmake.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include "atomicfile.h"
#include "control.h"
#include "home.h"

#define USAGE "qmail-newmrh"
#define TMP "control/morercpthosts.tmp"
#define CDB "control/morercpthosts.cdb"

static void compile (int fd, stralloc *hosts, size_t n)
{
  cdbmaker c = CDBMAKER_ZERO ;
  char *h = hosts->s ;
  if (!cdbmake_start(&c, fd)) strerr_diefusys(111, "write ", TMP) ;
  for (size_t i = 0 ; i < n ; i++, h += strlen(h) + 1)
  {
    size_t len = strlen(h) ;
    for (size_t j = 0 ; j < len ; j++) if (h[j] >= 'A' && h[j] <= 'Z') h[j] += 32 ;
    if (!cdbmake_add(&c, h, len, "", 0)) strerr_diefusys(111, "write ", TMP) ;
  }
  if (!cdbmake_finish(&c)) strerr_diefusys(111, "write ", TMP) ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  stralloc hosts = STRALLOC_ZERO ;
  size_t n ;
  int fd, r ;
  PROG = "qmail-newmrh" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  if (argc - l.ind) strerr_dieusage(100, USAGE) ;
  home_chdir() ;
  r = control_readlist(&hosts, &n, "morercpthosts") ;
  if (r < 0) control_die("morercpthosts", r) ;
  fd = atomicfile_open(TMP, 0644) ;
  if (fd == -1) strerr_diefusys(111, "open ", TMP) ;
  compile(fd, &hosts, n) ;
  if (!atomicfile_commit(fd, TMP, CDB)) strerr_diefusys(111, "replace ", CDB) ;
  stralloc_free(&hosts) ;
  return 0 ;
}
