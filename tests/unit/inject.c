/* Unit tests of qmail-send/qmail-inject-core.c: field names, the host rules of qmail-inject(8),
   rewriting in place, which fields are kept, deleted and collected, and the fields it adds. */
#include <errno.h>
#include <stdlib.h>
#include <skalibs/stralloc.h>
#include <skalibs/types.h>
#include "addrlist.h"
#include "../../qmail-send/qmail-inject-core.h"
#include "../tap.h"

static inject_hosts_t const hosts = { "dh.example.org", "example.org", "plus.example.net" } ;

static void fieldnames (void)
{
  is(inject_fieldname("To: a\n", 6), 2, "To:") ;
  is(inject_fieldname("X-Spam-Flag:yes\n", 16), 11, "no blank after the colon") ;
  is(inject_fieldname("Subject : x\n", 12), 7, "blank before the colon (obsolete)") ;
  is(inject_fieldname(": x\n", 4), 0, "empty name") ;
  is(inject_fieldname("Not a field\n", 12), 0, "blank inside the name") ;
  is(inject_fieldname("Sub\x01ject: x\n", 12), 0, "unprintable name") ;
  is(inject_fieldname("Sub\xc3\xa9: x\n", 10), 0, "8-bit name") ;
  is(inject_fieldname(" To: x\n", 7), 0, "continuation line") ;
  is(inject_fieldname("From nobody Sat Nov 21\n", 23), 0, "mbox From_ line") ;
  is(inject_fieldname("To", 2), 0, "no colon") ;
}

static void qualify (char const *host, char const *want, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(inject_qualify(&sa, host, strlen(host), &hosts), name) ;
  is_mem(sa.s, sa.len, want, name) ;
  stralloc_free(&sa) ;
}

static void qualifying (void)
{
  qualify("silverton", "silverton.example.org", "no dot: defaultdomain") ;
  qualify("mammoth.cs+", "mammoth.cs.plus.example.net", "trailing +: plusdomain") ;
  qualify("mammoth+", "mammoth.plus.example.net", "no dot and +: plusdomain, not defaultdomain") ;
  qualify("+", "plus.example.net", "+ alone") ;
  qualify("a.b", "a.b", "dotted: kept") ;
  qualify("[192.0.2.1]", "[192.0.2.1]", "literal: kept") ;
  qualify("", "dh.example.org", "empty: defaulthost") ;
}

/* Parse body, rewrite it, and list the envelope forms as "a|b". */
static void rewrite (char const *body, char const *want, char const *wantaddrs, char const *name)
{
  addrlist_t al = ADDRLIST_ZERO ;
  stralloc out = STRALLOC_ZERO, addrs = STRALLOC_ZERO ;
  ok(addrlist_parse(&al, body, strlen(body)) == ADDRLIST_OK && inject_rewrite(&out, body, strlen(body), &al, &hosts), name) ;
  is_mem(out.s, out.len, want, name) ;
  for (size_t i = 0 ; i < addrlist_n(&al) ; i++)
  {
    if (i) stralloc_catb(&addrs, "|", 1) ;
    inject_address(&addrs, &al, addrlist_get(&al, i), &hosts) ;
    addrs.len-- ;   /* the NUL */
  }
  stralloc_readyplus(&addrs, 1) ;   /* tap.h's memcmp wants a pointer even for 0 bytes */
  is_mem(addrs.s, addrs.len, wantaddrs, "  envelope forms") ;
  stralloc_free(&out) ;
  stralloc_free(&addrs) ;
  addrlist_free(&al) ;
}

