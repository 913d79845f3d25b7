/* Unit tests of qmail-local/qmail-autorespond-core.c: header fields, the decision to answer
   (every reason, in its order), the per-sender limit, the state file's name and contents, the
   response text's split, and the reply's header byte for byte. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <skalibs/stralloc.h>
#include "../../qmail-local/qmail-autorespond-core.h"
#include "../tap.h"

#define S(lit) (lit), sizeof(lit) - 1

static char const *const own[] = { "joe@example.org", "joe@example.org", "Joe.Bloggs@example.com" } ;
static autoresp_rcpt_t const rc = { .addrs = own, .n = 3, .nself = 2, .anyrcpt = 0 } ;
static autoresp_rcpt_t const rcany = { .addrs = own, .n = 3, .nself = 2, .anyrcpt = 1 } ;

static int decide (char const *hdr, char const *sender)
{
  return autoresp_decide(hdr, strlen(hdr), sender, &rc) ;
}

static void test_fields (void)
{
  char const *h = "Subject: one\n two\nnot a field\nX-A :  b\r\n\tc\r\n: nameless\nTo:x\n\nBody: no\n" ;
  size_t pos = 0 ;
  autoresp_field_t f ;
  ok(autoresp_nextfield(h, strlen(h), &pos, &f), "first field") ;
  is_mem(f.name, f.namelen, "Subject", "its name") ;
  is_mem(f.value, f.valuelen, " one\n two", "its value, folding kept") ;
  ok(autoresp_nextfield(h, strlen(h), &pos, &f), "a line that is no field is skipped") ;
  is_mem(f.name, f.namelen, "X-A", "blanks before the colon: the name without them") ;
  is_mem(f.value, f.valuelen, "  b\r\n\tc\r", "CRLF continuation") ;
  ok(autoresp_nextfield(h, strlen(h), &pos, &f), "a field without name is skipped") ;
  is_mem(f.name, f.namelen, "To", "To") ;
  is_mem(f.value, f.valuelen, "x", "value without a blank") ;
  ok(!autoresp_nextfield(h, strlen(h), &pos, &f), "the empty line ends the header") ;
  ok(!autoresp_nextfield(h, strlen(h), &pos, &f), "and stays the end") ;
  pos = 0 ;
  ok(autoresp_nextfield(S("A: b"), &pos, &f) && f.valuelen == 2 && pos == 4, "last field without newline") ;
  pos = 0 ;
  ok(!autoresp_nextfield(S("\r\nA: b\n"), &pos, &f), "CRLF empty line ends the header") ;
}

static void test_sender (void)
{
  char const *h = "To: joe@example.org\n" ;
  is(decide(h, "a@example.net"), AUTORESP_YES, "an ordinary message is answered") ;
  is(decide(h, ""), AUTORESP_NULLSENDER, "null sender") ;
  is(decide(h, "#@[]"), AUTORESP_NULLSENDER, "qmail's double-bounce sender #@[]") ;
  is(decide(h, "a"), AUTORESP_BADSENDER, "sender without @") ;
  is(decide(h, "@example.net"), AUTORESP_BADSENDER, "empty local part") ;
  is(decide(h, "a@"), AUTORESP_BADSENDER, "empty domain") ;
  is(decide(h, "a\nTo: x@y@example.net"), AUTORESP_BADSENDER, "a newline in the sender") ;
  is(decide(h, "MAILER-DAEMON@example.net"), AUTORESP_ROBOT, "MAILER-DAEMON") ;
  is(decide(h, "mailer-daemon@example.net"), AUTORESP_ROBOT, "mailer-daemon, any case") ;
  is(decide(h, "Postmaster@example.net"), AUTORESP_ROBOT, "postmaster") ;
  is(decide(h, "listserv@example.net"), AUTORESP_ROBOT, "listserv") ;
  is(decide(h, "MajorDomo@example.net"), AUTORESP_ROBOT, "majordomo") ;
  is(decide(h, "owner-list@example.net"), AUTORESP_ROBOT, "owner-*") ;
  is(decide(h, "list-owner@example.net"), AUTORESP_ROBOT, "*-owner") ;
  is(decide(h, "list-REQUEST@example.net"), AUTORESP_ROBOT, "*-request") ;
  is(decide(h, "owner@example.net"), AUTORESP_YES, "owner alone is a person") ;
  is(decide(h, "requester@example.net"), AUTORESP_YES, "requester is a person") ;
  is(decide(h, "postmaster-joe@example.net"), AUTORESP_YES, "only the whole local part postmaster") ;
  is(decide(h, "JOE@example.org"), AUTORESP_SELF, "the recipient itself, any case") ;
  is(decide(h, "joe.bloggs@example.com"), AUTORESP_SELF, "one of its other addresses") ;
}

static void test_headers (void)
{
  is(decide("To: joe@example.org\nAuto-Submitted: auto-replied\n", "a@example.net"), AUTORESP_AUTOSUBMITTED, "Auto-Submitted: auto-replied") ;
  is(decide("To: joe@example.org\nauto-submitted: Auto-Generated; owner-email=\"x@y\"\n", "a@example.net"), AUTORESP_AUTOSUBMITTED, "auto-generated with a parameter") ;
  is(decide("To: joe@example.org\nAuto-Submitted: No\n", "a@example.net"), AUTORESP_YES, "Auto-Submitted: No") ;
  is(decide("To: joe@example.org\nAuto-Submitted: (a (nested) comment)\n no (more)\n", "a@example.net"), AUTORESP_YES, "no after comments and folding") ;
  is(decide("To: joe@example.org\nAuto-Submitted: nope\n", "a@example.net"), AUTORESP_AUTOSUBMITTED, "nope is not no") ;
  is(decide("To: joe@example.org\nAuto-Submitted:\n", "a@example.net"), AUTORESP_AUTOSUBMITTED, "empty Auto-Submitted is not no") ;
  is(decide("To: joe@example.org\nPrecedence: bulk\n", "a@example.net"), AUTORESP_PRECEDENCE, "Precedence: bulk") ;
  is(decide("To: joe@example.org\nPRECEDENCE:  List\n", "a@example.net"), AUTORESP_PRECEDENCE, "Precedence: list") ;
  is(decide("To: joe@example.org\nPrecedence: junk (spam)\n", "a@example.net"), AUTORESP_PRECEDENCE, "Precedence: junk") ;
  is(decide("To: joe@example.org\nPrecedence: first-class\n", "a@example.net"), AUTORESP_YES, "Precedence: first-class") ;
  is(decide("To: joe@example.org\nPrecedence: bulky\n", "a@example.net"), AUTORESP_YES, "Precedence: bulky") ;
  is(decide("To: joe@example.org\nList-Id: Some list <some.list.example.net>\n", "a@example.net"), AUTORESP_LIST, "List-Id") ;
  is(decide("To: joe@example.org\nlist-unsubscribe: <mailto:x@y>\n", "a@example.net"), AUTORESP_LIST, "List-Unsubscribe") ;
  is(decide("To: joe@example.org\nList-Post: NO\n", "a@example.net"), AUTORESP_LIST, "List-Post") ;
  is(decide("To: joe@example.org\nList-Help: <mailto:x@y>\n", "a@example.net"), AUTORESP_LIST, "List-Help") ;
  is(decide("To: joe@example.org\nMailing-List: contact x@y; run by ezmlm\n", "a@example.net"), AUTORESP_LIST, "ezmlm's Mailing-List") ;
  is(decide("To: joe@example.org\nListen: music\n", "a@example.net"), AUTORESP_YES, "Listen is no list field") ;
  is(decide("To: joe@example.org\nX-Loop: joe@example.org\n", "a@example.net"), AUTORESP_XLOOP, "X-Loop naming us") ;
  is(decide("To: joe@example.org\nX-Loop: Joe <JOE@EXAMPLE.ORG>\n", "a@example.net"), AUTORESP_XLOOP, "X-Loop naming us in another form") ;
  is(decide("To: joe@example.org\nX-Loop: someone@example.net\n", "a@example.net"), AUTORESP_YES, "X-Loop of someone else") ;
  is(decide("To: joe@example.org\nDelivered-To: joe@example.org\n", "a@example.net"), AUTORESP_DELIVERED, "Delivered-To naming us") ;
  is(decide("To: joe@example.org\nDelivered-To: other@example.org\n", "a@example.net"), AUTORESP_YES, "Delivered-To of someone else") ;
  is(decide("To: joe@example.org\nDelivered-To: joe.bloggs@example.com\n", "a@example.net"), AUTORESP_YES, "an alias in Delivered-To is no loop here") ;
  is(decide("List-Id: x\nPrecedence: bulk\nTo: joe@example.org\n", "a@example.net"), AUTORESP_LIST, "the first field that says no is the reason") ;
  is(decide("Precedence: bulk\n", ""), AUTORESP_NULLSENDER, "the sender is checked first") ;
  is(decide("To: joe@example.org\n\nList-Id: in the body\n", "a@example.net"), AUTORESP_YES, "the body is no header") ;
}

static void test_addressed (void)
{
  is(decide("Subject: x\n", "a@example.net"), AUTORESP_NOTADDRESSED, "no recipient field") ;
  is(decide("To: someone@example.org\nCc: other@example.org\n", "a@example.net"), AUTORESP_NOTADDRESSED, "others only") ;
  is(decide("To: someone@example.org,\n Joe <Joe@Example.Org>\n", "a@example.net"), AUTORESP_YES, "To, folded, display name, any case") ;
  is(decide("To: undisclosed-recipients: ;\ncc: \"x\" <x@y>, joe@example.org (Joe)\n", "a@example.net"), AUTORESP_YES, "Cc with comment after a group") ;
  is(decide("Bcc: joe@example.org\n", "a@example.net"), AUTORESP_YES, "Bcc") ;
  is(decide("Resent-To: joe@example.org\n", "a@example.net"), AUTORESP_YES, "Resent-To") ;
  is(decide("Resent-Cc: joe@example.org\n", "a@example.net"), AUTORESP_YES, "Resent-Cc") ;
  is(decide("To: Joe.Bloggs@EXAMPLE.com\n", "a@example.net"), AUTORESP_YES, "an address from DIR/addresses") ;
  is(decide("From: joe@example.org\nReply-To: joe@example.org\n", "a@example.net"), AUTORESP_NOTADDRESSED, "From and Reply-To are no recipients") ;
  is(decide("To: \"unclosed <joe@example.org>\n", "a@example.net"), AUTORESP_NOTADDRESSED, "a To that does not parse names nobody") ;
  is(decide("To: joe@example.org.evil\n", "a@example.net"), AUTORESP_NOTADDRESSED, "whole addresses only") ;
  is(autoresp_decide(S("Subject: x\n"), "a@example.net", &rcany), AUTORESP_YES, "-a: not addressed, answered anyway") ;
  is(autoresp_decide(S("Subject: x\nPrecedence: bulk\n"), "a@example.net", &rcany), AUTORESP_PRECEDENCE, "-a: the other rules still hold") ;
  is(autoresp_decide(0, 0, "a@example.net", &rc), AUTORESP_NOTADDRESSED, "an empty header") ;
  ok(strlen(autoresp_whystr(AUTORESP_LIST)) > 0 && strcmp(autoresp_whystr(AUTORESP_LIST), autoresp_whystr(AUTORESP_XLOOP)), "each reason has its text") ;
}

static void test_ratelimit (void)
{
  unsigned long count = 0 ;
  time_t start = 0 ;
  ok(autoresp_ratelimit(&count, &start, 1000, 100, 1) && count == 1 && start == 1000, "no state: answer, window opens now") ;
  ok(!autoresp_ratelimit(&count, &start, 1099, 100, 1) && count == 1 && start == 1000, "within the window: no, state unchanged") ;
  ok(autoresp_ratelimit(&count, &start, 1100, 100, 1) && count == 1 && start == 1100, "window over: answer, new window") ;
  count = 0 ;
  ok(autoresp_ratelimit(&count, &start, 2000, 100, 3) && count == 1, "-n 3: first") ;
  ok(autoresp_ratelimit(&count, &start, 2010, 100, 3) && count == 2 && start == 2000, "second, same window") ;
  ok(autoresp_ratelimit(&count, &start, 2020, 100, 3) && count == 3 && start == 2000, "third") ;
  ok(!autoresp_ratelimit(&count, &start, 2030, 100, 3) && count == 3, "fourth: no") ;
  ok(autoresp_ratelimit(&count, &start, 2100, 100, 3) && count == 1 && start == 2100, "next window") ;
  count = 5 ; start = 3000 ;
  ok(autoresp_ratelimit(&count, &start, 3000, 0, 1) && count == 1, "-t 0: always") ;
  count = 1 ; start = 5000 ;
  ok(autoresp_ratelimit(&count, &start, 4000, 100, 1) && start == 4000, "a window in the future (clock set back) is over") ;
}

static void test_state (void)
{
  char a[AUTORESP_STATENAME], b[AUTORESP_STATENAME] ;
  stralloc sa = STRALLOC_ZERO ;
  autoresp_statename(a, "a@example.net") ;
  is_str(a, "3a915e6458ec3df4989ce2891de9069d0292a4ae766dd82c07aa699cc2a0c199", "name: SHA-256 in hex") ;
  autoresp_statename(b, "A@Example.NET") ;
  is_str(b, a, "any case, one file") ;
  autoresp_statename(b, "a@example.net.") ;
  ok(strcmp(a, b), "another address, another file") ;
  {
    char longaddr[300] ;
    memset(longaddr, 'x', sizeof longaddr - 1) ;
    longaddr[sizeof longaddr - 1] = 0 ;
    autoresp_statename(b, longaddr) ;
    is(strlen(b), 64, "a long address still gives 64 digits") ;
  }
  ok(autoresp_statefmt(&sa, 3, "a\nb@example.net"), "format") ;
  is_mem(sa.s, sa.len, "3\na_b@example.net\n", "count, then the address with no newline inside") ;
  is(autoresp_statecount(sa.s, sa.len), 3, "count read back") ;
  is(autoresp_statecount(S("12")), 12, "count without newline") ;
  is(autoresp_statecount(S("x\n")), 1, "garbage reads as 1") ;
  is(autoresp_statecount(S("")), 1, "an empty file reads as 1") ;
  is(autoresp_statecount(S("99999999999999999999999\n")), 1, "overflow reads as 1") ;
  stralloc_free(&sa) ;
}

static void test_textsplit (void)
{
  size_t h ;
  is(autoresp_textsplit(S("Subject: Away\nX: y\n\nBody\n"), &h), 20, "header then body") ;
  is(h, 19, "header length with its last newline") ;
  is(autoresp_textsplit(S("I am away.\n\nBack soon.\n"), &h), 0, "no header: all body") ;
  is(h, 0, "no header length") ;
  is(autoresp_textsplit(S("Subject: x\r\n\r\nBody"), &h), 14, "CRLF") ;
  is(h, 12, "CRLF header length") ;
  is(autoresp_textsplit(S("Subject: x\n"), &h), 11, "header only") ;
  is(h, 11, "header only length") ;
  is(autoresp_textsplit(S("\nbody\n"), &h), 0, "empty first line: all body") ;
}

static int header (stralloc *sa, char const *orig, char const *text, char const *from, char const *to)
{
  autoresp_reply_t r = { .from = from, .to = to, .now = 1795249010, .pid = 4321 } ;
  sa->len = 0 ;
  return autoresp_header(sa, orig, strlen(orig), text, strlen(text), &r) ;
}

/* 1 if the string is in sa */
static int has (stralloc *sa, char const *s)
{
  if (!stralloc_0(sa)) return 0 ;
  sa->len-- ;
  return !!strstr(sa->s, s) ;
}

