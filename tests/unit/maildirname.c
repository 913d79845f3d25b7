/* Unit tests of lib/maildirname.c: exact names for fixed inputs, host escaping, the host from
   gethostname, parsing new and old names with and without ,S= and :2, info, refusals, flags. */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include "maildirname.h"
#include "../tap.h"

static void make_is (maildirname_t const *m, char const *want, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(maildirname_make(&sa, m), "make") ;
  is_mem(sa.s, sa.len, want, name) ;
  stralloc_free(&sa) ;
}

static void host_is (char const *host, char const *want, char const *name)
{
  maildirname_t m = { .sec = 1, .usec = 2, .pid = 3, .host = host } ;
  make_is(&m, want, name) ;
}

static void parse_is (char const *s, uint64_t sec, int hassize, uint64_t size, char const *host, char const *flags, char const *name)
{
  maildirname_parts_t p = MAILDIRNAME_PARTS_ZERO ;
  int r = maildirname_parse(&p, s, strlen(s)) ;
  ok(r, name) ;
  if (!r) return ;
  ok(p.sec == sec, "seconds") ;
  ok(p.hassize == hassize && (!hassize || p.size == size), "size") ;
  is_mem(p.host, p.hostlen, host, "host") ;
  if (flags)
  {
    ok(p.hasinfo, "has info") ;
    is_mem(p.flags, p.flagslen, flags, "flags") ;
    is(p.uniqlen, strlen(s) - strlen(flags) - 3, "unique part stops at the colon") ;
  }
  else ok(!p.hasinfo && p.uniqlen == strlen(s), "no info, the whole name is unique") ;
}

static void refused (char const *s, size_t len, char const *name)
{
  maildirname_parts_t p = MAILDIRNAME_PARTS_ZERO ;
  errno = 0 ;
  ok(!maildirname_parse(&p, s, len) && errno == EINVAL, name) ;
}

static void flags_is (char const *s, char const *add, char const *del, char const *want, char const *name)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(maildirname_mergeflags(&sa, s, strlen(s), add, del), name) ;
  is_mem(sa.s, sa.len, want, name) ;
  stralloc_free(&sa) ;
}

static void make (void)
{
  maildirname_t m = MAILDIRNAME_ZERO ;
  stralloc sa = STRALLOC_ZERO, host = STRALLOC_ZERO ;
  m.sec = 1764000000 ; m.usec = 123456 ; m.pid = 4242 ; m.host = "mail.example.org" ;
  make_is(&m, "1764000000.M123456P4242.mail.example.org", "the modern name") ;
  m.hassize = 1 ; m.size = 2048 ;
  make_is(&m, "1764000000.M123456P4242.mail.example.org,S=2048", "with the size") ;
  m.hasdevino = 1 ; m.dev = 0x803 ; m.ino = 0x4d8e8f ;
  make_is(&m, "1764000000.M123456P4242V803I4d8e8f.mail.example.org,S=2048", "with device and inode in hex") ;
  m.hassize = 0 ;
  make_is(&m, "1764000000.M123456P4242V803I4d8e8f.mail.example.org", "device and inode, no size") ;
  m.usec = 7 ; m.pid = 1 ; m.hasdevino = 0 ; m.hassize = 1 ; m.size = 0 ;
  make_is(&m, "1764000000.M7P1.mail.example.org,S=0", "small numbers unpadded, size 0") ;
  m.sec = UINT64_MAX ; m.usec = 999999 ; m.pid = 2147483647 ; m.hasdevino = 1 ; m.dev = (dev_t)-1 ; m.ino = (ino_t)-1 ; m.size = UINT64_MAX ;
  make_is(&m, "18446744073709551615.M999999P2147483647Vffffffffffffffff"
              "Iffffffffffffffff.mail.example.org,S=18446744073709551615", "largest values fit") ;

  if (!stralloc_copys(&sa, "tmp/")) return ;
  m = (maildirname_t)MAILDIRNAME_ZERO ;
  m.sec = 5 ; m.host = "h" ;
  ok(maildirname_make(&sa, &m), "make appends") ;
  is_mem(sa.s, sa.len, "tmp/5.M0P0.h", "after the prefix") ;
  m.host = "" ;
  errno = 0 ;
  ok(!maildirname_make(&sa, &m) && errno == EINVAL, "empty host refused") ;
  is_mem(sa.s, sa.len, "tmp/5.M0P0.h", "sa untouched") ;

  m.host = 0 ;
  sa.len = 0 ;
  if (!stralloc_copys(&host, "5.M0P0.") || sagethostname(&host) < 0 || !stralloc_0(&host)) return ;
  host.len-- ;
  ok(maildirname_make(&sa, &m), "host from gethostname") ;
  if (strcspn(host.s, "/:,\\ ") >= host.len)  /* the usual case: nothing to escape */
    ok(sa.len == host.len && !memcmp(sa.s, host.s, host.len), "gethostname's host used") ;
  else ok(sa.len > host.len && !memcmp(sa.s, host.s, 7), "gethostname's host used, escaped") ;
  stralloc_free(&sa) ;
  stralloc_free(&host) ;
}

