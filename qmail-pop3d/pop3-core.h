/* pop3-core.h: what qmail-popup and qmail-pop3d share (RFC 1939, RFC 2449): reading command
   lines and writing replies under a deadline, splitting a command, scanning message numbers,
   and the message transmission rules (LF to CRLF, dot-stuffing, TOP's line limit, the size a
   client sees, UIDL from a Maildir name). Nothing here knows about uids or files. */
#ifndef QM_POP3_CORE_H
#define QM_POP3_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>

#define POP3_LINEMAX 1024  /* RFC 2449: commands are at most 255 octets; be generous */
#define POP3_UIDLMAX 70    /* RFC 1939 */

/* Command lines from a non-blocking fd. maxread caps each read(): qmail-popup reads one byte
   at a time, so that what a client pipelined after PASS stays in the socket for qmail-pop3d. */
typedef struct pop3_in_s pop3_in_t, *pop3_in_t_ref ;
struct pop3_in_s
{
  int fd ;
  size_t maxread ;
  size_t start, len ;
  int toolong ;
  char buf[POP3_LINEMAX + 1] ;
} ;
#define POP3_IN_INIT(fd, maxread) { (fd), (maxread), 0, 0, 0, { 0 } }

/* 1: *line is the next line, NUL-terminated, CR LF stripped (it lives in in->buf until the
   next call). 0: end of input. -1: error, errno set (ETIMEDOUT when the deadline passed).
   -2: the line was longer than POP3_LINEMAX and was discarded. */
extern int pop3_getline (pop3_in_t *in, char **line, tain const *deadline) ;
/* 1 if a whole line is already buffered: more commands are waiting (pipelining) */
extern int pop3_lineready (pop3_in_t const *in) ;

/* Replies are gathered in out and written by pop3_flush, all of them, before the deadline:
   1, or 0 with errno set (ETIMEDOUT). */
typedef struct pop3_out_s pop3_out_t, *pop3_out_t_ref ;
struct pop3_out_s
{
  int fd ;
  stralloc sa ;
} ;
#define POP3_OUT_INIT(fd) { (fd), STRALLOC_ZERO }
extern int pop3_flush (pop3_out_t *out, tain const *deadline) ;
/* TCP_NODELAY on fd if it is a TCP socket; anything else is left alone */
extern void pop3_nodelay (int fd) ;

/* Split "verb arg..." in place: the verb is uppercased and NUL-terminated, *arg points to
   what follows the blanks after it ("" if nothing). Returns the verb. */
extern char *pop3_split (char *line, char **arg) ;
/* Parse up to max decimal numbers separated by single or multiple spaces into v; returns how
   many, or -1 if arg holds anything else (a sign, a letter, a number over 2^63) or more. */
extern int pop3_numbers (char const *arg, uint64_t *v, unsigned int max) ;

/* Transmission of a message: LF becomes CRLF (CRLF stays), a line starting with "." gets
   another "." in front; with a line limit (TOP), the header, the empty line and that many body
   lines. Feed the message in pieces of any size; pop3_xmit_end adds the missing final CRLF and
   the terminating ".\r\n". Each returns 1, or 0 on ENOMEM. */
typedef struct pop3_xmit_s pop3_xmit_t, *pop3_xmit_t_ref ;
struct pop3_xmit_s
{
  uint64_t linelen ;  /* bytes of the current line so far */
  int prevcr ;        /* the last byte fed was CR */
  int inbody ;        /* the empty line that ends the header was seen */
  int limited ;
  uint64_t lines ;    /* body lines still to send, if limited */
  int done ;          /* the line limit was reached: the rest is ignored */
} ;
extern void pop3_xmit_init (pop3_xmit_t *x, int limited, uint64_t lines) ;
extern int pop3_xmit (pop3_xmit_t *x, stralloc *out, char const *s, size_t len) ;
extern int pop3_xmit_end (pop3_xmit_t *x, stralloc *out) ;

/* The size a client sees (RFC 1939 "exact size"): bytes with every bare LF counted as CRLF;
   dot-stuffing, the terminator and the CRLF added after a last line without one are not
   counted (what Dovecot reports, checked by tests/pop3-dovecot.t). */
typedef struct pop3_size_s pop3_size_t, *pop3_size_t_ref ;
struct pop3_size_s
{
  uint64_t size ;
  int prevcr ;
  int bol ;
} ;
#define POP3_SIZE_ZERO { 0, 0, 1 }
extern void pop3_size_add (pop3_size_t *z, char const *s, size_t len) ;
extern uint64_t pop3_size_end (pop3_size_t const *z) ;
/* The ",W=" field of a Maildir name (the CRLF size some writers record, as Dovecot does):
   1 and *w set, or 0 if absent or malformed */
extern int pop3_namesize (char const *name, uint64_t *w) ;

/* Append to sa the UIDL of a Maildir file name: its unique part (up to ":"), if it is 1 to 70
   bytes of 0x21..0x7E; otherwise the MD5 of the unique part in 32 hex digits. Stable across
   sessions and flag changes. 1, or 0 on ENOMEM. */
extern int pop3_uidl (stralloc *sa, char const *name) ;

/* APOP timestamp of RFC 1939, "<pid.seconds@host>", appended to sa; 0 on ENOMEM */
extern int pop3_timestamp (stralloc *sa, uint64_t pid, uint64_t seconds, char const *host) ;

/* Overwrite len bytes in a way the compiler does not drop (passwords) */
extern void pop3_wipe (void *s, size_t len) ;

#endif
