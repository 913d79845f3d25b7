/* envelope.h: the envelope qmail-queue reads on fd 1: "F" sender NUL, then one or more
   "T" recipient NUL, then a final NUL. Example: "Fa@b.org\0Tc@d.org\0Te@f.org\0\0".
   This layer checks the byte format only, not the addresses ("F\0", the null sender of
   bounces, and "T\0" are well-formed). The same length limit applies to F and T records. */
#ifndef QM_ENVELOPE_H
#define QM_ENVELOPE_H

#include <stddef.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

#define ENVELOPE_ADDRMAX 1000   /* the usual limit on an address, 'F'/'T' and NUL excluded */

/* results of the parsers; errno is EINVAL for the format errors and ETOOBIG */
#define ENVELOPE_OK 0
#define ENVELOPE_ENOF (-1)       /* empty, or the first record is not F */
#define ENVELOPE_ENONUL (-2)     /* input ends inside a record */
#define ENVELOPE_ENOFINAL (-3)   /* input ends after a record, without the final NUL */
#define ENVELOPE_ETOOLONG (-4)   /* an address longer than the caller's limit */
#define ENVELOPE_ENORCPT (-5)    /* the final NUL right after F: no recipient */
#define ENVELOPE_ETRAILING (-6)  /* bytes after the final NUL */
#define ENVELOPE_EBADREC (-7)    /* a record letter other than T after F (a second F too) */
#define ENVELOPE_ETOOBIG (-8)    /* envelope_read: more than maxtotal bytes */
#define ENVELOPE_EREAD (-9)      /* envelope_read: read error, errno from read() */
#define ENVELOPE_ENOMEM (-10)    /* envelope_read: out of memory */

/* A parsed envelope points into the parsed bytes, which must outlive it. Each address is
   NUL-terminated there. Recipients follow each other: use envelope_nextrcpt to step. */
typedef struct envelope_s envelope_t, *envelope_t_ref ;
struct envelope_s
{
  char const *sender ;
  size_t senderlen ;
  char const *rcpt ;    /* the first recipient */
  size_t rcptn ;        /* at least 1 when parsed */
} ;
#define ENVELOPE_ZERO { 0, 0, 0, 0 }

/* Building appends to sa and returns 1, or 0 with errno set and sa as it was (ENOMEM;
   EINVAL from envelope_build for n == 0, which would not be an envelope). */
extern int envelope_start (stralloc *sa, char const *sender) ;
extern int envelope_addrcpt (stralloc *sa, char const *rcpt) ;
extern int envelope_finish (stralloc *sa) ;
extern int envelope_build (stralloc *sa, char const *sender, char const *const *rcpts, size_t n) ;

/* Parse exactly len bytes; addrmax limits each address (ENVELOPE_ADDRMAX is the usual value). */
extern int envelope_parse (envelope_t *env, char const *s, size_t len, size_t addrmax) ;

/* The recipient after r (r must be one of env's, not the last). */
extern char const *envelope_nextrcpt (char const *r) ;

/* Read one envelope from b into sa (replacing its contents), checking records as they arrive,
   so a bad record or an oversized envelope is refused without reading the rest. Stops right
   after the final NUL: bytes after it stay unread in b (ETRAILING cannot happen here). End of
   file before the final NUL gives ENOF, ENONUL or ENOFINAL. On ENVELOPE_OK, env points into sa. */
extern int envelope_read (buffer *b, stralloc *sa, size_t maxtotal, size_t addrmax, envelope_t *env) ;

extern char const *envelope_strerror (int e) ;

#endif