static void hosts (void)
{
  host_is("a/b", "1.M2P3.a\\057b", "slash is \\057") ;
  host_is("a:b", "1.M2P3.a\\072b", "colon is \\072") ;
  host_is("a,S=9", "1.M2P3.a\\054S\\0759", "comma and equals escaped: no fake size") ;
  host_is("a\\b", "1.M2P3.a\\134b", "backslash escaped, so escapes stay unambiguous") ;
  host_is("a b\tc\n", "1.M2P3.a\\040b\\011c\\012", "blanks and control characters") ;
  host_is("h\xc3\xa9\x7f", "1.M2P3.h\\303\\251\\177", "8-bit bytes and DEL") ;
  host_is("Mail-1.Example_org", "1.M2P3.Mail-1.Example_org", "letters, digits, - . _ kept") ;
  {
    maildirname_t m = { .sec = 1, .usec = 2, .pid = 3, .host = "x/y:z", .hassize = 1, .size = 5 } ;
    maildirname_parts_t p = MAILDIRNAME_PARTS_ZERO ;
    stralloc sa = STRALLOC_ZERO ;
    ok(maildirname_make(&sa, &m) && maildirname_parse(&p, sa.s, sa.len), "an escaped name parses") ;
    ok(p.hassize && p.size == 5 && !p.hasinfo, "its size is found, no info") ;
    is_mem(p.host, p.hostlen, "x\\057y\\072z", "escaped host") ;
    stralloc_free(&sa) ;
  }
}

static void parse (void)
{
  maildirname_t m = MAILDIRNAME_ZERO ;
  maildirname_parts_t p = MAILDIRNAME_PARTS_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  parse_is("1764000000.M123456P4242.mail.example.org", 1764000000, 0, 0, "mail.example.org", 0, "modern name") ;
  parse_is("1764000000.M123456P4242.mail.example.org,S=2048", 1764000000, 1, 2048, "mail.example.org", 0, "with size") ;
  parse_is("1764000000.M123456P4242.mail.example.org,S=2048:2,S", 1764000000, 1, 2048, "mail.example.org", "S", "size and :2,S") ;
  parse_is("1764000000.M123456P4242.mail.example.org:2,RS", 1764000000, 0, 0, "mail.example.org", "RS", "no size, :2,RS") ;
  parse_is("1764000000.M1P2.h,S=10,W=12:2,", 1764000000, 1, 10, "h", "", "W field skipped, empty flags") ;
  parse_is("1764000000.M1P2.h,W=12,S=10:2,DFPRST", 1764000000, 1, 10, "h", "DFPRST", "S after W, all standard flags") ;
  parse_is("1764000000.M1P2.h:2,Sab", 1764000000, 0, 0, "h", "Sab", "lowercase keywords") ;
  parse_is("1234.5678.host", 1234, 0, 0, "host", 0, "old-style name") ;
  parse_is("1234.5678_9.host.example.org:2,S", 1234, 0, 0, "host.example.org", "S", "old-style with counter and info") ;
  parse_is("0.x.y", 0, 0, 0, "y", 0, "second zero") ;
  parse_is("18446744073709551615.x.y,S=18446744073709551615", UINT64_MAX, 1, UINT64_MAX, "y", 0, "largest values") ;
  parse_is("1.x.y:2,SR", 1, 0, 0, "y", "SR", "unsorted flags still parse") ;

  m.sec = 1764000000 ; m.usec = 1 ; m.pid = 2 ; m.host = "h.example" ; m.hassize = 1 ; m.size = 77 ;
  m.hasdevino = 1 ; m.dev = 1 ; m.ino = 2 ;
  ok(maildirname_make(&sa, &m) && maildirname_parse(&p, sa.s, sa.len), "round trip") ;
  ok(p.sec == 1764000000 && p.hassize && p.size == 77 && p.hostlen == 9, "round trip values") ;
  stralloc_free(&sa) ;
  ok(maildirname_parse(&p, "1.x.y,S=5:2,S" "garbage", 13), "only len bytes are read") ;
  is(p.size, 5, "size within len") ;
  ok(maildirname_parse(&p, "1.x.y,S=5", 9), "digits right at len") ;
  is(p.size, 5, "bounded scan") ;

  refused("", 0, "empty") ;
  refused(".1.x.y", 6, "leading dot") ;
  refused("1234", 4, "no dots") ;
  refused("1234.5678", 9, "one dot") ;
  refused("1234.5678.", 10, "empty host") ;
  refused("1234..host", 10, "empty delivery identifier") ;
  refused("abc.M1P2.host", 13, "seconds not a number") ;
  refused("-1.M1P2.host", 12, "negative seconds") ;
  refused("18446744073709551616.x.y", 24, "seconds overflow") ;
  refused("1.x.y,S=", 8, "empty size") ;
  refused("1.x.y,S=12k", 11, "size not a number") ;
  refused("1.x.y,S=18446744073709551616", 28, "size overflow") ;
  refused("1.x.y,S=1,S=2", 13, "two sizes") ;
  refused("1.x.y,", 6, "empty field") ;
  refused("1.x.y,S", 7, "field without =") ;
  refused("1.x.y,=5", 8, "field without key") ;
  refused("1.x.,S=5", 8, "empty host before fields") ;
  refused("1.x.y:", 6, "bare colon") ;
  refused("1.x.y:2", 7, "no comma after 2") ;
  refused("1.x.y:1,S", 9, "experimental :1, info") ;
  refused("1.x.y:2,S1", 10, "digit in flags") ;
  refused("1.x.y:2,S:2,S", 13, "two infos") ;
  refused("1.x.y:2,S,T", 11, "comma in flags") ;
  refused("1.x/y.z", 7, "slash") ;
  refused("1.x.y\0z", 7, "NUL") ;
  refused(":2,S", 4, "info only") ;
}

