/* qmail-qread: lists the queue as qmail-qread(8) does, every message of todo/ and mess/ sorted
   by arrival: "DATE #ID SIZE <sender>[ held]", then "\tSTATE\taddress" per recipient. With
   -i ID it shows that message's envelope; with -b also, only its text as queued. Read-only,
   in queue/. Exit 0; 100 usage, malformed or unknown id; 111 a damaged file (warned about,
   the rest listed) or a system error. */

#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include "exitcode.h"
#include "queuescan.h"

#define USAGE "qmail-qread [ -i id [ -b ] ]"

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  char const *id = 0 ;
  int body = 0 ;
  unsigned int split ;
  PROG = "qmail-qread" ;
  for (;;)
  {
    int opt = subgetopt_r(argc, argv, "i:b", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case 'i' : id = l.arg ; break ;
      case 'b' : body = 1 ; break ;
      default : strerr_dieusage(QX_PERM, USAGE) ;
    }
  }
  if (l.ind < argc || (body && !id)) strerr_dieusage(QX_PERM, USAGE) ;
  queuescan_chdir(&split) ;
  if (!id) return queuescan_list(split) ;
  return queuescan_show(id, split, body ? QUEUESHOW_BODY : QUEUESHOW_INFO) ;
}
