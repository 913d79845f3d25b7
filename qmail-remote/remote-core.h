/* remote-core.h: the testable logic of qmail-remote and its helpers: smtproutes matching,
   host literals, SMTP reply and EHLO parsing, DATA encoding (LF to CRLF, dot-stuffing), the
   tcpto dead-host table's record format, and the local addresses (ipme). */
#ifndef QM_REMOTE_CORE_H
#define QM_REMOTE_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <skalibs/ip46.h>
#include <skalibs/stralloc.h>

#define SMTP_PORT 25
#define QMQP_PORT 628

/* Where to deliver: a host name to look up (A/AAAA, no MX), or an address. */
typedef struct relay_s relay_t ;
struct relay_s
{
  stralloc host ;     /* NUL-terminated; empty: no relay, use the domain's MX */
  ip46full ip ;       /* valid when isip */
  int isip ;
  uint16_t port ;
} ;
#define RELAY_ZERO { STRALLOC_ZERO, IP46FULL_ZERO, 0, SMTP_PORT }

/* An address literal "[1.2.3.4]", "[IPv6:2001:db8::1]", "[::1]" or a bare IPv4 address:
   1 and *ip set, else 0. */
extern int host_literal (char const *s, size_t len, ip46full *ip) ;
/* Parse "relay[:port]" (relay: a host name or a literal as above; empty allowed) into r.
   1 ok, 0 malformed (errno EINVAL) or ENOMEM. */
extern int relay_parse (relay_t *r, char const *s, size_t len, uint16_t defport) ;
/* smtproutes: items "domain:relay[:port]" each NUL-terminated (control_readlist). The exact
   domain wins, then ".suffix" items from the longest suffix, then the wildcard ":relay".
   1 a route was found (r->host may be empty: "domain:" means use MX), 0 none,
   -1 the matching item is malformed (errno EINVAL) or ENOMEM. */
extern int route_find (relay_t *r, char const *items, size_t n, char const *domain) ;

/* One SMTP reply, accumulated line by line. */
typedef struct smtpreply_s smtpreply_t ;
struct smtpreply_s
{
  unsigned int code ;
  unsigned int lines ;
  stralloc text ;       /* the lines with their codes, joined by "\n", no CR, capped */
} ;
#define SMTPREPLY_ZERO { 0, 0, STRALLOC_ZERO }
#define SMTPREPLY_TEXTMAX 2000
#define SMTPREPLY_LINEMAX 200
/* Add one line (without its LF; a final CR is dropped). 1 the reply is complete, 0 more lines
   follow, -1 malformed (no three-digit code, a code change, too many lines) or ENOMEM.
   Reset with r->lines = 0 before a new reply. */
extern int smtpreply_add (smtpreply_t *r, char const *line, size_t len) ;

#define EHLO_PIPELINING 1
#define EHLO_SIZE 2
#define EHLO_8BITMIME 4
#define EHLO_STARTTLS 8
#define EHLO_AUTH 16
#define EHLO_AUTHPLAIN 32   /* AUTH offers PLAIN */
#define EHLO_AUTHLOGIN 64   /* AUTH offers LOGIN */
/* The extensions a 250 EHLO reply's text offers; *sizemax gets SIZE's argument (0: none). */
extern unsigned int ehlo_parse (char const *text, size_t len, uint64_t *sizemax) ;

/* DATA encoding: append s[0..len) to out as SMTP wants it (each LF becomes CRLF, a line
   starting with '.' gets another). *bol: 1 at the start of a line (start with 1). */
extern int smtpdata_cat (stralloc *out, char const *s, size_t len, int *bol) ;
/* The end: CRLF if the last line had none, then ".\r\n". */
extern int smtpdata_end (stralloc *out, int bol) ;

/* The tcpto table: TCPTO_SLOTS records of TCPTO_RECLEN bytes: [0] family (0 free, 4, 6),
   [1] failures in a row, [8..23] the address, [24..31] the last failure (seconds, big endian). */
#define TCPTO_SLOTS 128
#define TCPTO_RECLEN 32
#define TCPTO_SIZE (TCPTO_SLOTS * TCPTO_RECLEN)
#define TCPTO_HOLD 3600    /* how long a host with two failures in a row is skipped */
#define TCPTO_DEADAFTER 2
extern int tcpto_isdead (unsigned char const *t, ip46full const *ip, uint64_t now) ;
/* A connection attempt ended: failed (count one more) or succeeded (forget the host). */
extern void tcpto_note (unsigned char *t, ip46full const *ip, uint64_t now, int failed) ;
/* File level, on path (queue/lock/tcpto); a missing or unwritable table is no table. */
extern int tcpto_check (char const *path, ip46full const *ip) ;
extern void tcpto_record (char const *path, ip46full const *ip, int failed) ;

/* 1 if ip is one of this machine's addresses (getifaddrs), or unspecified. */
extern int ipme_is (ip46full const *ip) ;

#endif
