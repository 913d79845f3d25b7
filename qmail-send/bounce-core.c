/* bounce-core.c: composes bounce messages (bounce-core.h). Pure: no I/O, unit-tested. */
#include <string.h>
#include <skalibs/bytestr.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>
#include "bounce-core.h"
#include "date822.h"

void bounce_status (char *status, char const *reason)
{
  char const *p = strstr(reason, "(#") ;
  size_t i = 0 ;
  strcpy(status, "5.0.0") ;
  if (!p) return ;
  p += 2 ;
  /* class.subject.detail: digits and two dots, at most 3+1+3+1+3 */
  while (i < 11 && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.')) i++ ;
  if (p[i] != ')' || byte_count(p, i, '.') != 2 || (p[0] != '4' && p[0] != '5')) return ;
  memcpy(status, p, i) ;
  status[i] = 0 ;
  status[0] = '5' ;  /* we only bounce for good: a deferral that timed out is a failure now */
}

static int cats (stralloc *sa, char const *s)
{
  return stralloc_cats(sa, s) ;
}

/* An address inside a header field: a control character could end the field and start a
   forged one, so each becomes '?'. */
static int cataddr (stralloc *sa, char const *s)
{
  size_t start = sa->len ;
  if (!stralloc_cats(sa, s)) return 0 ;
  for (size_t i = start ; i < sa->len ; i++)
    if ((unsigned char)sa->s[i] < 32 || sa->s[i] == 127) sa->s[i] = '?' ;
  return 1 ;
}

/* The header of a message: up to and including the empty line, or all of it. */
static size_t header_len (char const *s, size_t len)
{
  for (size_t i = 0 ; i < len ; i++)
    if (s[i] == '\n' && (i + 1 == len || s[i + 1] == '\n')) return i + 1 < len ? i + 2 : i + 1 ;
  return len ;
}

static int human (stralloc *sa, bounce_t const *b)
{
  char const *p = b->failures ;
  if (!cats(sa, "Hi. This is the qmail-send program at ") || !cats(sa, b->me) || !cats(sa, ".\n")
   || !cats(sa, "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                "This is a permanent error; I've given up. Sorry it didn't work out.\n")) return 0 ;
  while (p < b->failures + b->failureslen)
  {
    char const *reason = p + strlen(p) + 1 ;
    if (!cats(sa, "\n<") || !cataddr(sa, p) || !cats(sa, ">:\n") || !cats(sa, reason)) return 0 ;
    if (!*reason || reason[strlen(reason) - 1] != '\n') if (!cats(sa, "\n")) return 0 ;
    p = reason + strlen(reason) + 1 ;
  }
  return cats(sa, "\n") ;
}

static int dsn (stralloc *sa, bounce_t const *b)
{
  char date[DATE822_FMT] ;
  char const *p = b->failures ;
  if (!cats(sa, "Reporting-MTA: dns; ") || !cats(sa, b->me) || !cats(sa, "\nArrival-Date: ")
   || !stralloc_catb(sa, date, date822_fmt(date, b->arrival)) || !cats(sa, "\n")) return 0 ;
  while (p < b->failures + b->failureslen)
  {
    char const *reason = p + strlen(p) + 1 ;
    char status[12] ;
    size_t n = str_chr(reason, '\n') ;
    bounce_status(status, reason) ;
    if (!cats(sa, "\nFinal-Recipient: rfc822; ") || !cataddr(sa, p) || !cats(sa, "\nAction: failed\nStatus: ")
     || !cats(sa, status) || !cats(sa, "\nDiagnostic-Code: X-qmail; ") || !stralloc_catb(sa, reason, n) || !cats(sa, "\n")) return 0 ;
    p = reason + strlen(reason) + 1 ;
  }
  return 1 ;
}

int bounce_build (stralloc *sa, bounce_t const *b)
{
  char date[DATE822_FMT] ;
  char boundary[40 + UINT64_FMT * 2] = "qmail-bounce-" ;
  size_t blen = 13 ;
  int whole = b->originaltotal <= b->cap && b->originallen == b->originaltotal ;
  blen += uint64_fmt(boundary + blen, (uint64_t)b->now) ;
  boundary[blen++] = '-' ;
  blen += uint64_fmt(boundary + blen, b->id) ;
  boundary[blen] = 0 ;
  if (!cats(sa, "Date: ") || !stralloc_catb(sa, date, date822_fmt(date, b->now))
   || !cats(sa, "\nFrom: ") || !cataddr(sa, b->from) || !cats(sa, "\nTo: ") || !cataddr(sa, b->to)
   || !cats(sa, "\nSubject: failure notice\nMIME-Version: 1.0\n"
                "Content-Type: multipart/report; report-type=delivery-status;\n boundary=\"")
   || !cats(sa, boundary) || !cats(sa, "\"\n\nThis is a MIME-encapsulated delivery report.\n\n--")
   || !cats(sa, boundary) || !cats(sa, "\nContent-Type: text/plain; charset=us-ascii\n\n")
   || !human(sa, b)) return 0 ;
  if (!whole && !cats(sa, "The original is larger than this system returns: only its header follows.\n")) return 0 ;
  if (!cats(sa, "\n--") || !cats(sa, boundary) || !cats(sa, "\nContent-Type: message/delivery-status\n\n")
   || !dsn(sa, b) || !cats(sa, "\n--") || !cats(sa, boundary)) return 0 ;
  if (whole)
  {
    if (!cats(sa, "\nContent-Type: message/rfc822\n\n") || !stralloc_catb(sa, b->original, b->originallen)) return 0 ;
  }
  else if (!cats(sa, "\nContent-Type: text/rfc822-headers\n\n")
        || !stralloc_catb(sa, b->original, header_len(b->original, b->originallen))) return 0 ;
  if (sa->len && sa->s[sa->len - 1] != '\n' && !cats(sa, "\n")) return 0 ;
  return cats(sa, "\n--") && cats(sa, boundary) && cats(sa, "--\n") ;
}
