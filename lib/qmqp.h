/* qmqp.h: QMQP packets (qmail's protocol, cr.yp.to/proto/qmqp.html). A client sends one
   netstring holding netstring(message) netstring(sender) netstring(recipient)...; the server
   answers one netstring: "K" text (accepted), "Z" text (try again later), "D" text (failed).
   Netstrings are read strictly: decimal length without leading zeros (except "0"), ':', the
   bytes, ','. */
#ifndef QM_QMQP_H
#define QM_QMQP_H

#include <stddef.h>
#include <skalibs/stralloc.h>
#include "envelope.h"

#define QMQP_LENDIGITS 11    /* no packet is bigger than 99,999,999,999 bytes */

/* Append the netstring of s[0..len) to sa. */
extern int qmqp_netstring (stralloc *sa, char const *s, size_t len) ;
/* Append the whole packet for message and envelope. */
extern int qmqp_pack (stralloc *sa, char const *msg, size_t msglen, envelope_t const *env) ;

/* The length prefix "123:" at s[0..len): 1 with *n and *hdr (bytes up to and including ':'),
   0 when more bytes are needed, -1 malformed (errno EPROTO). */
extern int qmqp_header (char const *s, size_t len, size_t *n, size_t *hdr) ;

/* The inside of a packet, parsed in place: pointers into the caller's bytes. */
typedef struct qmqp_s qmqp_t ;
struct qmqp_s
{
  char const *msg ;
  size_t msglen ;
  char const *sender ;
  size_t senderlen ;
  char const *rcpt ;     /* the recipients' netstrings start here */
  size_t rcptbytes ;
  size_t rcptn ;
} ;
/* Parse s[0..len), the contents of the outer netstring: 1 ok, 0 malformed (errno EPROTO),
   no recipient, an address with a NUL or longer than addrmax. */
extern int qmqp_unpack (qmqp_t *q, char const *s, size_t len, size_t addrmax) ;
/* The next recipient: *pos starts at 0; 1 with *a and *alen, 0 at the end. */
extern int qmqp_nextrcpt (qmqp_t const *q, size_t *pos, char const **a, size_t *alen) ;
/* The envelope qmail-queue reads: "F" sender NUL "T" rcpt NUL ... NUL */
extern int qmqp_envelope (stralloc *sa, qmqp_t const *q) ;

#endif
