/* Unit tests of lib/md5.c (RFC 1321 appendix A.5 vectors, RFC 1939's APOP example) and of
   qmail-pop3d/pop3-core.c and checkpw-core.c: transmission (CRLF, dot-stuffing, TOP), sizes,
   UIDL, command splitting, numbers, the line reader, checkpassword requests and passwd lines. */
#include <errno.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include <skalibs/tai.h>
#include "md5.h"
#include "../../qmail-pop3d/pop3-core.h"
#include "../../qmail-pop3d/checkpw-core.h"
#include "../tap.h"

static void md5_is (char const *in, char const *want)
{
  char hex[33] ;
  md5_hex(hex, in, strlen(in)) ;
  is_str(hex, want, in) ;
}

/* the message fed in pieces of every size from 1 to its length must give the same output */
static void xmit_is (char const *msg, int limited, uint64_t lines, char const *want, char const *name)
{
  size_t len = strlen(msg) ;
  int same = 1 ;
  for (size_t step = 1 ; step <= (len ? len : 1) ; step++)
  {
    stralloc sa = STRALLOC_ZERO ;
    pop3_xmit_t x ;
    pop3_xmit_init(&x, limited, lines) ;
    for (size_t i = 0 ; i < len ; i += step)
      if (!pop3_xmit(&x, &sa, msg + i, len - i < step ? len - i : step)) same = 0 ;
    if (!pop3_xmit_end(&x, &sa)) same = 0 ;
    if (step == 1) is_mem(sa.s, sa.len, want, name) ;
    else if (sa.len != strlen(want) || memcmp(sa.s, want, sa.len)) same = 0 ;
    stralloc_free(&sa) ;
  }
  ok(same, "same output for every piece size") ;
}

static void size_is (char const *msg, uint64_t want, char const *name)
{
  pop3_size_t z = POP3_SIZE_ZERO ;
  size_t len = strlen(msg) ;
  for (size_t i = 0 ; i < len ; i++) pop3_size_add(&z, msg + i, 1) ;
  is(pop3_size_end(&z), want, name) ;
}

static void uidl_is (char const *name, char const *want)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(pop3_uidl(&sa, name), "uidl") ;
  is_mem(sa.s, sa.len, want, name) ;
  stralloc_free(&sa) ;
}

static void test_xmit (void)
{
  xmit_is("", 0, 0, ".\r\n", "empty message") ;
  xmit_is("a\nb\n", 0, 0, "a\r\nb\r\n.\r\n", "LF becomes CRLF") ;
  xmit_is("a\r\nb\r\n", 0, 0, "a\r\nb\r\n.\r\n", "CRLF stays") ;
  xmit_is("a\nb", 0, 0, "a\r\nb\r\n.\r\n", "missing final newline added") ;
  xmit_is(".\n..x\nx.\n.", 0, 0, "..\r\n...x\r\nx.\r\n..\r\n.\r\n", "dot-stuffing") ;
  xmit_is("S: x\n\nl1\nl2\nl3\n", 1, 2, "S: x\r\n\r\nl1\r\nl2\r\n.\r\n", "TOP 2") ;
  xmit_is("S: x\n\nl1\nl2\n", 1, 0, "S: x\r\n\r\n.\r\n", "TOP 0") ;
  xmit_is("S: x\r\n\r\nl1\r\nl2\r\n", 1, 1, "S: x\r\n\r\nl1\r\n.\r\n", "TOP 1 with CRLF") ;
  xmit_is("S: x\n\nl1\n", 1, 5, "S: x\r\n\r\nl1\r\n.\r\n", "TOP beyond the end") ;
  xmit_is("S: x\nT: y\n", 1, 0, "S: x\r\nT: y\r\n.\r\n", "TOP of a header without body") ;
  xmit_is("a\r\rb\n", 0, 0, "a\r\rb\r\n.\r\n", "bare CR left alone") ;
}