static void rewriting (void)
{
  rewrite(" joe", " joe@dh.example.org", "joe@dh.example.org", "bare user: @defaulthost") ;
  rewrite(" joe (Joe Bloggs)", " joe@dh.example.org (Joe Bloggs)", "joe@dh.example.org", "comment kept after the address") ;
  rewrite(" djb@silverton", " djb@silverton.example.org", "djb@silverton.example.org", "no dot: .defaultdomain") ;
  rewrite(" eric@mammoth.cs+", " eric@mammoth.cs.plus.example.net", "eric@mammoth.cs.plus.example.net", "trailing +: .plusdomain") ;
  rewrite(" a@b.c", " a@b.c", "a@b.c", "qualified: untouched") ;
  rewrite(" u@", " u@dh.example.org", "u@dh.example.org", "empty host: defaulthost") ;
  rewrite(" Jane <@r1,@r2:jane@x.y>", " Jane <jane@x.y>", "jane@x.y", "source route dropped") ;
  rewrite(" Jane < jane >", " Jane < jane@dh.example.org >", "jane@dh.example.org", "inside blanks kept") ;
  rewrite(" djb fred", " djb@dh.example.org, fred@dh.example.org", "djb@dh.example.org|fred@dh.example.org", "missing comma inserted") ;
  rewrite(" <a@b.c> d", " <a@b.c>, d@dh.example.org", "a@b.c|d@dh.example.org", "comma after >") ;
  rewrite(" team: a, b@c.d;", " team: a@dh.example.org, b@c.d;", "a@dh.example.org|b@c.d", "group members rewritten") ;
  rewrite(" undisclosed-recipients: ;", " undisclosed-recipients: ;", "", "empty group untouched") ;
  rewrite(" <>", " <>", "", "null address untouched") ;
  rewrite(" \"john doe\"@host", " \"john doe\"@host.example.org", "john doe@host.example.org", "quoted local part kept quoted") ;
  rewrite(" u@[192.0.2.1]", " u@[192.0.2.1]", "u@[192.0.2.1]", "literal kept") ;
  rewrite(" a,\n\tb@x (c)", " a@dh.example.org,\n\tb@x.example.org (c)", "a@dh.example.org|b@x.example.org", "folded list keeps its folding") ;
  rewrite(" a@b.c\r", " a@b.c\r", "a@b.c", "CR before the newline kept") ;
}

static char const *list (stralloc const *sa, stralloc *out)
{
  out->len = 0 ;
  for (size_t i = 0 ; i < sa->len ; i++) stralloc_catb(out, sa->s[i] ? sa->s + i : "|", 1) ;
  if (out->len) out->len-- ;
  stralloc_0(out) ;
  return out->s ;
}

static int field (inject_t *ij, char const *f)
{
  return inject_field(ij, f, strlen(f)) ;
}

