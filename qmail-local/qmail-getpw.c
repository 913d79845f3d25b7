/* qmail-getpw local: the system account in charge of the address local (qmail-getpw(8)); the
   fallback of qmail-lspawn when users/cdb has no entry. Reads no file under QMAILHOME.
   fd 1: user\0uid\0gid\0home\0dash\0ext\0 and nothing else; nothing at all on failure.
   Exit codes: 0 found (a user or alias), 100 usage, or neither a user nor an alias account,
   111 temporary trouble (password database, a home directory that cannot be checked). */
#include <skalibs/allreadwrite.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include "assign.h"

#define USAGE "qmail-getpw local"

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  assign_t a = ASSIGN_ZERO ;
  char const *local ;
  int r ;
  PROG = "qmail-getpw" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "", &l) ;
    if (opt == -1) break ;
    strerr_dieusage(100, USAGE) ;
  }
  argc -= l.ind ; argv += l.ind ;
  if (argc != 1) strerr_dieusage(100, USAGE) ;
  local = argv[0] ;

  r = assign_passwd(&a, local) ;
  if (!r) r = assign_catchall(&a, local, ASSIGN_ALIAS) ;
  if (r < 0) strerr_diefusys(111, "look up the account in charge of ", local) ;
  if (!r) strerr_dief(100, "no account in charge of ", *local ? local : "the empty address", " and no account ", ASSIGN_ALIAS) ;
  if (allwrite(1, a.sa.s, a.sa.len) < a.sa.len) strerr_diefusys(111, "write to stdout") ;
  assign_free(&a) ;
  return 0 ;
}
