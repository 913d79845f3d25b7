/* qmail-local-core.h: the testable parts of local delivery (dot-qmail(5), qmail-command(8)),
   shared by qmail-local and its helpers: .qmail line kinds and file names, the environment
   values, the Return-Path, Delivered-To and From_ lines, message copying with mboxrd quoting,
   the Delivered-To loop check, program exit codes, and one injection through qmail-queue. */
#ifndef QM_QMAIL_LOCAL_CORE_H
#define QM_QMAIL_LOCAL_CORE_H

#include <stddef.h>
#include <time.h>
#include <sys/types.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>

/* One .qmail line, trailing blanks stripped (qlocal_nextline). */
typedef enum qlocal_kind_e qlocal_kind_t ;
enum qlocal_kind_e
{
  QLOCAL_SKIP,      /* empty line or # comment */
  QLOCAL_PROGRAM,   /* |command: the argument is the command */
  QLOCAL_FORWARD,   /* &address, or any other first byte: the argument is the address */
  QLOCAL_MBOX,      /* / or . not ending in /: the argument is the whole line */
  QLOCAL_MAILDIR    /* / or . ending in / */
} ;
extern qlocal_kind_t qlocal_classify (char const *line, size_t len, size_t *arg) ;

/* Cut the next line of s[*pos..len): NUL-terminates it in place (a newline or the byte after
   the end: s must have room for one more byte), strips trailing blanks and tabs, sets *line
   and *linelen, advances *pos. 0 when there is no more line. */
extern int qlocal_nextline (char *s, size_t len, size_t *pos, char **line, size_t *linelen) ;

/* The extension as it appears in .qmail file names: ASCII lowercase, "." and "/" become ":".
   Appends to sa, NUL-terminated (the NUL not counted in sa->len). */
extern int qlocal_safeext (stralloc *sa, char const *ext) ;

/* The -default file names for ".qmail" dash safeext, in the order dot-qmail(5) tries them:
   for ext "a-b-c", .qmail-a-b-default, .qmail-a-default, .qmail-default. Each is appended
   NUL-terminated; *n gets their count. The DEFAULT part of a name of length len starts at
   offset len - 13 - strlen(dash) of the extension (13 = ".qmail" + "default"). */
extern int qlocal_defaultnames (stralloc *sa, size_t *n, char const *dash, char const *safeext) ;

/* qmail-command(8): EXTn is the part of ext after its (n-1)th dash, HOSTn the part of host
   before its (n-1)th dot from the right; when there are fewer, EXTn is "" and HOSTn all that
   is left. n is 2, 3 or 4. */
extern char const *qlocal_extn (char const *ext, unsigned int n) ;
extern size_t qlocal_hostn (char const *host, unsigned int n) ;

/* "Delivered-To: local@domain\n", "Return-Path: <sender>\n" (newlines in the values become
   "_"), and the mbox From_ line "From SENDER Sat Nov 21 06:40:00 2026\n" (UTC; blanks and
   newlines in the sender become "-", an empty sender is MAILER-DAEMON). Appended to sa. */
extern int qlocal_dtline (stralloc *sa, char const *local, char const *domain) ;
extern int qlocal_rpline (stralloc *sa, char const *sender) ;
extern int qlocal_ufline (stralloc *sa, char const *sender, time_t t) ;

/* The forwarding sender (dot-qmail(5)): the sender itself, unless it is neither empty nor
   "#@[]" and .qmail<dash><ext>-owner exists (hasowner): then local-owner@domain, or with
   -owner-default too (hasownerdefault) the VERP form local-owner-@domain-@[]. */
extern int qlocal_newsender (stralloc *sa, char const *sender, char const *local, char const *domain, int hasowner, int hasownerdefault) ;

/* Reads the header (up to the first empty line) from b: 1 if a field is exactly dtline
   (dtlen bytes, newline included) with the field name in any case, 0 if none, -1 on a read
   error. */
extern int qlocal_hasdtline (buffer *b, char const *dtline, size_t dtlen) ;

/* Copy b to out; with mbox, lines matching ^>*From  get one more ">" (mboxrd) and a last line
   without newline gets one. Adds the number of bytes written to *written. 1 on success,
   QLOCAL_EREAD or QLOCAL_EWRITE with errno set. out is not flushed. */
#define QLOCAL_EREAD (-1)
#define QLOCAL_EWRITE (-2)
extern int qlocal_copy (buffer *out, buffer *b, int mbox, unsigned long long *written) ;

/* A .qmail program's exit code as qmail-local counts it (qmail-command(8)): 0 success,
   99 success and stop, 100 permanent (so are 64, 65, 70, 76, 77, 78 and 112), else 111. */
extern int qlocal_progexit (int code) ;

/* Run argv (PATH search) with the current fds and environment and wait: its wait status,
   or -1 with errno when it could not be started. stdout (buffer_1) is flushed first. */
extern int qlocal_run (char const *const *argv) ;

/* One message through qmail-queue: $QMAILQUEUE if the environment is trusted and it is set,
   else QMAILHOME/bin/qmail-queue. Writes prefix, then fd from its current offset to the end,
   then the envelope (sender, n recipients). Returns qmail-queue's wait status and puts its
   pid in *qp; or -1 with errno: QLOCAL_EREAD-style failures are told apart by *stage
   ("spawn", "read message", "write to qmail-queue"). */
extern int qlocal_inject (int fd, char const *prefix, size_t prefixlen, char const *sender, char const *const *rcpts, size_t n, pid_t *qp, char const **stage) ;

/* qmail-queue's wait status as a delivery result: 0, 100 (its codes 11..40) or 111; *text
   gets qmail-queue's meaning (lib/exitcode.h) for a failure. */
extern int qlocal_qqresult (int wstat, char const **text) ;

#endif