static void header (void)
{
  inject_t ij = INJECT_ZERO ;
  stralloc tmp = STRALLOC_ZERO ;
  ij.hosts = hosts ;
  ok(field(&ij, "To: a, b@c.d\n") == 1, "To") ;
  ok(field(&ij, "cc: Joe <joe@x>\n") == 1, "cc, any case") ;
  ok(field(&ij, "Bcc: secret\n") == 1, "Bcc") ;
  ok(field(&ij, "Apparently-To: app\n") == 1, "Apparently-To") ;
  ok(field(&ij, "Subject: hi\n  there\n") == 1, "folded Subject") ;
  ok(field(&ij, "Content-Length: 42\n") == 1, "Content-Length") ;
  ok(field(&ij, "Return-Path: <rp@x.y>\n") == 1, "Return-Path") ;
  ok(field(&ij, "Return-Path: <second@x.y>\n") == 1, "second Return-Path") ;
  ok(field(&ij, "Reply-To: r\n") == 1, "Reply-To") ;
  ok(field(&ij, "X-Last: no newline") == 1, "field without newline") ;
  is_mem(ij.header.s, ij.header.len, "To: a@dh.example.org, b@c.d\ncc: Joe <joe@x.example.org>\nApparently-To: app@dh.example.org\n"
    "Subject: hi\n  there\nReply-To: r@dh.example.org\nX-Last: no newline\n", "kept fields, rewritten; Bcc, Content-Length, Return-Path gone") ;
  is_str(list(&ij.rcpts, &tmp), "a@dh.example.org|b@c.d|joe@x.example.org|secret@dh.example.org|app@dh.example.org", "recipients") ;
  is_str(list(&ij.tocc, &tmp), "a@dh.example.org|b@c.d|joe@x.example.org", "To and Cc") ;
  is_str(ij.returnpath.s, "rp@x.y", "the first Return-Path") ;
  ok(ij.seen == (INJECT_SEEN_TOCC | INJECT_SEEN_RETURNPATH), "seen: To/Cc and Return-Path only") ;
  is(ij.resentrcpts.len, 0, "no resent recipients") ;
  ok(field(&ij, "To: a (unclosed\n") == ADDRLIST_ECOMMENT, "a syntax error is returned") ;
  ok(field(&ij, "Bcc: \"unclosed\n") == ADDRLIST_EQUOTE, "even in a deleted field") ;
  inject_free(&ij) ;

  ij = (inject_t)INJECT_ZERO ;
  ij.hosts = hosts ;
  ok(field(&ij, "Return-Path: <>\r\n") == 1 && ij.returnpath.len == 1 && ij.returnpath.s[0] == 0, "Return-Path <>: the null sender") ;
  ok(field(&ij, "Resent-To: r1\r\n") == 1 && field(&ij, "Resent-Bcc: r2\n") == 1 && field(&ij, "To: t\n") == 1, "resent fields") ;
  ok(field(&ij, "Resent-Date: now\n") == 1 && field(&ij, "Resent-Message-ID: <x@y>\n") == 1 && field(&ij, "Resent-From: f\n") == 1, "more resent fields") ;
  is_str(list(&ij.resentrcpts, &tmp), "r1@dh.example.org|r2@dh.example.org", "resent recipients") ;
  is_str(list(&ij.rcpts, &tmp), "t@dh.example.org", "To still collected") ;
  ok(ij.seen & INJECT_SEEN_RESENT && ij.seen & INJECT_SEEN_RTOCC && ij.seen & INJECT_SEEN_RDATE
     && ij.seen & INJECT_SEEN_RMSGID && ij.seen & INJECT_SEEN_RFROM, "resent seen bits") ;
  is_mem(ij.header.s, ij.header.len, "Resent-To: r1@dh.example.org\r\nTo: t@dh.example.org\nResent-Date: now\n"
    "Resent-Message-ID: <x@y>\nResent-From: f@dh.example.org\n", "CRLF kept, Resent-Bcc gone") ;
  inject_free(&ij) ;

  ij = (inject_t)INJECT_ZERO ;
  ij.hosts = hosts ;
  ij.flags = INJECT_DELFROM | INJECT_DELMSGID ;
  ok(field(&ij, "From: me\n") == 1 && field(&ij, "Message-ID: <a@b>\n") == 1 && field(&ij, "Date: x\n") == 1, "letters f and i") ;
  is_mem(ij.header.s, ij.header.len, "Date: x\n", "From and Message-ID deleted") ;
  ok(ij.seen == INJECT_SEEN_DATE, "and not seen: they will be made anew") ;
  inject_free(&ij) ;
  stralloc_free(&tmp) ;
}

