/* queue.h: the queue's file names and the message file's header (doc/QUEUE.md).
   A message file is: "QMQ1 " + 12-digit body offset + "\n", NUL-terminated records
   (B birth, U uid, P pid, F sender, T/L/R/D/X recipient, N/M next tries), an empty record,
   padding NULs, then at the body offset the message to end of file. */
#ifndef QM_QUEUE_H
#define QM_QUEUE_H

#include <stdint.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>
#include "envelope.h"

#define QUEUE_SPLIT_DEFAULT 23
#define QUEUE_SPLIT_MAX 1000
#define QUEUE_RESERVE 1024      /* header room qmail-queue reserves before it knows the envelope */
#define QUEUE_MAGIC "QMQ1 "
#define QUEUE_PREFIX 18         /* "QMQ1 " + 12 digits + "\n" */
#define QUEUE_NUMLEN 12         /* fixed-width numbers: body offset, N and M times */
#define QUEUE_HDRMAX (64UL << 20)
#define QUEUE_HOLD 999999999999ULL  /* both next-try times: the message is held */

/* recipient states: one letter, rewritten in place */
#define QUEUE_NEW 'T'
#define QUEUE_LOCAL 'L'
#define QUEUE_REMOTE 'R'
#define QUEUE_DONE 'D'
#define QUEUE_FAILED 'X'

typedef struct queuehdr_s queuehdr_t, *queuehdr_t_ref ;
struct queuehdr_s
{
  uint64_t bodyoff ;
  uint64_t birth ;
  uint64_t uid ;
  uint64_t pid ;
  uint64_t nextlocal ;
  uint64_t nextremote ;
  size_t nextlocaloff ;   /* file offset of N's digits, 0 if absent */
  size_t nextremoteoff ;
  char const *sender ;    /* NUL-terminated, into the parsed bytes */
  size_t rcptstart ;      /* offset of the first recipient record in the parsed bytes */
  size_t rcptn ;
  size_t end ;            /* offset of the empty record */
} ;
#define QUEUEHDR_ZERO { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

typedef struct queuercpt_s queuercpt_t, *queuercpt_t_ref ;
struct queuercpt_s
{
  char state ;
  char const *addr ;      /* NUL-terminated */
  size_t off ;            /* file offset of the state letter */
} ;

/* "split" in the queue directory (cwd); missing: the default. 0 on error (errno; EINVAL: bad). */
extern int queue_split (unsigned int *split) ;
/* sa = "dir/S/ID" NUL-terminated (len without the NUL) */
extern int queue_path (stralloc *sa, char const *dir, uint64_t id, unsigned int split) ;

/* Append a complete header for a parsed envelope, padded to at least reserve bytes;
   *bodyoff gets its final size. */
extern int queuehdr_build (stralloc *sa, uint64_t birth, uint64_t uid, uint64_t pid, envelope_t const *env, size_t reserve, size_t *bodyoff) ;
/* Parse the header held in s (len >= bodyoff). 1 ok, 0 malformed (errno EINVAL). */
extern int queuehdr_parse (queuehdr_t *h, char const *s, size_t len) ;
/* Read and parse a message file's header from fd (from offset 0) into sa. 1 ok, 0 error. */
extern int queuehdr_read (int fd, stralloc *sa, queuehdr_t *h) ;
/* Next recipient at *pos (start at h->rcptstart); 0 when there are no more. */
extern int queuehdr_nextrcpt (queuehdr_t const *h, char const *s, size_t *pos, queuercpt_t *r) ;
/* Write one state letter at off, then fdatasync. 1 ok, 0 error. */
extern int queuehdr_setstate (int fd, size_t off, char state) ;
/* Rewrite a fixed-width time field (N or M) at off, then fdatasync. */
extern int queuehdr_settime (int fd, size_t off, uint64_t t) ;

#endif
