/* qmail-qstat: counts the queue as qmail-qstat(8) does: "messages in queue: N" (todo/ and
   mess/) and "messages in queue but not yet preprocessed: M" (todo/). Counts file names, reads
   no header; read-only, in queue/. Exit 0; 100 usage; 111 an unreadable directory or a file
   in the wrong subdirectory (warned about, the rest counted) or a system error. */

#include <skalibs/buffer.h>
#include <skalibs/genalloc.h>
#include <skalibs/sgetopt.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "exitcode.h"
#include "queuescan.h"

#define USAGE "qmail-qstat"

static void put (char const *label, size_t n)
{
  char fmt[SIZE_FMT] ;
  if (buffer_puts(buffer_1, label) < 0 || buffer_put(buffer_1, fmt, size_fmt(fmt, n)) < 0 || buffer_put(buffer_1, "\n", 1) < 0)
    strerr_diefusys(QX_TEMP, "write to stdout") ;
}

int main (int argc, char const *const *argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  genalloc ids = GENALLOC_ZERO ;
  unsigned int split, bad = 0 ;
  size_t todo, all ;
  PROG = "qmail-qstat" ;
  if (subgetopt_r(argc, argv, "", &l) != -1 || l.ind < argc) strerr_dieusage(QX_PERM, USAGE) ;
  queuescan_chdir(&split) ;
  /* todo/ first: a message moving to mess/ meanwhile is counted once, as not preprocessed */
  if (!queuescan_ids(&ids, "todo", split, &bad)) strerr_diefusys(QX_TEMP, "allocate memory") ;
  todo = queuescan_uniq(genalloc_s(uint64_t, &ids), genalloc_len(uint64_t, &ids)) ;
  genalloc_setlen(uint64_t, &ids, todo) ;
  if (!queuescan_ids(&ids, "mess", split, &bad)) strerr_diefusys(QX_TEMP, "allocate memory") ;
  all = queuescan_uniq(genalloc_s(uint64_t, &ids), genalloc_len(uint64_t, &ids)) ;
  put("messages in queue: ", all) ;
  put("messages in queue but not yet preprocessed: ", todo) ;
  if (!buffer_flush(buffer_1)) strerr_diefusys(QX_TEMP, "write to stdout") ;
  genalloc_free(uint64_t, &ids) ;
  return bad ? QX_TEMP : QX_OK ;
}
