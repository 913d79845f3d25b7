/* Unit tests of lib/addrlist.c: every form of RFC 5322 address lists qmail-header(5) names,
   the byte spans used for rewriting in place, and every syntax error. */
#include <errno.h>
#include <skalibs/stralloc.h>
#include "addrlist.h"
#include "../tap.h"

/* The parse as one string: addresses separated by '|', each marked with < (angle), g (group),
   , (a comma belongs before it) and the route it drops in {}. */
static void render (stralloc *out, addrlist_t const *al, char const *s)
{
  out->len = 0 ;
  for (size_t i = 0 ; i < addrlist_n(al) ; i++)
  {
    addrlist_addr_t const *a = addrlist_get(al, i) ;
    if (i) stralloc_catb(out, "|", 1) ;
    if (a->comma != ADDRLIST_NOCOMMA) stralloc_catb(out, ",", 1) ;
    if (a->group) stralloc_catb(out, "g", 1) ;
    if (a->angle) stralloc_catb(out, "<", 1) ;
    if (a->routeend > a->routestart)
    {
      stralloc_catb(out, "{", 1) ;
      stralloc_catb(out, s + a->routestart, a->routeend - a->routestart) ;
      stralloc_catb(out, "}", 1) ;
    }
    stralloc_catb(out, addrlist_textof(al, a), a->textlen) ;
  }
  stralloc_0(out) ;
}

static void parses (char const *s, char const *want, char const *name)
{
  addrlist_t al = ADDRLIST_ZERO ;
  stralloc out = STRALLOC_ZERO ;
  int r = addrlist_parse(&al, s, strlen(s)) ;
  is(r, ADDRLIST_OK, name) ;
  render(&out, &al, s) ;
  is_str(out.s, want, name) ;
  stralloc_free(&out) ;
  addrlist_free(&al) ;
}

static void fails (char const *s, int want, char const *name)
{
  addrlist_t al = ADDRLIST_ZERO ;
  errno = 0 ;
  is(addrlist_parse(&al, s, strlen(s)), want, name) ;
  ok(errno == EINVAL && !addrlist_n(&al), "  errno EINVAL, no address kept") ;
  addrlist_free(&al) ;
}

static void forms (void)
{
  parses("", "", "empty list") ;
  parses("  (just a comment) ", "", "only a comment") ;
  parses("a@b.c", "a@b.c", "bare addr-spec") ;
  parses("joe", "joe", "bare local part") ;
  parses("a@b, c@d", "a@b|c@d", "two, comma") ;
  parses("a@b,,, c@d,", "a@b|c@d", "empty items") ;
  parses("Joe Q. Public <john.q.public@example.com>", "<john.q.public@example.com", "display name") ;
  parses("\"Joe, the <man>\" <j@x>", "<j@x", "quoted display name with specials") ;
  parses("a@b (A, B), c@d (C)", "a@b|c@d", "trailing comments") ;
  parses("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", "<pete@silly.test", "RFC 5322 A.5 comments") ;
  parses("j (a (nested) comment) @ x . y", "j@x.y", "nested comment, blanks around specials") ;
  parses("\"john doe\"@x.y", "john doe@x.y", "quoted local part unquoted") ;
  parses("\"a\\\"b\\\\c\"@x", "a\"b\\c@x", "quoted-pairs unquoted") ;
  parses("\"a@b\"@c", "a@b@c", "quoted @ stays in the local part") ;
  parses("u@[192.0.2.1]", "u@[192.0.2.1]", "domain literal") ;
  parses("<@r1,@r2:jane@x.y>", "<{@r1,@r2:}jane@x.y", "source route") ;
  parses("Jane <  @r1 : jane @ x >", "<{  @r1 :}jane@x", "source route with blanks") ;
  parses("<>", "<", "null address") ;
  parses("<a:>", "<{a:}", "a route before nothing: the null address") ;
  parses("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;", "g<c@a.test|gjoe@where.test|g<jdoe@one.test", "RFC 5322 A.1.3 group") ;
  parses("undisclosed-recipients: ;", "", "empty group") ;
  parses("undisclosed: ;, a@b", "a@b", "address after a group") ;
  parses("g: a@b; c@d", "ga@b|c@d", "group closed by ;, then a plain address") ;
  parses("djb fred", "djb|,fred", "qmail-header: djb fred -> djb, fred") ;
  parses("a@b c@d.e", "a@b|,c@d.e", "two addr-specs without comma") ;
  parses("<a@b> c@d", "<a@b|,c@d", "address after > without comma") ;
  parses("<a@b> Joe <c@d>", "<a@b|,<c@d", "angle after angle without comma") ;
  parses("a . b@c", "a.b@c", "obsolete dots with blanks") ;
  parses("\xc3\xa9l\xc3\xa8ve@\xc3\xa9" "cole.fr", "\xc3\xa9l\xc3\xa8ve@\xc3\xa9" "cole.fr", "8-bit atoms") ;
  parses("a@b,\r\n\tc@d", "a@b|c@d", "folding, CRLF") ;
  parses("x)y@z", "x)y@z", "stray ) is atom text") ;
}

