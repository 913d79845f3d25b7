/* Unit tests of qmail-smtpd's core: the DATA/BDAT decoder (fed in chunks of every size,
   including the SMTP smuggling variants), ESMTP parameters, rcpthosts and badmailfrom
   matching, the Received line, and address literals. */
#include <string.h>
#include <skalibs/stralloc.h>
#include "../../qmail-smtpd/smtpd-core.h"
#include "../../qmail-smtpd/smtpd.h"
#include "../tap.h"

#define S(lit) (lit), sizeof(lit) - 1

/* Decode in (len bytes) in chunks of step: the output, whether it ended, the bytes consumed. */
static void decode (unsigned int mode, uint64_t max, char const *in, size_t len, size_t step, smtpd_data_t *d, stralloc *out, size_t *used)
{
  size_t pos = 0 ;
  smtpd_data_init(d, mode, max) ;
  out->len = 0 ;
  while (pos < len && !d->done)
  {
    size_t n = len - pos < step ? len - pos : step ;
    size_t k = smtpd_data_feed(d, in + pos, n, out) ;
    pos += k ;
    if (k < n) break ;
  }
  if (mode == SMTPD_DATA_RAW) smtpd_data_end(d) ;
  *used = pos ;
}

/* Every chunk size gives the same result. */
static void dot (char const *in, size_t len, char const *want, int done, int bare, size_t used, char const *name)
{
  stralloc out = STRALLOC_ZERO ;
  int same = 1 ;
  for (size_t step = 1 ; step <= len ; step++)
  {
    smtpd_data_t d ;
    size_t u ;
    decode(SMTPD_DATA_DOT, 0, in, len, step, &d, &out, &u) ;
    if (step == len)
    {
      is_mem(out.s, out.len, want, name) ;
      is(d.done, done, name) ;
      is(d.bare, bare, name) ;
      is(u, used, name) ;
    }
    else if (out.len != strlen(want) || memcmp(out.s, want, out.len) || d.done != done || d.bare != bare || u != used) same = 0 ;
  }
  ok(same, name) ;
  stralloc_free(&out) ;
}

static void raw (char const *in, size_t len, char const *want, int bare, char const *name)
{
  stralloc out = STRALLOC_ZERO ;
  for (size_t step = 1 ; step <= len ; step++)
  {
    smtpd_data_t d ;
    size_t u ;
    decode(SMTPD_DATA_RAW, 0, in, len, step, &d, &out, &u) ;
    if (step == 1 || step == len)
    {
      is_mem(out.s, out.len, want, name) ;
      is(d.bare, bare, name) ;
      is(u, len, name) ;
    }
  }
  stralloc_free(&out) ;
}

