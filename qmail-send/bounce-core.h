/* bounce-core.h: the bounce message qmail-send queues when recipients fail for good: qmail's
   human text inside an RFC 3464 multipart/report, with the original message attached up to a
   size cap (beyond it, only its header, as text/rfc822-headers). */
#ifndef QM_BOUNCE_CORE_H
#define QM_BOUNCE_CORE_H

#include <stdint.h>
#include <time.h>
#include <skalibs/stralloc.h>

typedef struct bounce_s bounce_t ;
struct bounce_s
{
  char const *me ;          /* control/me: the qmail-send program at ... */
  char const *from ;        /* bouncefrom@bouncehost */
  char const *to ;          /* the envelope recipient of the bounce */
  time_t now ;
  time_t arrival ;          /* birth of the original */
  uint64_t id ;             /* the original's queue id, for a unique boundary */
  char const *failures ;    /* "recipient\0reason\0" records */
  size_t failureslen ;
  char const *original ;    /* the original message (may be partial: see originallen/total) */
  size_t originallen ;
  uint64_t originaltotal ;  /* its full size */
  size_t cap ;              /* include the whole original only up to this size */
} ;

/* The enhanced status code in a reason ("(#5.1.1)" as qmail writes them), else "5.0.0". */
extern void bounce_status (char *status, char const *reason) ;
extern int bounce_build (stralloc *sa, bounce_t const *b) ;

#endif
