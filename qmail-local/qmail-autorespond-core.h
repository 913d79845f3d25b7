/* qmail-autorespond-core.h: the testable parts of qmail-autorespond(1), an RFC 3834 responder:
   the header fields of a message, the decision to answer it or not and why, the per-sender
   limit and its state file, and the header of the reply. Addresses are in the internal form of
   lib/address.h and compared without regard to ASCII case. */
#ifndef QM_QMAIL_AUTORESPOND_CORE_H
#define QM_QMAIL_AUTORESPOND_CORE_H

#include <stddef.h>
#include <time.h>
#include <sys/types.h>
#include <skalibs/stralloc.h>

/* One header field: the name without its colon, and the value after the colon with its
   continuation lines but without the final newline. Both point into the header. */
typedef struct autoresp_field_s autoresp_field_t, *autoresp_field_t_ref ;
struct autoresp_field_s
{
  char const *name ;
  size_t namelen ;
  char const *value ;
  size_t valuelen ;
} ;

/* The next field of hdr[*pos..len): 1 with *f set and *pos past the field, 0 at the end (len,
   or the empty line that ends a header). Lines that are not "Name:" or its continuation are
   skipped. */
extern int autoresp_nextfield (char const *hdr, size_t len, size_t *pos, autoresp_field_t *f) ;

/* Why not to answer; AUTORESP_YES (0) is to answer. */
typedef enum autoresp_why_e autoresp_why_t ;
enum autoresp_why_e
{
  AUTORESP_YES = 0,
  AUTORESP_NULLSENDER,     /* "" or "#@[]": a bounce, RFC 3834 section 2 */
  AUTORESP_BADSENDER,      /* no '@', an empty part, or control characters */
  AUTORESP_ROBOT,          /* MAILER-DAEMON, postmaster, listserv, majordomo, owner-*, *-owner, *-request */
  AUTORESP_SELF,           /* the sender is one of the recipient's own addresses */
  AUTORESP_XLOOP,          /* an X-Loop field names the recipient */
  AUTORESP_DELIVERED,      /* a Delivered-To field names the recipient: delivered here before */
  AUTORESP_AUTOSUBMITTED,  /* Auto-Submitted other than "no" (RFC 3834 section 5) */
  AUTORESP_PRECEDENCE,     /* Precedence: bulk, list or junk */
  AUTORESP_LIST,           /* a List-* field (RFC 2369, RFC 2919) or Mailing-List */
  AUTORESP_NOTADDRESSED    /* no To, Cc, Bcc, Resent-To, Resent-Cc, Resent-Bcc names the recipient */
} ;
extern char const *autoresp_whystr (autoresp_why_t why) ;

/* The recipient's addresses: the first nself identify this delivery ($RECIPIENT, the address
   of $DTLINE) and count for every check; the others (DIR/addresses) count only as recipients
   named in To, Cc, etc. With anyrcpt (-a), no recipient field needs to name any of them. */
typedef struct autoresp_rcpt_s autoresp_rcpt_t, *autoresp_rcpt_t_ref ;
struct autoresp_rcpt_s
{
  char const *const *addrs ;
  size_t n ;
  size_t nself ;
  int anyrcpt ;
} ;

/* Decide for the message with header hdr[0..len) and envelope sender sender. The sender is
   checked first, then the fields in their order, then the recipient fields. Returns
   AUTORESP_YES, a reason, or -1 with errno ENOMEM. */
extern int autoresp_decide (char const *hdr, size_t len, char const *sender, autoresp_rcpt_t const *rc) ;

/* The per-sender limit: at most max replies in a window of secs seconds opened by the first
   reply. *count is the number of replies in the window (0: no state), *start when it opened.
   1: answer, and *count and *start are the new state; 0: do not answer, nothing changed. */
extern int autoresp_ratelimit (unsigned long *count, time_t *start, time_t now, unsigned long secs, unsigned long max) ;

/* The state file of an address: its name, 64 hex digits of SHA-256 of the address in
   lowercase, NUL-terminated; its contents, "count\naddress\n" (the address for people reading
   the directory; a newline in it becomes "_"). A first line that is not a number reads as 1. */
#define AUTORESP_STATENAME 65
extern void autoresp_statename (char *name, char const *addr) ;
extern int autoresp_statefmt (stralloc *sa, unsigned long count, char const *addr) ;
extern unsigned long autoresp_statecount (char const *s, size_t len) ;

/* The response text (DIR/message): if its first line is a header field, its header runs to
   the first empty line and *hdrlen gets its length (its last newline included); else
   *hdrlen is 0. Returns the offset of the body. */
extern size_t autoresp_textsplit (char const *s, size_t len, size_t *hdrlen) ;

typedef struct autoresp_reply_s autoresp_reply_t, *autoresp_reply_t_ref ;
struct autoresp_reply_s
{
  char const *from ;   /* the recipient ($RECIPIENT): From, X-Loop, the Message-ID's host */
  char const *to ;     /* the envelope sender */
  time_t now ;
  pid_t pid ;
} ;

/* Append the reply's header, its empty line included, to sa: From (unless the text has one),
   To, Subject (unless the text has one: "Re: " and the original's, or "Re: your message"),
   Date, Message-ID, In-Reply-To and References (RFC 5322 3.6.4, from the original's header
   orig[0..origlen)), Auto-Submitted: auto-replied, X-Loop, then the text's header fields
   text[0..textlen) but for those generated here and Cc, Bcc, Return-Path, Delivered-To.
   1, or 0 with errno: ENOMEM, EINVAL (an address that cannot be written), EOVERFLOW (date). */
extern int autoresp_header (stralloc *sa, char const *orig, size_t origlen, char const *text, size_t textlen, autoresp_reply_t const *r) ;

#endif