static void generated (void)
{
  stralloc sa = STRALLOC_ZERO ;
  setenv("TZ", "UTC", 1) ;
  ok(inject_datefield(&sa, "Date", 1700000000), "Date") ;
  is_mem(sa.s, sa.len, "Date: Tue, 14 Nov 2023 22:13:20 +0000\n", "Date text") ;
  sa.len = 0 ;
  ok(inject_msgidfield(&sa, "Message-ID", 1700000000, 4242, "abc", "id.example.org"), "Message-ID") ;
  is_mem(sa.s, sa.len, "Message-ID: <1700000000.4242.abc@id.example.org>\n", "Message-ID text") ;
  sa.len = 0 ;
  ok(inject_fromfield(&sa, "From", "u@h.org", "Joe User", 0), "From") ;
  is_mem(sa.s, sa.len, "From: Joe User <u@h.org>\n", "name-address style") ;
  sa.len = 0 ;
  inject_fromfield(&sa, "From", "u@h.org", "Joe User", 1) ;
  is_mem(sa.s, sa.len, "From: u@h.org (Joe User)\n", "address-comment style (letter c)") ;
  sa.len = 0 ;
  inject_fromfield(&sa, "From", "u@h.org", "J. \"Q\" User", 0) ;
  is_mem(sa.s, sa.len, "From: \"J. \\\"Q\\\" User\" <u@h.org>\n", "name quoted") ;
  sa.len = 0 ;
  inject_fromfield(&sa, "From", "u@h.org", "a (b)", 1) ;
  is_mem(sa.s, sa.len, "From: u@h.org (a \\(b\\))\n", "comment escaped") ;
  sa.len = 0 ;
  inject_fromfield(&sa, "Resent-From", "u@h.org", "Evil\nBcc: x", 0) ;
  is_mem(sa.s, sa.len, "Resent-From: \"Evil Bcc: x\" <u@h.org>\n", "a newline in the name cannot add a field") ;
  sa.len = 0 ;
  inject_fromfield(&sa, "From", "john doe@h.org", 0, 0) ;
  is_mem(sa.s, sa.len, "From: \"john doe\"@h.org\n", "no name; local part quoted") ;
  sa.len = 0 ;
  inject_fromfield(&sa, "From", "u@h.org", "", 1) ;
  is_mem(sa.s, sa.len, "From: u@h.org\n", "empty name") ;
  sa.len = 0 ;
  ok(inject_listfield(&sa, "Mail-Followup-To", "a@b\0c@d\0", 8), "list field") ;
  is_mem(sa.s, sa.len, "Mail-Followup-To: a@b, c@d\n", "list text") ;
  sa.len = 0 ;
  inject_listfield(&sa, "To", "aaaaaaaaaaaaaaaaaaaa@example.org\0bbbbbbbbbbbbbbbbbbbb@example.org\0cccccccccccccccccccc@example.org\0", 99) ;
  is_mem(sa.s, sa.len, "To: aaaaaaaaaaaaaaaaaaaa@example.org, bbbbbbbbbbbbbbbbbbbb@example.org,\n cccccccccccccccccccc@example.org\n", "folded before 78 columns") ;
  stralloc_free(&sa) ;
}

static void lists (void)
{
  char const l[] = "list@Example.ORG\0other@x\0" ;
  ok(inject_inlist(l, sizeof l - 1, "LIST@example.org"), "inlist: case-insensitive") ;
  ok(!inject_inlist(l, sizeof l - 1, "list@example.org.x"), "inlist: whole address") ;
  ok(!inject_inlist(l, 0, "list@example.org"), "inlist: empty list") ;
}

static void rcptset (void)
{
  inject_rcpts_t r = INJECT_RCPTS_ZERO ;
  char buf[40] ;
  int dup = 0, added = 0 ;
  is(inject_rcpts_add(&r, "list@Example.ORG"), 1, "rcpts: added") ;
  is(inject_rcpts_add(&r, "list@example.org"), 2, "rcpts: domain without case") ;
  is(inject_rcpts_add(&r, "LIST@example.org"), 1, "rcpts: local part exact") ;
  is(inject_rcpts_add(&r, "list"), 1, "rcpts: no domain differs from one") ;
  is(inject_rcpts_add(&r, "list"), 2, "rcpts: no domain twice") ;
  is(inject_rcpts_add(&r, ""), 1, "rcpts: empty address") ;
  ok(r.list.len == 40 && !memcmp(r.list.s, "list@Example.ORG\0LIST@example.org\0list\0\0", 40), "rcpts: in order, first spelling kept") ;
  is(r.n, 4, "rcpts: count") ;
  for (unsigned int i = 0 ; i < 20000 ; i++)
  {
    size_t n = 0 ;
    memcpy(buf, "u", 1) ; n = 1 ;
    n += uint_fmt(buf + n, i % 10000) ;
    memcpy(buf + n, i < 10000 ? "@a.example" : "@A.EXAMPLE", 11) ;
    switch (inject_rcpts_add(&r, buf)) { case 1 : added++ ; break ; case 2 : dup++ ; break ; }
  }
  ok(added == 10000 && dup == 10000 && r.n == 10004, "rcpts: 20,000 adds through growth, half duplicates") ;
  ok(!strcmp(r.list.s + r.list.len - 16, "u9999@a.example"), "rcpts: the last one at the end") ;
  inject_rcpts_free(&r) ;
}

