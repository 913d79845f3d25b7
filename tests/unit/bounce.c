/* Unit tests of qmail-send/bounce-core.c: status codes from qmail's texts, the report's
   structure, the size cap, and addresses that try to forge header fields. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "../../qmail-send/bounce-core.h"
#include "../tap.h"

static int has (stralloc const *sa, char const *s)
{
  size_t n = strlen(s) ;
  for (size_t i = 0 ; i + n <= sa->len ; i++) if (!memcmp(sa->s + i, s, n)) return 1 ;
  return 0 ;
}

int main (void)
{
  char st[12] ;
  stralloc sa = STRALLOC_ZERO ;
  static char const fail[] = "joe@example.org\0Sorry, no mailbox here by that name. (#5.1.1)\n\0evil\nBcc: victim@x\0Deferred too long. (#4.4.1)\0" ;
  static char const orig[] = "Subject: hello\nFrom: a@b\n\nbody line\n" ;
  bounce_t b = { .me = "mail.example.org", .from = "MAILER-DAEMON@mail.example.org", .to = "sender@x.org\nBcc: spy@y",
    .now = 1764000000, .arrival = 1763990000, .id = 42, .failures = fail, .failureslen = sizeof fail - 1,
    .original = orig, .originallen = sizeof orig - 1, .originaltotal = sizeof orig - 1, .cap = 1000 } ;

  bounce_status(st, "Sorry. (#5.1.1)") ; is_str(st, "5.1.1", "status from (#5.1.1)") ;
  bounce_status(st, "later (#4.4.1)") ; is_str(st, "5.4.1", "a temporary code becomes permanent") ;
  bounce_status(st, "no code here") ; is_str(st, "5.0.0", "no code: 5.0.0") ;
  bounce_status(st, "bad (#5.1)") ; is_str(st, "5.0.0", "two parts: 5.0.0") ;
  bounce_status(st, "bad (#2.0.0)") ; is_str(st, "5.0.0", "class 2 is not a failure") ;

  ok(bounce_build(&sa, &b), "build") ;
  ok(has(&sa, "Content-Type: multipart/report; report-type=delivery-status;"), "multipart/report") ;
  ok(has(&sa, "Hi. This is the qmail-send program at mail.example.org.\n"), "qmail's greeting") ;
  ok(has(&sa, "\n<joe@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n"), "recipient and reason") ;
  ok(has(&sa, "Final-Recipient: rfc822; joe@example.org\nAction: failed\nStatus: 5.1.1\n"), "DSN fields") ;
  ok(has(&sa, "Status: 5.4.1\n"), "second recipient's status") ;
  ok(!has(&sa, "\nBcc: ") && has(&sa, "To: sender@x.org?Bcc: spy@y\n") && has(&sa, "rfc822; evil?Bcc: victim@x\n"), "no forged header field from an address") ;
  ok(has(&sa, "Content-Type: message/rfc822\n\nSubject: hello\nFrom: a@b\n\nbody line\n"), "original attached whole") ;
  ok(sa.len > 32 && !memcmp(sa.s + sa.len - 32, "\n--qmail-bounce-1764000000-42--\n", 32), "ends with the closing boundary") ;

  sa.len = 0 ;
  b.cap = 10 ;
  ok(bounce_build(&sa, &b), "build over the cap") ;
  ok(has(&sa, "Content-Type: text/rfc822-headers\n\nSubject: hello\nFrom: a@b\n\n") && !has(&sa, "body line"), "over the cap: header only") ;
  ok(has(&sa, "only its header follows"), "and says so") ;
  stralloc_free(&sa) ;
  return tap_done() ;
}
