/* smtpd-core.h: the testable parts of qmail-smtpd: the message decoder for DATA and BDAT (dot
   unstuffing, CRLF to LF, the only end of data is CRLF.CRLF, bare CR and LF flagged, size limit,
   hop count), ESMTP parameters, rcpthosts/badmailfrom matching, the recipient check, and the
   Received line. */
#ifndef QM_SMTPD_CORE_H
#define QM_SMTPD_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <skalibs/cdb.h>
#include <skalibs/stralloc.h>

/* The decoder. Feed it the bytes after "354" (DATA) or each BDAT chunk; it appends the message
   as it goes to the queue (LF line ends, dots unstuffed) to an output stralloc. */
#define SMTPD_DATA_DOT 0    /* DATA: dot-stuffed, ends at CRLF.CRLF */
#define SMTPD_DATA_RAW 1    /* BDAT: counted chunks, no stuffing, no end marker */
#define SMTPD_HOPMAX 100    /* Received + Delivered-To lines in the header, RFC 5321 §6.3 */

typedef struct smtpd_data_s smtpd_data_t, *smtpd_data_t_ref ;
struct smtpd_data_s
{
  uint64_t bytes ;         /* bytes of message produced, counted even past the limit */
  uint64_t max ;           /* 0: no limit; past it nothing more is appended */
  unsigned int hops ;      /* Received: and Delivered-To: fields in the header */
  unsigned char state ;    /* where the decoder is inside a line */
  unsigned char mode ;     /* SMTPD_DATA_DOT or SMTPD_DATA_RAW */
  unsigned char done ;     /* DATA: CRLF.CRLF seen */
  unsigned char bare ;     /* a bare CR or LF was seen: the message must be refused */
  unsigned char inheader ; /* still in the header (no empty line yet) */
  unsigned char fieldlen ; /* bytes of the current header line kept in field[] */
  char field[14] ;         /* the start of the current header line, lowercased */
} ;

extern void smtpd_data_init (smtpd_data_t *d, unsigned int mode, uint64_t max) ;
/* Consume bytes of s[0..len): all of them, or in DOT mode up to and including the end of data
   (then d->done is 1). Returns the number consumed; 0 means out of memory (errno set) when len
   was nonzero. */
extern size_t smtpd_data_feed (smtpd_data_t *d, char const *s, size_t len, stralloc *out) ;
/* BDAT LAST: complete a message that ends inside a line. A pending CR at the end is bare. */
extern void smtpd_data_end (smtpd_data_t *d) ;
#define smtpd_data_toobig(d) ((d)->max && (d)->bytes > (d)->max)

/* ESMTP parameters of MAIL (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8) and RCPT (none).
   s[0..len) is what follows the path. */
typedef struct smtpd_params_s smtpd_params_t, *smtpd_params_t_ref ;
struct smtpd_params_s
{
  uint64_t size ;         /* SIZE=, 0 when absent */
  unsigned int eightbit ; /* BODY=8BITMIME */
  unsigned int utf8 ;     /* SMTPUTF8 */
} ;
#define SMTPD_PARAMS_ZERO { 0, 0, 0 }
#define SMTPD_PARAM_OK 0
#define SMTPD_PARAM_SYNTAX 1    /* 501: malformed keyword or value */
#define SMTPD_PARAM_UNKNOWN 2   /* 555: a parameter we do not offer */
extern int smtpd_params (smtpd_params_t *p, char const *s, size_t len, int mail, char const **bad) ;

/* rcpthosts: 1 if the domain of addr (after its last '@') is listed in list (n NUL-terminated
   entries: "host" or ".domain" for every host below it) or in the cdb (same keys, lowercase),
   0 if not, -1 on a cdb read error. An address without '@' is acceptable (1), as in qmail. */
extern int smtpd_rcpthosts (char const *list, size_t n, cdb const *more, char const *addr) ;
/* badmailfrom: 1 if addr is listed (whole address, or "@domain"), ASCII case ignored. */
extern int smtpd_badmailfrom (char const *list, size_t n, char const *addr) ;

/* Whether a local part handled locally can be delivered: users/cdb, passwd or the alias
   account, then the .qmail files qmail-local would try for its extension (cwd: the home).
   1 it can (or we cannot tell: a home we may not read), 0 it cannot, -1 temporary error. */
extern int smtpd_rcptexists (char const *local) ;

/* Append a copy of s where bytes outside printable ASCII (and, with strict, blanks,
   parentheses and backslash) become '?': for log lines and the Received line. */
extern int smtpd_safe (stralloc *sa, char const *s, size_t len, int strict) ;

/* "Received: from HELO (INFO@HOST [IP])\n\tby ME (qmail-smtpd) with PROTO (TLS; authenticated
   as USER); DATE\n". helo may be 0 (no HELO/EHLO), info, host, tls and auth may be 0 or empty
   (the comment after PROTO goes with them), ip6 says the IP is IPv6 ("[IPv6:...]"). */
typedef struct smtpd_rcvd_s smtpd_rcvd_t, *smtpd_rcvd_t_ref ;
struct smtpd_rcvd_s
{
  char const *helo, *info, *host, *ip, *me, *proto ;
  char const *tls ;    /* protocol and cipher, or 0 */
  char const *auth ;   /* the authenticated user, or 0 */
  int ip6 ;
} ;
extern int smtpd_received (stralloc *sa, smtpd_rcvd_t const *r, int64_t t) ;

/* The RFC 3848 / RFC 6531 protocol name: SMTP, ESMTP or UTF8SMTP, with S after TLS and A after
   AUTH for the extended ones. */
extern char const *smtpd_protocol (int esmtp, int utf8, int tls, int auth) ;

/* AUTH PLAIN's decoded response "authzid NUL authcid NUL passwd" (s[len] must be NUL): 1 with
   *user and *pass pointing into s, 0 if malformed or authzid names someone else. */
extern int smtpd_authplain (char *s, size_t len, char const **user, char const **pass) ;

#endif