static void test_size (void)
{
  size_is("", 0, "empty") ;
  size_is("a\nb\n", 6, "two LF") ;
  size_is("a\r\nb\n", 6, "CRLF and LF") ;
  size_is("a\nb", 4, "no final newline: the added CRLF not counted") ;
  size_is(".\n", 3, "dots not counted") ;
  uint64_t w = 0 ;
  ok(pop3_namesize("123.M1P2.host,S=100,W=104:2,S", &w) && w == 104, "W= field") ;
  ok(pop3_namesize("123.M1P2.host,W=7", &w) && w == 7, "W= last field") ;
  ok(!pop3_namesize("123.M1P2.host,S=100:2,W=5", &w), "W= only before the info") ;
  ok(!pop3_namesize("123.M1P2.host,W=x", &w), "malformed W=") ;
}

static void test_uidl (void)
{
  char long_[100] ;
  memset(long_, 'x', 71) ;
  long_[71] = 0 ;
  uidl_is("1700000000.M1P2.host:2,S", "1700000000.M1P2.host") ;
  uidl_is("1700000000.M1P2.host", "1700000000.M1P2.host") ;
  uidl_is("a b", "0cc9cd4dd26c5137b675a0d819cb9ab0") ;  /* MD5("a b") */
  {
    stralloc sa = STRALLOC_ZERO ;
    ok(pop3_uidl(&sa, long_) && sa.len == 32, "over 70 characters: MD5 hex") ;
    long_[70] = 0 ;
    sa.len = 0 ;
    ok(pop3_uidl(&sa, long_) && sa.len == 70, "70 characters kept") ;
    stralloc_free(&sa) ;
  }
}

static void test_commands (void)
{
  char line[] = "retr 12", line2[] = "QUIT", line3[] = "top  1   2" ;
  char *arg, *verb ;
  uint64_t v[2] ;
  verb = pop3_split(line, &arg) ;  /* is_str evaluates its arguments twice */
  is_str(verb, "RETR", "verb uppercased") ;
  is_str(arg, "12", "argument") ;
  verb = pop3_split(line2, &arg) ;
  is_str(verb, "QUIT", "verb alone") ;
  is_str(arg, "", "no argument") ;
  verb = pop3_split(line3, &arg) ;
  is_str(verb, "TOP", "verb with blanks") ;
  ok(pop3_numbers(arg, v, 2) == 2 && v[0] == 1 && v[1] == 2, "two numbers") ;
  is(pop3_numbers("", v, 2), 0, "no number") ;
  is(pop3_numbers("1 2 3", v, 2), -1, "too many") ;
  is(pop3_numbers("-1", v, 1), -1, "sign refused") ;
  is(pop3_numbers("1x", v, 1), -1, "letter refused") ;
  is(pop3_numbers("99999999999999999999", v, 1), -1, "overflow refused") ;
  {
    stralloc sa = STRALLOC_ZERO ;
    ok(pop3_timestamp(&sa, 1896, 697170952, "dbc.mtview.ca.us"), "timestamp") ;
    is_mem(sa.s, sa.len, "<1896.697170952@dbc.mtview.ca.us>", "RFC 1939 timestamp form") ;
    stralloc_free(&sa) ;
  }
}

static void test_getline (void)
{
  int p[2] ;
  char *line ;
  tain deadline ;
  char big[POP3_LINEMAX + 10] ;
  if (pipe(p) == -1 || ndelay_on(p[0]) == -1) { ok(0, "pipe") ; return ; }
  pop3_in_t in = POP3_IN_INIT(p[0], 1) ;
  memset(big, 'x', sizeof big) ;
  big[sizeof big - 1] = '\n' ;
  if (write(p[1], "USER a\r\nPASS b\n", 15) != 15 || write(p[1], big, sizeof big) != (ssize_t)sizeof big
   || write(p[1], "QUIT\r\n", 6) != 6) { ok(0, "write") ; return ; }
  tain_now_set_stopwatch_g() ;
  tain_addsec_g(&deadline, 2) ;
  ok(pop3_getline(&in, &line, &deadline) == 1 && !strcmp(line, "USER a"), "CRLF line") ;
  ok(!pop3_lineready(&in), "byte at a time: nothing read ahead") ;
  ok(pop3_getline(&in, &line, &deadline) == 1 && !strcmp(line, "PASS b"), "LF line") ;
  in.maxread = 4096 ;
  is(pop3_getline(&in, &line, &deadline), -2, "overlong line discarded") ;
  ok(pop3_getline(&in, &line, &deadline) == 1 && !strcmp(line, "QUIT"), "next line after it") ;
  tain_addsec_g(&deadline, 0) ;
  ok(pop3_getline(&in, &line, &deadline) == -1 && errno == ETIMEDOUT, "deadline") ;
  close(p[1]) ;
  tain_addsec_g(&deadline, 2) ;
  is(pop3_getline(&in, &line, &deadline), 0, "end of input") ;
  close(p[0]) ;
}

