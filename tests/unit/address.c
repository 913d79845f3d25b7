/* Unit tests of lib/address.c: every accepted path form, every rejection with its error kind,
   the RFC 5321 length limits at their edges, SMTPUTF8, parameter offsets, quoting and the
   quote(parse(x)) round trip, and the domain case rules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/stralloc.h>
#include "address.h"
#include "../tap.h"

#define U8 ADDRESS_SMTPUTF8
#define NUL ADDRESS_ALLOWNULL
#define BARE ADDRESS_ALLOWBARE

static char namebuf[1024] ;

/* A printable test name: what, then the input with control and 8-bit bytes as \xNN */
static char const *label (char const *what, char const *s, size_t len)
{
  size_t n = (size_t)snprintf(namebuf, 64, "%s ", what), i = 0 ;
  for (; i < len && n + 8 < sizeof namebuf ; i++)
  {
    unsigned char c = s[i] ;
    if (c < 32 || c >= 127) n += (size_t)snprintf(namebuf + n, 5, "\\x%02x", c) ;
    else namebuf[n++] = c ;
  }
  if (i < len) namebuf[n++] = '~' ;
  namebuf[n] = 0 ;
  return namebuf ;
}

/* The input in a heap block of exactly len bytes, so valgrind sees any read past the end */
static address_err_t parse (stralloc *sa, size_t *params, char const *in, size_t len, unsigned int flags)
{
  char *copy = malloc(len ? len : 1) ;
  address_err_t e ;
  if (!copy) { perror("malloc") ; exit(111) ; }
  memcpy(copy, in, len) ;
  e = address_parse(sa, params, copy, len, flags) ;
  free(copy) ;
  return e ;
}

static void parse_ok (char const *in, unsigned int flags, char const *want, size_t wantparams)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t params = (size_t)-1 ;
  is(parse(&sa, &params, in, strlen(in), flags), ADDRESS_OK, label("accept", in, strlen(in))) ;
  is_mem(sa.s ? sa.s : "", sa.len, want, "  internal form") ;
  ok(sa.s && !sa.s[sa.len], "  NUL-terminated") ;
  is(params, wantparams, "  parameter offset") ;
  stralloc_free(&sa) ;
}

static void parse_errb (char const *in, size_t len, unsigned int flags, address_err_t want)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t params = 4242 ;
  address_err_t e = parse(&sa, &params, in, len, flags) ;
  if (!is(e, want, label("reject", in, len)))
    printf("#   got \"%s\", want \"%s\"\n", address_errstr(e), address_errstr(want)) ;
  ok(!sa.len && params == 4242, "  no output on error") ;
  stralloc_free(&sa) ;
}

static void parse_err (char const *in, unsigned int flags, address_err_t want)
{
  parse_errb(in, strlen(in), flags, want) ;
}

/* pre, then n copies of c, then post */
static char const *mk (stralloc *sa, char const *pre, char c, size_t n, char const *post)
{
  sa->len = 0 ;
  if (!stralloc_cats(sa, pre) || !stralloc_readyplus(sa, n)) { perror("mk") ; exit(111) ; }
  memset(sa->s + sa->len, c, n) ;
  sa->len += n ;
  if (!stralloc_cats(sa, post) || !stralloc_0(sa)) { perror("mk") ; exit(111) ; }
  sa->len-- ;
  return sa->s ;
}

/* parse(in), then quote; then parse("<" quoted ">") must give the same internal form back */
static void roundtrip (char const *in, unsigned int flags, char const *canon)
{
  stralloc a = STRALLOC_ZERO, q = STRALLOC_ZERO, b = STRALLOC_ZERO ;
  size_t params ;
  is(address_parse(&a, &params, in, strlen(in), flags | NUL), ADDRESS_OK, label("round trip: parse", in, strlen(in))) ;
  ok(stralloc_copys(&q, "<") && address_quote(&q, a.s ? a.s : "", a.len) && stralloc_cats(&q, ">"), "  quote") ;
  is_mem(q.s + 1, q.len - 2, canon, "  canonical form") ;
  is(address_parse(&b, &params, q.s, q.len, flags | NUL), ADDRESS_OK, "  canonical form parses") ;
  ok(a.len == b.len && !memcmp(a.s, b.s, a.len), "  to the same internal form") ;
  stralloc_free(&a) ;
  stralloc_free(&q) ;
  stralloc_free(&b) ;
}