static void verp (char const *sender, int m, int r, char const *want, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(inject_verp(&sa, sender, m, r, 1700000000, 77), name) ;
  is_str(sa.s, want, name) ;
  stralloc_free(&sa) ;
}

static void verps (void)
{
  verp("a@b.c", 0, 0, "a@b.c", "no letter") ;
  verp("a@b.c", 1, 0, "a-1700000000.77@b.c", "m: date and pid") ;
  verp("a@b.c", 0, 1, "a-@b.c-@[]", "r: per-recipient VERP") ;
  verp("a@b.c", 1, 1, "a-1700000000.77-@b.c-@[]", "m and r") ;
  verp("", 1, 1, "", "null sender unchanged") ;
}

/* The envelope forms of s, joined by '|'; 0 if s does not parse. */
static int forms (stralloc *out, addrlist_t *al, char const *s, size_t len)
{
  out->len = 0 ;
  if (addrlist_parse(al, s, len)) return 0 ;
  for (size_t i = 0 ; i < addrlist_n(al) ; i++)
  {
    inject_address(out, al, addrlist_get(al, i), &hosts) ;
    out->s[out->len - 1] = '|' ;
  }
  return stralloc_0(out) ;
}

/* Random lists: rewriting in place gives a list with the same envelope addresses, and
   rewriting it again changes nothing. */
static void random_rewrites (void)
{
  static char const alphabet[] = "ab.@,;:<>()\" +[]" ;
  addrlist_t al = ADDRLIST_ZERO ;
  stralloc once = STRALLOC_ZERO, twice = STRALLOC_ZERO, f1 = STRALLOC_ZERO, f2 = STRALLOC_ZERO ;
  unsigned long seed = 777 ;
  unsigned int bad = 0, tried = 0 ;
  for (unsigned int n = 0 ; n < 20000 ; n++)
  {
    char s[30] ;
    size_t len = n % sizeof s ;
    for (size_t i = 0 ; i < len ; i++)
    {
      seed = seed * 6364136223846793005UL + 1442695040888963407UL ;
      s[i] = alphabet[(seed >> 33) % (sizeof alphabet - 1)] ;
    }
    if (!forms(&f1, &al, s, len)) continue ;
    tried++ ;
    once.len = twice.len = 0 ;
    if (!inject_rewrite(&once, s, len, &al, &hosts) || !forms(&f2, &al, once.s, once.len) || strcmp(f1.s, f2.s)
     || !inject_rewrite(&twice, once.s, once.len, &al, &hosts) || twice.len != once.len || memcmp(twice.s, once.s, once.len))
    {
      if (!bad++) printf("# [%.*s] -> [%.*s]: %s / %s\n", (int)len, s, (int)once.len, once.s, f1.s, f2.len ? f2.s : "") ;
    }
  }
  is(bad, 0, "random lists: rewriting keeps the addresses and is idempotent") ;
  ok(tried > 2000, "random lists: many parse") ;
  stralloc_free(&once) ; stralloc_free(&twice) ; stralloc_free(&f1) ; stralloc_free(&f2) ;
  addrlist_free(&al) ;
}

int main (void)
{
  fieldnames() ;
  qualifying() ;
  rewriting() ;
  header() ;
  generated() ;
  lists() ;
  rcptset() ;
  verps() ;
  random_rewrites() ;
  return tap_done() ;
}