static void spans (void)
{
  addrlist_t al = ADDRLIST_ZERO ;
  char const *s = " Joe <@r:joe> (c), fred@box (Fred)" ;
  addrlist_addr_t const *a ;
  ok(addrlist_parse(&al, s, strlen(s)) == ADDRLIST_OK && addrlist_n(&al) == 2, "spans: two addresses") ;
  a = addrlist_get(&al, 0) ;
  is(a->routestart, 6, "route starts after <") ;
  is(a->routeend, 9, "route ends after :") ;
  is(a->start, 9, "address starts after the route") ;
  is(a->end, 12, "address ends before >") ;
  is(a->domain, a->textlen, "no @: domain offset is the length") ;
  ok(!a->hasat, "no @") ;
  a = addrlist_get(&al, 1) ;
  is(a->start, 19, "second starts at fred") ;
  is(a->end, 27, "and ends before the comment") ;
  is(a->domain, 5, "domain after the @") ;
  ok(a->hasat && !a->angle && a->comma == ADDRLIST_NOCOMMA, "flags") ;
  s = "a b" ;
  ok(addrlist_parse(&al, s, 3) == ADDRLIST_OK && addrlist_n(&al) == 2, "a b: two") ;
  is(addrlist_get(&al, 1)->comma, 1, "the missing comma goes right after a") ;
  s = "<x@y>z" ;
  ok(addrlist_parse(&al, s, 6) == ADDRLIST_OK && addrlist_n(&al) == 2, "<x@y>z: two") ;
  is(addrlist_get(&al, 1)->comma, 5, "the missing comma goes after >") ;
  s = "<>" ;
  ok(addrlist_parse(&al, s, 2) == ADDRLIST_OK && addrlist_n(&al) == 1, "<>: one") ;
  a = addrlist_get(&al, 0) ;
  ok(a->angle && !a->textlen && a->start == 1 && a->end == 1, "<>: empty, inside the brackets") ;
  ok(addrlist_parse(&al, "a\0b@c", 5) == ADDRLIST_OK && addrlist_n(&al) == 2, "a NUL separates like a blank") ;
  is_str(addrlist_textof(&al, addrlist_get(&al, 1)), "b@c", "  and is in no address") ;
  is(addrlist_parse(&al, "a@b (x", 6), ADDRLIST_ECOMMENT, "reuse after success: error") ;
  is(addrlist_n(&al), 0, "and the earlier addresses are gone") ;
  addrlist_free(&al) ;
}

static void errors (void)
{
  fails("a@b (unclosed", ADDRLIST_ECOMMENT, "unterminated comment") ;
  fails("a@b (x (y)", ADDRLIST_ECOMMENT, "unterminated nested comment") ;
  fails("\"abc@d", ADDRLIST_EQUOTE, "unterminated quote") ;
  fails("\"abc\\\"", ADDRLIST_EQUOTE, "quote closed only by an escaped quote") ;
  fails("a@[1.2.3.4", ADDRLIST_ELITERAL, "unterminated literal") ;
  fails("Joe <a@b", ADDRLIST_EANGLE, "< without >") ;
  fails("Joe <a@b <c@d>>", ADDRLIST_EANGLE, "nested <") ;
  fails("a@b>", ADDRLIST_EANGLE, "> without <") ;
  is_str(addrlist_errstr(ADDRLIST_EQUOTE), "unterminated quoted string", "errstr") ;
  is_str(addrlist_errstr(42), "unknown error", "errstr of an unknown code") ;
}

/* Random lists from an alphabet rich in specials: the parser never fails but with an error code,
   and the spans of rewriting in place stay ordered, inside the input, and never overlap. */
static void random_lists (void)
{
  static char const alphabet[] = "ab.@,;:<>()\"[] \\\n+" ;
  addrlist_t al = ADDRLIST_ZERO ;
  unsigned long seed = 12345 ;
  unsigned int bad = 0, parsed = 0 ;
  for (unsigned int n = 0 ; n < 20000 ; n++)
  {
    char s[40] ;
    size_t len = n % sizeof s, pos = 0 ;
    int r ;
    for (size_t i = 0 ; i < len ; i++)
    {
      seed = seed * 6364136223846793005UL + 1442695040888963407UL ;
      s[i] = alphabet[(seed >> 33) % (sizeof alphabet - 1)] ;
    }
    r = addrlist_parse(&al, s, len) ;
    if (r) { if (r > 0 || r < ADDRLIST_EANGLE) bad++ ; continue ; }
    parsed++ ;
    for (size_t i = 0 ; i < addrlist_n(&al) ; i++)
    {
      addrlist_addr_t const *a = addrlist_get(&al, i) ;
      if (a->comma != ADDRLIST_NOCOMMA) { if (a->comma < pos || a->comma > a->routestart) bad++ ; }
      if (a->routestart < pos || a->routestart > a->routeend || a->routeend > a->start || a->start > a->end || a->end > len
          || a->domain > a->textlen || strlen(addrlist_textof(&al, a)) != a->textlen) bad++ ;
      pos = a->end ;
    }
  }
  is(bad, 0, "random lists: spans ordered and inside the input, known error codes") ;
  ok(parsed > 2000, "random lists: many of them parse") ;
  addrlist_free(&al) ;
}

int main (void)
{
  forms() ;
  spans() ;
  errors() ;
  random_lists() ;
  return tap_done() ;
}