static void test_data (void)
{
  smtpd_data_t d ;
  stralloc out = STRALLOC_ZERO ;
  size_t u ;
  dot(S("a\r\nb\r\n.\r\nRSET\r\n"), "a\nb\n", 1, 0, 9, "plain message, the next command stays unread") ;
  dot(S(".\r\n"), "", 1, 0, 3, "empty message") ;
  dot(S("\r\n.\r\n"), "\n", 1, 0, 5, "one empty line") ;
  dot(S("..x\r\n.\r\n"), ".x\n", 1, 0, 8, "a stuffed dot is removed") ;
  dot(S(".x\r\n..\r\n.\r\n"), "x\n.\n", 1, 0, 11, "a leading dot goes, a lone stuffed dot stays") ;
  dot(S("a\r\n.\r"), "a\n", 0, 0, 5, "no end yet after CRLF.CR") ;
  dot(S("a\n.\nb\r\n.\r\n"), "a\n.\nb\n", 1, 1, 10, "LF.LF is data, and bare") ;
  dot(S("a\r.\rb\r\n.\r\n"), "a\r.\rb\n", 1, 1, 10, "CR.CR is data, and bare") ;
  dot(S("a\r\n.\nb\r\n.\r\n"), "a\n\nb\n", 1, 1, 11, "CRLF.LF is not the end") ;
  dot(S("a\n.\r\nb\r\n.\r\n"), "a\n.\nb\n", 1, 1, 11, "LF.CRLF is not the end") ;
  dot(S("a\r\n.\r\r\n.\r\n"), "a\n\r\n", 1, 1, 10, "CRLF.CRCRLF is not the end") ;
  dot(S("a\r\r\n.\r\n"), "a\r\n", 1, 1, 7, "CR CR LF: a bare CR") ;
  dot(S("a\n.\n"), "a\n.\n", 0, 1, 4, "LF.LF never ends the message") ;
  dot(S("a\r\n\x01\xff\r\n.\r\n"), "a\n\x01\xff\n", 1, 0, 10, "control and 8-bit bytes are data") ;
  raw(S("a\r\nb"), "a\nb", 0, "BDAT: CRLF to LF, last line without CRLF kept") ;
  raw(S("x\r\n.\r\nY\r\n"), "x\n.\nY\n", 0, "BDAT: no dot handling, no end marker") ;
  raw(S("a\r"), "a", 1, "BDAT: a CR at the very end is bare") ;
  raw(S("a\nb\r\n"), "a\nb\n", 1, "BDAT: a bare LF") ;

  decode(SMTPD_DATA_DOT, 3, S("abcdef\r\n.\r\n"), 4, &d, &out, &u) ;
  is_mem(out.s, out.len, "abc", "past databytes nothing more is kept") ;
  is(d.bytes, 7, "but the size is counted") ;
  ok(smtpd_data_toobig(&d), "and it is too big") ;
  decode(SMTPD_DATA_DOT, 7, S("abcdef\r\n.\r\n"), 4, &d, &out, &u) ;
  ok(!smtpd_data_toobig(&d), "exactly databytes is fine") ;
  decode(SMTPD_DATA_DOT, 0, S("Received: x\r\nreceived: y\r\nDelivered-To: z\r\nX: Received: no\r\nDELIVERED-TO:w\r\n\r\nReceived: body\r\n.\r\n"), 5, &d, &out, &u) ;
  is(d.hops, 4, "hops: Received and Delivered-To fields of the header only") ;
  stralloc_free(&out) ;
}

static void test_params (void)
{
  smtpd_params_t p = SMTPD_PARAMS_ZERO ;
  char const *bad = 0 ;
  is(smtpd_params(&p, S(" SIZE=1000 BODY=8BITMIME SMTPUTF8"), 1, &bad), SMTPD_PARAM_OK, "MAIL parameters") ;
  is(p.size, 1000, "SIZE") ;
  ok(p.eightbit && p.utf8, "BODY=8BITMIME, SMTPUTF8") ;
  is(smtpd_params(&p, S("size=5 body=7bit"), 1, &bad), SMTPD_PARAM_OK, "keywords in any case") ;
  ok(p.size == 5 && !p.eightbit, "values") ;
  is(smtpd_params(&p, S("SIZE=abc"), 1, &bad), SMTPD_PARAM_SYNTAX, "SIZE not a number") ;
  is(smtpd_params(&p, S("SIZE=99999999999999999999"), 1, &bad), SMTPD_PARAM_SYNTAX, "SIZE too large") ;
  is(smtpd_params(&p, S("SIZE"), 1, &bad), SMTPD_PARAM_SYNTAX, "SIZE without value") ;
  is(smtpd_params(&p, S("BODY=BINARYMIME"), 1, &bad), SMTPD_PARAM_SYNTAX, "BODY=BINARYMIME is not offered") ;
  is(smtpd_params(&p, S("SMTPUTF8=yes"), 1, &bad), SMTPD_PARAM_SYNTAX, "SMTPUTF8 takes no value") ;
  is(smtpd_params(&p, S("=x"), 1, &bad), SMTPD_PARAM_SYNTAX, "empty keyword") ;
  is(smtpd_params(&p, S("RET=HDRS"), 1, &bad), SMTPD_PARAM_UNKNOWN, "DSN is not offered") ;
  is_str(bad, "RET=HDRS", "the offending parameter") ;
  is(smtpd_params(&p, S("SIZE=10"), 0, &bad), SMTPD_PARAM_UNKNOWN, "RCPT takes no SIZE") ;
  is(smtpd_params(&p, S("  "), 0, &bad), SMTPD_PARAM_OK, "blanks only") ;
}