static void test_checkpw (void)
{
  checkpw_req_t r ;
  checkpw_entry_t e, u ;
  char const *why = 0 ;
  char l1[] = "joe:{plain}tanstaaf:1000:100:/home/joe:x", l2[] = "root:x:0:0:/root", l3[] = "a:b:c:1:/h",
    l4[] = "a:b:1:1:rel", l5[] = "a:b:1" ;
  stralloc sa = STRALLOC_ZERO ;
  ok(checkpw_request(&r, "u\0p\0t\0", 6) && !strcmp(r.user, "u") && !strcmp(r.pass, "p") && !strcmp(r.stamp, "t"), "request") ;
  ok(checkpw_request(&r, "u\0p\0\0", 5) && !*r.stamp, "empty timestamp") ;
  ok(!checkpw_request(&r, "u\0p\0t", 5), "truncated request") ;
  ok(checkpw_line(&e, l1, &why) && !strcmp(e.user, "joe") && e.uid == 1000 && e.gid == 100 && !strcmp(e.home, "/home/joe:x"), "passwd line") ;
  ok(!checkpw_line(&u, l2, &why) && !strcmp(why, "uid 0 is refused"), "uid 0 refused") ;
  ok(!checkpw_line(&u, l3, &why) && !strcmp(why, "malformed uid"), "bad uid") ;
  ok(!checkpw_line(&u, l4, &why) && !strcmp(why, "home is not an absolute path"), "relative home") ;
  ok(!checkpw_line(&u, l5, &why) && !strcmp(why, "fewer than 5 fields"), "short line") ;
  ok(checkpw_pack(&sa, &e) && checkpw_unpack(&u, sa.s, sa.len), "pack and unpack") ;
  ok(u.uid == 1000 && u.gid == 100 && !strcmp(u.home, "/home/joe:x") && !strcmp(u.secret, "{plain}tanstaaf"), "round trip") ;
  ok(!checkpw_unpack(&u, sa.s, sa.len - 1), "truncated value") ;
  ok(checkpw_plain("{plain}tanstaaf", "tanstaaf"), "plain password") ;
  ok(!checkpw_plain("{plain}tanstaaf", "tanstaa"), "wrong plain password") ;
  ok(!checkpw_plain("$6$x$y", "$6$x$y"), "a hash is no plain password") ;
  /* RFC 1939 section 7 */
  ok(checkpw_apop("{plain}tanstaaf", "<1896.697170952@dbc.mtview.ca.us>", "c4c9334bac560ecc979e58001b3e22fb"), "APOP example") ;
  ok(checkpw_apop("{plain}tanstaaf", "<1896.697170952@dbc.mtview.ca.us>", "C4C9334BAC560ECC979E58001B3E22FB"), "APOP upper case") ;
  ok(!checkpw_apop("{plain}tanstaaf", "<1896.697170953@dbc.mtview.ca.us>", "c4c9334bac560ecc979e58001b3e22fb"), "APOP other stamp") ;
  ok(!checkpw_apop("{plain}tanstaaf", "", "c4c9334bac560ecc979e58001b3e22fb"), "APOP without stamp") ;
  ok(checkpw_equal("abc", "abc") && !checkpw_equal("abc", "abd") && !checkpw_equal("abc", "ab") && !checkpw_equal("", "a"), "equal") ;
  stralloc_free(&sa) ;
}

int main (void)
{
  md5_is("", "d41d8cd98f00b204e9800998ecf8427e") ;
  md5_is("a", "0cc175b9c0f1b6a831c399e269772661") ;
  md5_is("abc", "900150983cd24fb0d6963f7d28e17f72") ;
  md5_is("message digest", "f96b697d7cb7938d525a2f31aaf161d0") ;
  md5_is("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b") ;
  md5_is("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f") ;
  md5_is("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a") ;
  test_xmit() ;
  test_size() ;
  test_uidl() ;
  test_commands() ;
  test_getline() ;
  test_checkpw() ;
  return tap_done() ;
}