#define GENERATED "Date: Sat, 21 Nov 2026 08:16:50 +0000\nMessage-ID: <1795249010.4321.qmail-autorespond@example.org>\n"

static void test_header (void)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(header(&sa, "Subject: Hello\nMessage-ID: <m1@example.net>\nReferences: <r1@x>\n <r2@x>\n", "", "joe@example.org", "a@example.net"), "reply header") ;
  is_mem(sa.s, sa.len,
    "From: joe@example.org\nTo: a@example.net\nSubject: Re: Hello\n" GENERATED
    "In-Reply-To: <m1@example.net>\nReferences: <r1@x>\n <r2@x>\n <m1@example.net>\n"
    "Auto-Submitted: auto-replied\nX-Loop: joe@example.org\n\n", "fields, References continued with the Message-ID") ;
  ok(header(&sa, "subject:  re: Hello \r\nmessage-id: x <m1@example.net> (c)\r\nIn-Reply-To: <p@x>\r\n",
    "From: Joe <joe@example.org>\nSubject: Away\nTo: nobody\nX-Other: kept\n folded\nDate: x\nBcc: b@x\n", "joe@example.org", "a b@example.net"), "reply header with a text header") ;
  is_mem(sa.s, sa.len,
    "To: \"a b\"@example.net\n" GENERATED
    "In-Reply-To: <m1@example.net>\nReferences: <p@x>\n <m1@example.net>\n"
    "Auto-Submitted: auto-replied\nX-Loop: joe@example.org\n"
    "From: Joe <joe@example.org>\nSubject: Away\nX-Other: kept\n folded\n\n", "text's From and Subject win, its To, Date, Bcc go; sender quoted") ;
  ok(header(&sa, "Subject: Re: Hello\nIn-Reply-To: <a@x> <b@x>\n", "", "joe@example.org", "a@example.net"), "no Message-ID") ;
  is_mem(sa.s, sa.len, "From: joe@example.org\nTo: a@example.net\nSubject: Re: Hello\n" GENERATED
    "Auto-Submitted: auto-replied\nX-Loop: joe@example.org\n\n", "Re: not doubled; no In-Reply-To; an In-Reply-To of two ids is no reference") ;
  ok(header(&sa, "Subject:   \nReferences: <r@x>\nMessage-ID: <bad id@x>\n", "", "joe@example.org", "a@example.net"), "blank subject") ;
  is_mem(sa.s, sa.len, "From: joe@example.org\nTo: a@example.net\nSubject: Re: your message\n" GENERATED
    "References: <r@x>\nAuto-Submitted: auto-replied\nX-Loop: joe@example.org\n\n", "a blank subject, an unusable Message-ID, References kept") ;
  {
    stralloc orig = STRALLOC_ZERO ;
    ok(stralloc_cats(&orig, "Message-ID: <m@x>\nReferences:"), "long References") ;
    for (int i = 0 ; i < 300 ; i++) stralloc_cats(&orig, "\n <0123456789@x>") ;
    stralloc_cats(&orig, "\n") ;
    stralloc_0(&orig) ;
    ok(header(&sa, orig.s, "", "joe@example.org", "a@example.net") && has(&sa, "\nReferences: <m@x>\n") && !has(&sa, "0123456789"), "a References over 4000 bytes is left out") ;
    stralloc_free(&orig) ;
  }
  {
    autoresp_reply_t r = { .from = "jo\001e@example.org", .to = "a@example.net", .now = 1795249010, .pid = 4321 } ;
    sa.len = 0 ;
    ok(stralloc_cats(&sa, "keep") && !autoresp_header(&sa, 0, 0, 0, 0, &r) && errno == EINVAL, "a recipient that cannot be written: EINVAL") ;
    is_mem(sa.s, sa.len, "keep", "and sa as it was") ;
  }
  ok(header(&sa, "", "", "joe", "a@example.net") && has(&sa, "qmail-autorespond@localhost>\n"), "a recipient without domain: Message-ID at localhost") ;
  stralloc_free(&sa) ;
}

int main (void)
{
  setenv("TZ", "UTC", 1) ;  /* the Date field is local time */
  tzset() ;
  test_fields() ;
  test_sender() ;
  test_headers() ;
  test_addressed() ;
  test_ratelimit() ;
  test_state() ;
  test_textsplit() ;
  test_header() ;
  return tap_done() ;
}