static void test_lists (void)
{
  static char const hosts[] = "example.com\0.sub.org\0[127.0.0.1]\0" ;
  static char const bad[] = "bad@x.org\0@spam.com\0" ;
  is(smtpd_rcpthosts(hosts, 3, 0, "u@example.com"), 1, "rcpthosts: exact") ;
  is(smtpd_rcpthosts(hosts, 3, 0, "u@EXAMPLE.Com"), 1, "rcpthosts: any case") ;
  is(smtpd_rcpthosts(hosts, 3, 0, "u@x.example.com"), 0, "rcpthosts: no subdomain without a dot entry") ;
  is(smtpd_rcpthosts(hosts, 3, 0, "u@a.b.sub.org"), 1, "rcpthosts: .domain matches below") ;
  is(smtpd_rcpthosts(hosts, 3, 0, "u@sub.org"), 0, "rcpthosts: .domain is not the domain itself") ;
  is(smtpd_rcpthosts(hosts, 3, 0, "u@[127.0.0.1]"), 1, "rcpthosts: a literal") ;
  is(smtpd_rcpthosts(hosts, 3, 0, "u@evil.com"), 0, "rcpthosts: other domains") ;
  is(smtpd_rcpthosts(hosts, 3, 0, "a@b@example.com"), 1, "rcpthosts: the last @ counts") ;
  is(smtpd_rcpthosts(hosts, 3, 0, "postmaster"), 1, "rcpthosts: no @ is fine, as in qmail") ;
  is(smtpd_rcpthosts(hosts, 0, 0, "u@example.com"), 0, "rcpthosts: empty list") ;
  is(smtpd_badmailfrom(bad, 2, "BAD@X.ORG"), 1, "badmailfrom: whole address, any case") ;
  is(smtpd_badmailfrom(bad, 2, "u@spam.com"), 1, "badmailfrom: @domain") ;
  is(smtpd_badmailfrom(bad, 2, "u@sub.spam.com"), 0, "badmailfrom: @domain is not a subdomain match") ;
  is(smtpd_badmailfrom(bad, 2, "good@x.org"), 0, "badmailfrom: others pass") ;
  is(smtpd_badmailfrom(bad, 2, ""), 0, "badmailfrom: the null sender passes") ;
  ok(smtp_sameip("[127.0.0.1]", "127.0.0.1"), "literal: IPv4") ;
  ok(smtp_sameip("[IPv6:0:0::1]", "::1"), "literal: IPv6 in another spelling") ;
  ok(smtp_sameip("[ipv6:::1]", "::1"), "literal: the tag in any case") ;
  ok(!smtp_sameip("[127.0.0.2]", "127.0.0.1"), "literal: another address") ;
  ok(!smtp_sameip("[::1]", "::1"), "literal: IPv6 needs its tag") ;
  ok(!smtp_sameip("example.com", "127.0.0.1"), "literal: a name is not") ;
}