static void accepted (void)
{
  parse_ok("<a@b>", 0, "a@b", 5) ;
  parse_ok("<user@example.com>", 0, "user@example.com", 18) ;
  parse_ok(" <a@b>", 0, "a@b", 6) ;
  parse_ok("   <a@b>", 0, "a@b", 8) ;
  parse_ok("<first.last@sub.example.org>", 0, "first.last@sub.example.org", 28) ;
  parse_ok("<User.Name@Example.COM>", 0, "User.Name@Example.COM", 23) ;
  parse_ok("<!#$%&'*+-/=?^_`{|}~@x>", 0, "!#$%&'*+-/=?^_`{|}~@x", 23) ;
  parse_ok("<0@x>", 0, "0@x", 5) ;

  /* ESMTP parameters */
  parse_ok("<a@b> SIZE=100 BODY=8BITMIME", 0, "a@b", 6) ;
  parse_ok("<a@b>   SIZE=100", 0, "a@b", 8) ;
  parse_ok("<a@b> ", 0, "a@b", 6) ;
  parse_ok("<a@b>   ", 0, "a@b", 8) ;

  /* null path */
  parse_ok("<>", NUL, "", 2) ;
  parse_ok(" <> SIZE=100", NUL, "", 4) ;
  parse_ok("<> BODY=8BITMIME", NUL | BARE | U8, "", 3) ;

  /* addresses without a domain (RCPT TO:<postmaster>) */
  parse_ok("<postmaster>", 0, "postmaster", 12) ;
  parse_ok("<PostMaster>", 0, "PostMaster", 12) ;
  parse_ok("<\"john doe\">", 0, "john doe", 12) ;

  /* quoted strings */
  parse_ok("<\"john doe\"@x>", 0, "john doe@x", 14) ;
  parse_ok("<\"a\\\"b\"@x>", 0, "a\"b@x", 10) ;
  parse_ok("<\"a\\\\b\"@x>", 0, "a\\b@x", 10) ;
  parse_ok("<\"\\a\"@x>", 0, "a@x", 8) ;
  parse_ok("<\"a@b\"@x>", 0, "a@b@x", 9) ;
  parse_ok("<\"a.b\"@x>", 0, "a.b@x", 9) ;
  parse_ok("<\"a>b\"@x> SIZE=1", 0, "a>b@x", 10) ;
  parse_ok("<\"a b\"@x>", 0, "a b@x", 9) ;
  parse_ok("<\"..\"@x>", 0, "..@x", 8) ;
  parse_ok("<\" \"@x>", 0, " @x", 7) ;
  parse_ok("<\"\\ \"@x>", 0, " @x", 8) ;
  parse_ok("<\"<>()[]:;,\"@x>", 0, "<>()[]:;,@x", 15) ;

  /* domains and address literals */
  parse_ok("<a@x-y.example>", 0, "a@x-y.example", 15) ;
  parse_ok("<a@x--y.example>", 0, "a@x--y.example", 16) ;
  parse_ok("<a@1.2.3.4>", 0, "a@1.2.3.4", 11) ;
  parse_ok("<a@3com.example>", 0, "a@3com.example", 16) ;
  parse_ok("<a@[1.2.3.4]>", 0, "a@[1.2.3.4]", 13) ;
  parse_ok("<a@[255.255.255.255]>", 0, "a@[255.255.255.255]", 21) ;
  parse_ok("<a@[IPv6:2001:db8::1]>", 0, "a@[IPv6:2001:db8::1]", 22) ;
  parse_ok("<a@[ipv6:::1]>", 0, "a@[ipv6:::1]", 14) ;
  parse_ok("<a@[IPv6:::ffff:192.0.2.1]>", 0, "a@[IPv6:::ffff:192.0.2.1]", 27) ;
  parse_ok("<a@[IPv6:2001:db8:0:0:0:0:0:1]> X=1", 0, "a@[IPv6:2001:db8:0:0:0:0:0:1]", 32) ;

  /* source routes are accepted and discarded */
  parse_ok("<@a.example,@b.example:user@c.example>", 0, "user@c.example", 38) ;
  parse_ok("<@a.example:user@c.example> SIZE=5", 0, "user@c.example", 28) ;
  parse_ok("<@a:\"x y\"@c>", 0, "x y@c", 12) ;
  parse_ok("<@a,@b,@c:postmaster>", 0, "postmaster", 21) ;

  /* bare addresses, when lenient */
  parse_ok("user@x", BARE, "user@x", 6) ;
  parse_ok(" user@x", BARE, "user@x", 7) ;
  parse_ok("user@x SIZE=1", BARE, "user@x", 7) ;
  parse_ok("\"john doe\"@x SIZE=1", BARE, "john doe@x", 13) ;
  parse_ok("postmaster", BARE, "postmaster", 10) ;
  parse_ok("a@[1.2.3.4] ", BARE, "a@[1.2.3.4]", 12) ;
  parse_ok("a b", BARE, "a", 2) ;  /* a bare address ends at the first space */
  parse_ok("<a@b> SIZE=1", BARE, "a@b", 6) ;

  /* SMTPUTF8 */
  parse_ok("<jos\xc3\xa9@ex\xc3\xa4mple.com>", U8, "jos\xc3\xa9@ex\xc3\xa4mple.com", 20) ;
  parse_ok("<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a>", U8,
    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", 22) ;
  parse_ok("<\xf0\x9f\x98\x80@x>", U8, "\xf0\x9f\x98\x80@x", 8) ;
  parse_ok("<\"jo s\xc3\xa9\"@x>", U8, "jo s\xc3\xa9@x", 12) ;
  parse_ok("<\xed\x9f\xbf\xf4\x8f\xbf\xbf\xe0\xa0\x80\xf0\x90\x80\x80@x>", U8, "\xed\x9f\xbf\xf4\x8f\xbf\xbf\xe0\xa0\x80\xf0\x90\x80\x80@x", 18) ;
  parse_ok("<a@x-\xc3\xa4.example>", U8, "a@x-\xc3\xa4.example", 16) ;
  parse_ok("<@r\xc3\xa4:a@b>", U8, "a@b", 10) ;
  parse_ok("<a@b>", U8, "a@b", 5) ;
}

static void rejected (void)
{
  /* brackets */
  parse_err("", 0, ADDRESS_SYNTAX) ;
  parse_err("   ", 0, ADDRESS_SYNTAX) ;
  parse_err("<", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b SIZE=1", 0, ADDRESS_SYNTAX) ;
  parse_err("a@b>", 0, ADDRESS_SYNTAX) ;
  parse_err("a@b>", BARE, ADDRESS_SYNTAX) ;
  parse_err("<<a@b>>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b>>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b>x", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b>SIZE=1", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b>\tSIZE=1", 0, ADDRESS_SYNTAX) ;
  parse_err("< a@b>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b >", 0, ADDRESS_SYNTAX) ;
  parse_err("\t<a@b>", 0, ADDRESS_SYNTAX) ;
  parse_err("user@x", 0, ADDRESS_SYNTAX) ;
  parse_err("", BARE, ADDRESS_SYNTAX) ;
  parse_err("  ", BARE, ADDRESS_SYNTAX) ;

  /* null path */
  parse_err("<>", 0, ADDRESS_NULLNOTALLOWED) ;
  parse_err("<>", BARE | U8, ADDRESS_NULLNOTALLOWED) ;
  parse_err("<>x", NUL, ADDRESS_SYNTAX) ;
  parse_err("<<>>", NUL, ADDRESS_SYNTAX) ;
  parse_err("< >", NUL, ADDRESS_SYNTAX) ;

  /* local part */
  parse_err("<a..b@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<.a@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a.@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<.@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a b@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a(b)@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a\\b@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"a\"b@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"a\".b@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a.\"b\"@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"abc@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"a\\", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"a\\\">", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"\"@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"\">", NUL, ADDRESS_SYNTAX) ;
  parse_err("<\"a@b\">", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"a\\@b\">", 0, ADDRESS_SYNTAX) ;

  /* domain */
  parse_err("<a@>", 0, ADDRESS_SYNTAX) ;
  parse_err("<@b>", 0, ADDRESS_SYNTAX) ;
  parse_err("<@>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@-x.com>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@x-.com>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@x.-com>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@x..com>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@.x.com>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@x.com.>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@x_y.com>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b@c>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b c>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@\"b\">", 0, ADDRESS_SYNTAX) ;

  /* address literals */
  parse_err("<a@[1.2.3]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[1.2.3.256]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[1.2.3.4.5]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[01.2.3.4]>", 0, ADDRESS_LITERAL) ;  /* inet_pton: no leading zeros */
  parse_err("<a@[IPv6:1::2::3]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[IPv6:::1%eth0]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[IPv6:zz::1]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[IPv6:1.2.3.4]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[IPv6:1:2:3:4:5:6:7:8:9]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[IPv6:]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[::1]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[IPv4:1.2.3.4]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[x400:c=us;a=x]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[IPv6:0000:0000:0000:0000:0000:0000:0000:0000:0000]>", 0, ADDRESS_LITERAL) ;
  parse_err("<a@[1.2.3.4>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@[1.2.3.4", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@[1.2.3.4]", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@[1.2.3.4]x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@[1.2.3.4].com>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@[1.2 .3.4]>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@[1.2[.3.4]>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@x.[1.2.3.4]>", 0, ADDRESS_SYNTAX) ;

  /* source routes */
  parse_err("<@a>", 0, ADDRESS_SYNTAX) ;
  parse_err("<@a:>", 0, ADDRESS_SYNTAX) ;
  parse_err("<@a,b:c@d>", 0, ADDRESS_SYNTAX) ;
  parse_err("<@a,:c@d>", 0, ADDRESS_SYNTAX) ;
  parse_err("<@a.:c@d>", 0, ADDRESS_SYNTAX) ;
  parse_err("<@a:@b:c@d>", 0, ADDRESS_SYNTAX) ;
  parse_err("<@[1.2.3.4]:c@d>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b,@c:d@e>", 0, ADDRESS_SYNTAX) ;
  parse_err("@a:c@d", BARE, ADDRESS_SYNTAX) ;

  /* control characters and NUL bytes */
  parse_err("<a\tb@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"a\tb\"@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"a\\\tb\"@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"a\x7f\"@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<\"a\\\x7f\"@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a\x7f@x>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b\x01>", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b\r\n", 0, ADDRESS_SYNTAX) ;
  parse_err("<a@b>\r\n", 0, ADDRESS_SYNTAX) ;
  parse_errb("<a\0b@x>", 8, 0, ADDRESS_SYNTAX) ;
  parse_errb("<\"a\0\"@x>", 8, 0, ADDRESS_SYNTAX) ;
  parse_errb("<a@x\0>", 6, 0, ADDRESS_SYNTAX) ;
  parse_errb("<a@[1.2.3.4\0]>", 14, 0, ADDRESS_SYNTAX) ;
  parse_errb("<a@x>\0", 6, 0, ADDRESS_SYNTAX) ;
  parse_errb("\0<a@x>", 6, 0, ADDRESS_SYNTAX) ;
  parse_errb("<a@b>", 4, 0, ADDRESS_SYNTAX) ;  /* the length bounds the parse, not a NUL */

  /* 8-bit without SMTPUTF8 */
  parse_err("<jos\xc3\xa9@x>", 0, ADDRESS_8BIT) ;
  parse_err("<a@ex\xc3\xa4mple.com>", 0, ADDRESS_8BIT) ;
  parse_err("<\"jos\xc3\xa9\"@x>", 0, ADDRESS_8BIT) ;
  parse_err("<\"a\\\xc3\xa9\"@x>", 0, ADDRESS_8BIT) ;
  parse_err("<a@[1.2.3.4\xc3\xa9]>", 0, ADDRESS_8BIT) ;
  parse_err("<@r\xc3\xa4:a@b>", 0, ADDRESS_8BIT) ;
  parse_err("jos\xc3\xa9@x", BARE, ADDRESS_8BIT) ;
  parse_err("<\xff@x>", 0, ADDRESS_8BIT) ;

  /* bad UTF-8 with SMTPUTF8 */
  parse_err("<\x80@x>", U8, ADDRESS_BADUTF8) ;               /* lone continuation */
  parse_err("<a\xc3@x>", U8, ADDRESS_BADUTF8) ;              /* truncated */
  parse_err("<a\xe4\xbe@x>", U8, ADDRESS_BADUTF8) ;          /* truncated */
  parse_err("<a\xc3", U8, ADDRESS_BADUTF8) ;                 /* truncated at the end */
  parse_err("<\xc0\xaf@x>", U8, ADDRESS_BADUTF8) ;           /* overlong "/" */
  parse_err("<\xc1\xbf@x>", U8, ADDRESS_BADUTF8) ;           /* overlong */
  parse_err("<\xe0\x80\xaf@x>", U8, ADDRESS_BADUTF8) ;       /* overlong, 3 bytes */
  parse_err("<\xf0\x80\x80\xaf@x>", U8, ADDRESS_BADUTF8) ;   /* overlong, 4 bytes */
  parse_err("<\xed\xa0\x80@x>", U8, ADDRESS_BADUTF8) ;       /* surrogate U+D800 */
  parse_err("<\xf4\x90\x80\x80@x>", U8, ADDRESS_BADUTF8) ;   /* above U+10FFFF */
  parse_err("<\xf5\x80\x80\x80@x>", U8, ADDRESS_BADUTF8) ;
  parse_err("<\xfe@x>", U8, ADDRESS_BADUTF8) ;
  parse_err("<a\xc3\x28@x>", U8, ADDRESS_BADUTF8) ;          /* bad continuation */
  parse_err("<a\xe2\x82\x28@x>", U8, ADDRESS_BADUTF8) ;
  parse_err("<a\xf0\x9f\x98\x28@x>", U8, ADDRESS_BADUTF8) ;
  parse_err("<a@x\xc3>", U8, ADDRESS_BADUTF8) ;              /* in the domain */
  parse_err("<\"a\xc3\"@x>", U8, ADDRESS_BADUTF8) ;          /* in a quoted string */
  parse_err("<\"a\\\xc3\xa9\"@x>", U8, ADDRESS_SYNTAX) ;    /* quoted-pair is ASCII only */
  parse_err("<a@[1.2.3.4\xc3\xa9]>", U8, ADDRESS_LITERAL) ; /* literals are ASCII only */
  parse_err("<a@\xc3\xa4-.com>", U8, ADDRESS_SYNTAX) ;
  parse_err("<a@-\xc3\xa4.com>", U8, ADDRESS_SYNTAX) ;
}

/* pre, then a valid domain of exactly n octets (labels of 63, n >= 2), then post */
static char const *mkdomain (stralloc *sa, char const *pre, size_t n, char const *post)
{
  sa->len = 0 ;
  if (!stralloc_cats(sa, pre)) exit(111) ;
  while (n > 64)
  {
    if (!stralloc_readyplus(sa, 64)) exit(111) ;
    memset(sa->s + sa->len, 'l', 63) ;
    sa->s[sa->len + 63] = '.' ;
    sa->len += 64 ;
    n -= 64 ;
  }
  if (n == 64 && !stralloc_cats(sa, "a.")) exit(111) ;
  if (n == 64) n = 62 ;
  if (!stralloc_readyplus(sa, n)) exit(111) ;
  memset(sa->s + sa->len, 'l', n) ;
  sa->len += n ;
  if (!stralloc_cats(sa, post) || !stralloc_0(sa)) exit(111) ;
  sa->len-- ;
  return sa->s ;
}

static void limits (void)
{
  stralloc sa = STRALLOC_ZERO, want = STRALLOC_ZERO, dom = STRALLOC_ZERO ;

  /* local part: 64 octets of wire form */
  parse_ok(mk(&sa, "<", 'x', 64, "@x>"), 0, mk(&want, "", 'x', 64, "@x"), 68) ;
  parse_err(mk(&sa, "<", 'x', 65, "@x>"), 0, ADDRESS_LOCALTOOLONG) ;
  parse_err(mk(&sa, "<", 'x', 65, ">"), 0, ADDRESS_LOCALTOOLONG) ;
  parse_ok(mk(&sa, "<\"", 'x', 62, "\"@x>"), 0, mk(&want, "", 'x', 62, "@x"), 68) ;
  parse_err(mk(&sa, "<\"", 'x', 63, "\"@x>"), 0, ADDRESS_LOCALTOOLONG) ;  /* quotes count */
  parse_err(mk(&sa, "<", 'x', 65, "@x"), 0, ADDRESS_SYNTAX) ;  /* syntax before length */
  parse_err(mk(&sa, "<", 'x', 65, "@x..y>"), 0, ADDRESS_SYNTAX) ;

  /* labels: 63 octets */
  parse_ok(mk(&sa, "<a@", 'l', 63, ".com>"), 0, mk(&want, "a@", 'l', 63, ".com"), 71) ;
  parse_err(mk(&sa, "<a@", 'l', 64, ".com>"), 0, ADDRESS_DOMAINTOOLONG) ;
  parse_err(mk(&sa, "<a@x.", 'l', 64, ">"), 0, ADDRESS_DOMAINTOOLONG) ;
  parse_err(mk(&sa, "<a@", 'l', 64, ".-com>"), 0, ADDRESS_SYNTAX) ;
  parse_ok(mk(&sa, "<a@", 'l', 20, "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4.de>"), U8,
    mk(&want, "a@", 'l', 20, "\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4.de"), 71) ;  /* a U-label of 64 octets */

  /* domain: 255 octets; the path limit binds first for any full address */
  is(strlen(mkdomain(&dom, "", 259, "")), 259, "domain builder") ;
  parse_err(mkdomain(&sa, "<a@", 259, ">"), 0, ADDRESS_DOMAINTOOLONG) ;
  parse_err(mkdomain(&sa, "<a@", 256, ">"), 0, ADDRESS_DOMAINTOOLONG) ;
  parse_err(mkdomain(&sa, "<a@", 255, ">"), 0, ADDRESS_PATHTOOLONG) ;
  parse_err(mkdomain(&sa, "<a@", 253, ">"), 0, ADDRESS_PATHTOOLONG) ;
  parse_ok(mkdomain(&sa, "<a@", 252, ">"), 0, mkdomain(&want, "a@", 252, ""), 256) ;
  parse_err(mkdomain(&sa, "<a@[", 256, "]>"), 0, ADDRESS_LITERAL) ;  /* a long literal is no address */

  /* path: 256 octets from "<" to ">"; the address inside is 254 */
  mkdomain(&dom, "", 189, "") ;
  mk(&want, "", 'x', 64, "@") ;
  ok(stralloc_cats(&want, dom.s) && stralloc_0(&want), "build") ;
  want.len-- ;
  is(want.len, 254, "address of 254 octets") ;
  ok(stralloc_copys(&sa, "<") && stralloc_cats(&sa, want.s) && stralloc_cats(&sa, "> SIZE=1") && stralloc_0(&sa), "build") ;
  parse_ok(sa.s, 0, want.s, 257) ;
  parse_ok(want.s, BARE, want.s, 254) ;
  ok(stralloc_copys(&sa, "<@r:") && stralloc_cats(&sa, want.s) && stralloc_cats(&sa, ">") && stralloc_0(&sa), "build") ;
  parse_err(sa.s, 0, ADDRESS_PATHTOOLONG) ;  /* the source route counts */
  mk(&sa, "<\"", 'x', 62, "\"@") ;  /* a 64-octet Quoted-string: the path is still 256 */
  ok(stralloc_cats(&sa, dom.s) && stralloc_cats(&sa, ">") && stralloc_0(&sa), "build") ;
  parse_ok(sa.s, 0, want.s + 2, 256) ;
  ok(stralloc_cats(&want, "l") && stralloc_0(&want), "build") ;  /* 255 octets of address */
  ok(stralloc_copys(&sa, "<") && stralloc_cats(&sa, want.s) && stralloc_cats(&sa, ">") && stralloc_0(&sa), "build") ;
  parse_err(sa.s, 0, ADDRESS_PATHTOOLONG) ;
  parse_err(want.s, BARE, ADDRESS_PATHTOOLONG) ;  /* a bare address counts as if bracketed */
  stralloc_free(&sa) ;
  stralloc_free(&want) ;
  stralloc_free(&dom) ;
}

static void roundtrips (void)
{
  roundtrip("<a@b>", 0, "a@b") ;
  roundtrip("<Mixed.Case@Example.ORG>", 0, "Mixed.Case@Example.ORG") ;
  roundtrip("<\"a\"@b>", 0, "a@b") ;
  roundtrip("<\"a.b\"@b>", 0, "a.b@b") ;
  roundtrip("<\"\\a\\b\\c\"@x>", 0, "abc@x") ;
  roundtrip("<\"a b\"@b>", 0, "\"a b\"@b") ;
  roundtrip("<\"a\\ b\"@b>", 0, "\"a b\"@b") ;
  roundtrip("<\"a\\\"b\"@b>", 0, "\"a\\\"b\"@b") ;
  roundtrip("<\"a\\\\b\"@b>", 0, "\"a\\\\b\"@b") ;
  roundtrip("<\"a..b\"@b>", 0, "\"a..b\"@b") ;
  roundtrip("<\".a\"@b>", 0, "\".a\"@b") ;
  roundtrip("<\"a.\"@b>", 0, "\"a.\"@b") ;
  roundtrip("<\"a@b\"@c>", 0, "\"a@b\"@c") ;
  roundtrip("<\"a(b)\"@x>", 0, "\"a(b)\"@x") ;
  roundtrip("<@r.example,@s.example:a@b>", 0, "a@b") ;
  roundtrip("<\"john doe\">", 0, "\"john doe\"") ;
  roundtrip("<postmaster>", 0, "postmaster") ;
  roundtrip("<>", 0, "") ;
  roundtrip("  <a@b> SIZE=1", 0, "a@b") ;
  roundtrip("a@b", BARE, "a@b") ;
  roundtrip("<a@[1.2.3.4]>", 0, "a@[1.2.3.4]") ;
  roundtrip("<a@[IPv6:::1]>", 0, "a@[IPv6:::1]") ;
  roundtrip("<jos\xc3\xa9@ex\xc3\xa4mple.com>", U8, "jos\xc3\xa9@ex\xc3\xa4mple.com") ;
  roundtrip("<\"jo s\xc3\xa9\"@x>", U8, "\"jo s\xc3\xa9\"@x") ;
  roundtrip("<\"\xc3\xa9\"@x>", U8, "\xc3\xa9@x") ;
}

/* Every printable character, alone and between two letters, quote-paired in a Quoted-string:
   the canonical form must follow the rule written out independently here. */
static void roundtrip_chars (void)
{
  static char const atext[] = "!#$%&'*+-/=?^_`{|}~" ;
  stralloc in = STRALLOC_ZERO, want = STRALLOC_ZERO ;
  unsigned int bad = 0, c ;
  int form ;
  for (c = 32 ; c < 127 ; c++) for (form = 0 ; form < 2 ; form++)
  {
    char raw[4] ;
    stralloc a = STRALLOC_ZERO, q = STRALLOC_ZERO, b = STRALLOC_ZERO ;
    size_t rawlen, params ;
    int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ;
    int dot = alnum || strchr(atext, c) || (form && c == '.') ;
    if (form) { raw[0] = 'x' ; raw[1] = c ; raw[2] = 'y' ; rawlen = 3 ; }
    else { raw[0] = c ; rawlen = 1 ; }
    in.len = 0 ;
    want.len = 0 ;
    if (!stralloc_cats(&in, "<\"")) exit(111) ;
    for (size_t i = 0 ; i < rawlen ; i++) if (!stralloc_catb(&in, "\\", 1) || !stralloc_catb(&in, raw + i, 1)) exit(111) ;
    if (!stralloc_cats(&in, "\"@d>")) exit(111) ;
    if (!dot && !stralloc_cats(&want, "\"")) exit(111) ;
    for (size_t i = 0 ; i < rawlen ; i++)
      if (((raw[i] == '"' || raw[i] == '\\') && !stralloc_catb(&want, "\\", 1)) || !stralloc_catb(&want, raw + i, 1)) exit(111) ;
    if (!stralloc_cats(&want, dot ? "@d" : "\"@d")) exit(111) ;
    if (address_parse(&a, &params, in.s, in.len, 0) != ADDRESS_OK
     || a.len != rawlen + 2 || memcmp(a.s, raw, rawlen) || memcmp(a.s + rawlen, "@d", 2)
     || !address_quote(&q, a.s, a.len)
     || q.len != want.len || memcmp(q.s, want.s, want.len)
     || !stralloc_insertb(&q, 0, "<", 1) || !stralloc_catb(&q, ">", 1)
     || address_parse(&b, &params, q.s, q.len, 0) != ADDRESS_OK
     || b.len != a.len || memcmp(a.s, b.s, a.len))
    {
      bad++ ;
      printf("# char %u form %d: in %.*s want %.*s got %.*s\n", c, form, (int)in.len, in.s, (int)want.len, want.s, (int)q.len, q.s ? q.s : "") ;
    }
    stralloc_free(&a) ;
    stralloc_free(&q) ;
    stralloc_free(&b) ;
  }
  is(bad, 0, "every printable character quotes and round-trips as specified") ;
  stralloc_free(&in) ;
  stralloc_free(&want) ;
}

/* All local parts of 1 to 3 pieces: parse a fully quote-paired form, quote, reparse. */
static void roundtrip_pieces (void)
{
  static char const *const piece[] = { "a", ".", " ", "\"", "\\", "@", "(", "\xc3\xa9" } ;
  enum { NP = sizeof piece / sizeof *piece } ;
  unsigned int bad = 0, total = 0, idx, len ;
  for (len = 1 ; len <= 3 ; len++)
  {
    unsigned int count = len == 1 ? NP : len == 2 ? NP * NP : NP * NP * NP ;
    for (idx = 0 ; idx < count ; idx++)
    {
      stralloc raw = STRALLOC_ZERO, in = STRALLOC_ZERO, a = STRALLOC_ZERO, q = STRALLOC_ZERO, b = STRALLOC_ZERO ;
      unsigned int k = idx, j ;
      size_t params ;
      int dot = 1, prevdot = 1, okay ;
      for (j = 0 ; j < len ; j++, k /= NP)
      {
        char const *p = piece[k % NP] ;
        if (!stralloc_cats(&raw, p)) exit(111) ;
        if (!strcmp(p, ".")) { if (prevdot) dot = 0 ; prevdot = 1 ; }
        else { if (strlen(p) == 1 && !strchr("a", *p)) dot = 0 ; prevdot = 0 ; }
      }
      if (prevdot) dot = 0 ;
      if (!stralloc_cats(&in, "<\"")) exit(111) ;
      for (j = 0 ; j < raw.len ; j++)
        if (((unsigned char)raw.s[j] < 0x80 && !stralloc_catb(&in, "\\", 1)) || !stralloc_catb(&in, raw.s + j, 1)) exit(111) ;
      if (!stralloc_cats(&in, "\"@d>")) exit(111) ;
      okay = address_parse(&a, &params, in.s, in.len, U8) == ADDRESS_OK
        && a.len == raw.len + 2 && !memcmp(a.s, raw.s, raw.len)
        && address_quote(&q, a.s, a.len)
        && (dot ? q.len == a.len && !memcmp(q.s, a.s, a.len) : q.s[0] == '"')
        && q.len <= in.len - 2
        && stralloc_insertb(&q, 0, "<", 1) && stralloc_catb(&q, ">", 1)
        && address_parse(&b, &params, q.s, q.len, U8) == ADDRESS_OK
        && b.len == a.len && !memcmp(a.s, b.s, a.len) ;
      total++ ;
      if (!okay)
      {
        bad++ ;
        printf("# pieces: in %.*s quoted %.*s\n", (int)in.len, in.s, (int)q.len, q.s ? q.s : "") ;
      }
      stralloc_free(&raw) ;
      stralloc_free(&in) ;
      stralloc_free(&a) ;
      stralloc_free(&q) ;
      stralloc_free(&b) ;
    }
  }
  is(total, 8 + 64 + 512, "piece combinations tried") ;
  is(bad, 0, "every combination round-trips, dot-strings unquoted") ;
}

static void quoting (void)
{
  stralloc sa = STRALLOC_ZERO, big = STRALLOC_ZERO ;
  ok(stralloc_copys(&sa, "MAIL FROM:<") && address_quote(&sa, "john doe@x", 10) && stralloc_cats(&sa, ">"), "quote appends") ;
  is_mem(sa.s, sa.len, "MAIL FROM:<\"john doe\"@x>", "quote appends to what is there") ;
  sa.len = 0 ;
  ok(address_quote(&sa, "", 0), "quote the null sender") ;
  is(sa.len, 0, "the null sender quotes to nothing") ;
  ok(address_quote(&sa, "@x", 2), "quote an empty local part") ;
  is_mem(sa.s, sa.len, "\"\"@x", "an empty local part is an empty Quoted-string") ;
  sa.len = 0 ;
  ok(address_quote(&sa, "a@b@c@d", 7), "quote with several @") ;
  is_mem(sa.s, sa.len, "\"a@b@c\"@d", "split at the last @") ;
  sa.len = 0 ;
  ok(address_quote(&sa, "a b", 3), "quote without @") ;
  is_mem(sa.s, sa.len, "\"a b\"", "no @: a local part alone") ;
  sa.len = 0 ;
  ok(address_quote(&sa, "a@", 2), "quote with an empty domain") ;
  is_mem(sa.s, sa.len, "a@", "an empty domain is kept") ;
  sa.len = 0 ;
  ok(address_quote(&sa, "x@Dom ain", 9), "domain as is") ;
  is_mem(sa.s, sa.len, "x@Dom ain", "the domain is not quoted") ;
  sa.len = 0 ;
  ok(address_quote(&sa, "\"\\@x", 4), "quote and backslash") ;
  is_mem(sa.s, sa.len, "\"\\\"\\\\\"@x", "both escaped") ;
  ok(stralloc_copys(&sa, "keep"), "build") ;
  errno = 0 ;
  ok(!address_quote(&sa, "a\x01" "b@x", 5), "a control character cannot be quoted") ;
  is(errno, EINVAL, "EINVAL") ;
  is_mem(sa.s, sa.len, "keep", "sa unchanged on failure") ;
  ok(!address_quote(&sa, "a b\x7f@x", 5) && errno == EINVAL, "DEL cannot be quoted") ;
  ok(!address_quote(&sa, "a\0b@x", 5) && errno == EINVAL, "NUL cannot be quoted") ;
  ok(address_quote(&sa, "a@x\x01", 4), "the domain is not checked") ;
  is_mem(sa.s, sa.len, "keepa@x\x01", "domain bytes as is") ;
  sa.len = 0 ;
  ok(address_quote(&sa, mk(&big, "", '\\', 40, "@x"), 42), "many backslashes") ;
  is_mem(sa.s, sa.len, mk(&big, "\"", '\\', 80, "\"@x"), "each escaped (valgrind checks the allocation)") ;
  sa.len = 0 ;
  ok(address_quote(&sa, mk(&big, "", '"', 40, ""), 40), "many quotes") ;
  {
    stralloc want = STRALLOC_ZERO ;
    unsigned int k = 0 ;
    ok(stralloc_copys(&want, "\""), "build") ;
    for (; k < 40 ; k++) if (!stralloc_cats(&want, "\\\"")) exit(111) ;
    ok(stralloc_cats(&want, "\"") && want.len == 82, "build") ;
    ok(sa.len == want.len && !memcmp(sa.s, want.s, want.len), "each quote escaped") ;
    stralloc_free(&want) ;
  }
  sa.len = 0 ;
  ok(address_quote(&sa, "\xc3\xa9.a@x", 6), "UTF-8 dot-string") ;
  is_mem(sa.s, sa.len, "\xc3\xa9.a@x", "UTF-8 counts as atext") ;

  ok(address_isdotstring("a.b", 3), "dot-string") ;
  ok(address_isdotstring("a", 1), "one atom") ;
  ok(!address_isdotstring("", 0), "empty is not a dot-string") ;
  ok(!address_isdotstring(".", 1), "a dot alone") ;
  ok(!address_isdotstring("a.", 2), "trailing dot") ;
  ok(!address_isdotstring(".a", 2), "leading dot") ;
  ok(!address_isdotstring("a..b", 4), "double dot") ;
  ok(!address_isdotstring("a b", 3), "space") ;
  ok(!address_isdotstring("a\0", 2), "NUL") ;
  ok(!address_isdotstring("a@b", 3), "@ is not atext") ;
  stralloc_free(&sa) ;
  stralloc_free(&big) ;
}

static void cases (void)
{
  char const *d ;
  size_t dlen ;
  char buf[64] ;

  is(address_split("a@b@c.d", 7, &d, &dlen), 3, "split at the last @") ;
  ok(d && dlen == 3 && !memcmp(d, "c.d", 3), "domain after the last @") ;
  is(address_split("postmaster", 10, &d, &dlen), 10, "no @: all local") ;
  ok(!d && !dlen, "no @: no domain") ;
  is(address_split("a@", 2, &d, &dlen), 1, "empty domain") ;
  ok(d && !dlen, "empty domain is not no domain") ;
  is(address_split("", 0, &d, &dlen), 0, "null sender") ;
  ok(!d && !dlen, "null sender has no domain") ;

  strcpy(buf, "User.Name@Example.COM") ;
  address_lowerdomain(buf, strlen(buf)) ;
  is_str(buf, "User.Name@example.com", "lowercase the domain only") ;
  strcpy(buf, "A\"B@C@D.E") ;
  address_lowerdomain(buf, strlen(buf)) ;
  is_str(buf, "A\"B@C@d.e", "after the last @ only") ;
  strcpy(buf, "PostMaster") ;
  address_lowerdomain(buf, strlen(buf)) ;
  is_str(buf, "PostMaster", "no @: unchanged") ;
  strcpy(buf, "X@\xc3\x84Z.Example") ;
  address_lowerdomain(buf, strlen(buf)) ;
  is_str(buf, "X@\xc3\x84z.example", "ASCII only: UTF-8 bytes unchanged") ;
  strcpy(buf, "A@[IPv6:ABCD::1]") ;
  address_lowerdomain(buf, strlen(buf)) ;
  is_str(buf, "A@[ipv6:abcd::1]", "address literal lowercased too") ;
  strcpy(buf, "A@B.COM") ;
  address_lowerdomain(buf, 4) ;
  is_str(buf, "A@b.COM", "length respected") ;

  ok(address_domainequal("Example.COM", 11, "example.com", 11), "domains compare ignoring case") ;
  ok(address_domainequal("", 0, "", 0), "empty domains are equal") ;
  ok(!address_domainequal("example.com", 11, "example.co", 10), "different lengths") ;
  ok(!address_domainequal("ab", 2, "ab", 1), "a longer first domain") ;
  ok(!address_domainequal("a", 1, "ab", 2), "a longer second domain") ;
  ok(!address_domainequal("example.com", 11, "example.org", 11), "different domains") ;
  ok(!address_domainequal("a-b", 3, "a_b", 3), "no folding beyond letters") ;
  ok(!address_domainequal("@", 1, "`", 1), "@ and ` are not a case pair") ;
  ok(!address_domainequal("[", 1, "{", 1), "[ and { are not a case pair") ;
  ok(address_domainequal("a\0b", 3, "A\0B", 3), "NUL bytes compared, not terminating") ;
  ok(!address_domainequal("a\0b", 3, "a\0c", 3), "bytes after a NUL compared") ;
  ok(!address_domainequal("\xc3\x84", 2, "\xc3\xa4", 2), "no Unicode case folding") ;
}

static void errstrs (void)
{
  address_err_t e, f ;
  for (e = ADDRESS_OK ; e <= ADDRESS_NOMEM ; e++)
    for (f = e + 1 ; f <= ADDRESS_NOMEM ; f++)
      if (!strcmp(address_errstr(e), address_errstr(f))) ok(0, "two errors share a text") ;
  is_str(address_errstr(ADDRESS_SYNTAX), "syntax error in address", "syntax text") ;
  is_str(address_errstr(ADDRESS_PATHTOOLONG), "path too long", "path text") ;
  is_str(address_errstr(ADDRESS_8BIT), "non-ASCII address without SMTPUTF8", "8bit text") ;
  is_str(address_errstr((address_err_t)99), "unknown address error", "unknown error") ;
}

int main (void)
{
  accepted() ;
  rejected() ;
  limits() ;
  roundtrips() ;
  roundtrip_chars() ;
  roundtrip_pieces() ;
  quoting() ;
  cases() ;
  errstrs() ;
  return tap_done() ;
}
