/* queuescan.h: reading the queue for the queue tools qmail-qread(8), qmail-qstat(8) and
   qmail-qctl(8), with queue/ as cwd: the ids in todo/ and mess/, one message found by id,
   and qmail-qread's listing and envelope formats. Nothing here writes a queue file.
   The queue holds any bytes but NUL in addresses: printed, a control character becomes '?'.
   Damaged files and unreadable directories are warned about (strerr, PROG) and counted. */
#ifndef QM_QUEUESCAN_H
#define QM_QUEUESCAN_H

#include <stdint.h>
#include <skalibs/buffer.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "queue.h"

#define QUEUE_HELD 999999999999ULL   /* N and M both at this: the message is held */
#define QUEUESCAN_IDMAX 20            /* decimal digits of a 64-bit id */

typedef struct queuemsg_s queuemsg_t, *queuemsg_t_ref ;
struct queuemsg_s
{
  uint64_t id ;
  char dir ;            /* 't': todo/ (not yet preprocessed), 'm': mess/ */
  int fd ;              /* -1: closed */
  uint64_t size ;       /* of the message: file size minus the body offset */
  queuehdr_t h ;
  stralloc hdr ;        /* the header bytes h points into */
  stralloc path ;       /* "todo/S/ID" or "mess/S/ID", NUL-terminated: names the file in messages */
} ;
#define QUEUEMSG_ZERO { .fd = -1, .h = QUEUEHDR_ZERO, .hdr = STRALLOC_ZERO, .path = STRALLOC_ZERO }

typedef struct queuelistent_s queuelistent_t ;
struct queuelistent_s
{
  uint64_t birth ;
  uint64_t id ;
  size_t pos, len ;     /* the message's lines in the list's text */
} ;

typedef struct queuelist_s queuelist_t, *queuelist_t_ref ;
struct queuelist_s
{
  stralloc text ;
  genalloc entries ;    /* queuelistent_t, sorted by birth then id */
} ;
#define QUEUELIST_ZERO { .text = STRALLOC_ZERO, .entries = GENALLOC_ZERO }

#define QUEUESHOW_INFO 1
#define QUEUESHOW_BODY 2

/* home_chdir, then into queue/, and read queue/split; dies 111 on failure. */
extern void queuescan_chdir (unsigned int *split) ;
/* A message id as the queue names it: 1 to 20 digits, no leading zero, not 0, no overflow. */
extern int queuescan_id (char const *s, uint64_t *id) ;
/* Append the id of every message file in dir/0 .. dir/split-1 to ids (uint64_t). Other names
   are skipped; a file in the wrong subdirectory or an unreadable subdirectory is warned about
   and counted in *bad. 0 only when out of memory. */
extern int queuescan_ids (genalloc *ids, char const *dir, unsigned int split, unsigned int *bad) ;
/* Sort v and drop duplicates; the new count. */
extern size_t queuescan_uniq (uint64_t *v, size_t n) ;

/* Open message id, todo/ first, then mess/ (the only way a file moves, so a move between the
   two looks cannot hide it), and read its header; rw opens it for writing.
   1 ok; 0 with errno ENOENT: not in the queue, EINVAL: damaged, else a system error. */
extern int queuemsg_open (queuemsg_t *m, uint64_t id, unsigned int split, int rw) ;
extern void queuemsg_close (queuemsg_t *m) ;
extern void queuemsg_free (queuemsg_t *m) ;
extern int queuemsg_held (queuemsg_t const *m) ;
/* Warn, naming m->path, why queuemsg_open failed (not for ENOENT). */
extern void queuemsg_warn (queuemsg_t const *m) ;
/* "DATE #ID SIZE <sender>[ held]\n", then "\tSTATE\taddress\n" per recipient. */
extern int queuemsg_fmtlist (stralloc *sa, queuemsg_t const *m) ;
/* "field: value" lines: id, file, arrival, size, from, uid, pid, held, next tries, recipients. */
extern int queuemsg_fmtinfo (stralloc *sa, queuemsg_t const *m) ;
/* Copy the message, from the body offset to end of file, to fd. 1 ok, 0 read error, -1 write error. */
extern int queuemsg_copybody (queuemsg_t const *m, int fd) ;

/* Every message of todo/ and mess/, read once. 0 only when out of memory. */
extern int queuelist_scan (queuelist_t *l, unsigned int split, unsigned int *bad) ;
extern int queuelist_write (queuelist_t const *l, buffer *b) ;
extern void queuelist_free (queuelist_t *l) ;

/* The programs' two read-only jobs, printing on fd 1. Return the exit code (0, or 111 when
   something was damaged); die 100 for a malformed or unknown id, 111 on a system error. */
extern int queuescan_list (unsigned int split) ;
extern int queuescan_show (char const *idarg, unsigned int split, unsigned int what) ;

#endif