static void test_received (void)
{
  stralloc sa = STRALLOC_ZERO ;
  smtpd_rcvd_t r = { .helo = "client.example", .info = 0, .host = "h.example", .ip = "192.0.2.1", .me = "mx.example", .proto = "ESMTP", .ip6 = 0 } ;
  ok(smtpd_received(&sa, &r, 1795248000), "Received line") ;
  is_mem(sa.s, sa.len, "Received: from client.example (h.example [192.0.2.1])\n\tby mx.example (qmail-smtpd) with ESMTP; Sat, 21 Nov 2026 08:00:00 +0000\n", "its text") ;
  sa.len = 0 ;
  r.helo = "evil (x) [y]\r\nX: 1" ; r.host = 0 ; r.info = "ident" ; r.ip = "2001:db8::1" ; r.ip6 = 1 ; r.proto = "UTF8SMTP" ;
  ok(smtpd_received(&sa, &r, 1795248000), "Received line with hostile HELO") ;
  is_mem(sa.s, sa.len, "Received: from evil??x??[y]??X:?1 (ident@[IPv6:2001:db8::1])\n\tby mx.example (qmail-smtpd) with UTF8SMTP; Sat, 21 Nov 2026 08:00:00 +0000\n", "HELO made safe, IPv6 tagged") ;
  sa.len = 0 ;
  sa.len = 0 ;
  r.ip6 = 0 ; r.ip = "192.0.2.1" ; r.info = 0 ; r.proto = "ESMTPSA" ; r.tls = "TLSv1.3 TLS_AES_256_GCM_SHA384" ; r.auth = "demo (x)" ; r.helo = "c" ;
  ok(smtpd_received(&sa, &r, 1795248000), "Received line after TLS and AUTH") ;
  is_mem(sa.s, sa.len, "Received: from c ([192.0.2.1])\n\tby mx.example (qmail-smtpd) with ESMTPSA (TLSv1.3 TLS_AES_256_GCM_SHA384; authenticated as demo??x?); Sat, 21 Nov 2026 08:00:00 +0000\n", "TLS and the user in a comment") ;
  sa.len = 0 ;
  r.tls = 0 ; r.auth = 0 ;
  r.helo = 0 ; r.info = 0 ; r.ip = 0 ; r.proto = "SMTP" ;
  ok(smtpd_received(&sa, &r, 1795248000), "Received line without client information") ;
  is_mem(sa.s, sa.len, "Received: from unknown (unknown)\n\tby mx.example (qmail-smtpd) with SMTP; Sat, 21 Nov 2026 08:00:00 +0000\n", "unknown") ;
  stralloc_free(&sa) ;
}

static void test_auth (void)
{
  char a[] = "\0demo\0secret" ;
  char b[] = "demo\0demo\0pw" ;
  char c[] = "boss\0demo\0pw" ;
  char d[] = "\0demo" ;
  char e[] = "\0\0pw" ;
  char const *u = 0, *p = 0 ;
  ok(smtpd_authplain(a, sizeof a - 1, &u, &p), "AUTH PLAIN without authzid") ;
  ok(u && p && !strcmp(u, "demo") && !strcmp(p, "secret"), "user and password") ;
  ok(smtpd_authplain(b, sizeof b - 1, &u, &p), "authzid equal to the user") ;
  ok(!smtpd_authplain(c, sizeof c - 1, &u, &p), "authzid naming someone else is refused") ;
  ok(!smtpd_authplain(d, sizeof d - 1, &u, &p), "no password field") ;
  ok(!smtpd_authplain(e, sizeof e - 1, &u, &p), "empty user") ;
  is_str(smtpd_protocol(0, 0, 1, 1), "SMTP", "HELO: SMTP") ;
  is_str(smtpd_protocol(1, 0, 0, 0), "ESMTP", "ESMTP") ;
  is_str(smtpd_protocol(1, 0, 1, 0), "ESMTPS", "ESMTPS") ;
  is_str(smtpd_protocol(1, 0, 0, 1), "ESMTPA", "ESMTPA") ;
  is_str(smtpd_protocol(1, 0, 1, 1), "ESMTPSA", "ESMTPSA") ;
  is_str(smtpd_protocol(1, 1, 1, 1), "UTF8SMTPSA", "UTF8SMTPSA") ;
}

int main (void)
{
  test_auth() ;
  test_data() ;
  test_params() ;
  test_lists() ;
  test_received() ;
  return tap_done() ;
}