static void flags (void)
{
  stralloc sa = STRALLOC_ZERO ;
  flags_is("1.x.h,S=5", "S", 0, "1.x.h,S=5:2,S", "add to a name without info") ;
  flags_is("1.x.h,S=5:2,", "S", 0, "1.x.h,S=5:2,S", "add to empty flags") ;
  flags_is("1.x.h:2,S", "R", 0, "1.x.h:2,RS", "merge keeps ASCII order") ;
  flags_is("1.x.h:2,RS", "F", 0, "1.x.h:2,FRS", "F sorts first") ;
  flags_is("1.x.h:2,FRS", 0, "S", "1.x.h:2,FR", "remove one") ;
  flags_is("1.x.h:2,FRS", "T", "FRS", "1.x.h:2,T", "remove several, add one") ;
  flags_is("1.x.h:2,S", "S", 0, "1.x.h:2,S", "adding a present flag changes nothing") ;
  flags_is("1.x.h:2,SRRa", "bP", 0, "1.x.h:2,PRSab", "unsorted and duplicate flags normalized, keywords after capitals") ;
  flags_is("1.x.h:2,S", "S", "S", "1.x.h:2,", "del wins over add") ;
  flags_is("1.x.h", 0, 0, "1.x.h:2,", "nothing to do still writes :2,") ;
  flags_is("weird name from elsewhere", "S", 0, "weird name from elsewhere:2,S", "any Maildir name, not only ours") ;

  ok(maildirname_setflags(&sa, "1.x.h:2,FRS", 11, "TD"), "set") ;
  is_mem(sa.s, sa.len, "1.x.h:2,DT", "set replaces and sorts") ;
  sa.len = 0 ;
  ok(maildirname_setflags(&sa, "1.x.h:2,FRS", 11, ""), "set none") ;
  is_mem(sa.s, sa.len, "1.x.h:2,", "empty flags") ;
  sa.len = 0 ;
  errno = 0 ;
  ok(!maildirname_setflags(&sa, "1.x.h:2,S", 9, "S1") && errno == EINVAL, "non-letter flag refused") ;
  ok(!maildirname_mergeflags(&sa, "1.x.h:2,S", 9, 0, ",") && errno == EINVAL, "non-letter del refused") ;
  ok(!maildirname_mergeflags(&sa, "1.x.h:1,S", 9, "S", 0) && errno == EINVAL, "other info refused") ;
  ok(!maildirname_mergeflags(&sa, ".hidden", 7, "S", 0) && errno == EINVAL, "dot file refused") ;
  ok(!maildirname_mergeflags(&sa, "", 0, "S", 0) && errno == EINVAL, "empty name refused") ;
  ok(!maildirname_mergeflags(&sa, "a/b", 3, "S", 0) && errno == EINVAL, "path refused") ;
  is(sa.len, 0, "nothing appended on refusal") ;
  stralloc_free(&sa) ;
}

static void now (void)
{
  maildirname_t m = MAILDIRNAME_ZERO ;
  time_t t = time(0) ;
  ok(maildirname_now(&m), "now") ;
  ok(m.sec + 2 >= (uint64_t)t && m.sec <= (uint64_t)t + 2, "seconds of now") ;
  ok(m.usec < 1000000, "microseconds in range") ;
  is(m.pid, getpid(), "our pid") ;
}

int main (void)
{
  make() ;
  hosts() ;
  parse() ;
  flags() ;
  now() ;
  return tap_done() ;
}
