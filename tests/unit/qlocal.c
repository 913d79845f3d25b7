/* Unit tests of qmail-local/qmail-local-core.c: .qmail line kinds, file names and the -default
   order, EXTn/HOSTn, the added lines, the forwarding sender, the loop check, and the copy with
   mboxrd quoting fed through tiny buffers in chunks of every size. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include "../../qmail-local/qmail-local-core.h"
#include "../tap.h"

#define S(lit) (lit), sizeof(lit) - 1
#define is_bytes(got, gotlen, lit, name) tap_is_mem((got), (gotlen), (lit), sizeof(lit) - 1, (name), __FILE__, __LINE__)

#include "../chunkread.h"

static stralloc outsa = STRALLOC_ZERO ;

static ssize_t sawrite (int fd, struct iovec const *v, unsigned int n)
{
  ssize_t done = 0 ;
  (void)fd ;
  for (unsigned int i = 0 ; i < n ; i++)
  {
    if (!stralloc_catb(&outsa, v[i].iov_base, v[i].iov_len)) return -1 ;
    done += v[i].iov_len ;
  }
  return done ;
}

/* Copy s through a 9-byte input buffer read in pieces of step bytes; 1 if every step size
   gives want and counts its length. */
static int copies (char const *s, size_t len, int mbox, char const *want)
{
  for (size_t step = 1 ; step <= 12 ; step++)
  {
    char ibuf[9], obuf[7] ;
    buffer in = BUFFER_INIT(&chunkread, 0, ibuf, sizeof ibuf) ;
    buffer out = BUFFER_INIT(&sawrite, 1, obuf, sizeof obuf) ;
    unsigned long long n = 0 ;
    src = s ; srclen = len ; srcpos = 0 ; chunk = step ; readerr = 0 ; outsa.len = 0 ;
    if (qlocal_copy(&out, &in, mbox, &n) != 1 || !buffer_flush(&out)) return 0 ;
    if (outsa.len != strlen(want) || memcmp(outsa.s, want, outsa.len) || n != outsa.len)
    {
      printf("#   step %zu got \"%.*s\"\n", step, (int)outsa.len, outsa.s) ;
      return 0 ;
    }
  }
  return 1 ;
}

static int loops (char const *msg, char const *dtline)
{
  char ibuf[5] ;
  buffer in = BUFFER_INIT(&chunkread, 0, ibuf, sizeof ibuf) ;
  src = msg ; srclen = strlen(msg) ; srcpos = 0 ; chunk = 3 ; readerr = 0 ;
  return qlocal_hasdtline(&in, dtline, strlen(dtline)) ;
}

static void test_lines (void)
{
  size_t arg ;
  char text[] = "# c\n\n|prog a  \t\n&x@y\nx@y\n./Mailbox\n/m/Maildir/\n.\nno-newline  " ;
  char *line ;
  size_t len, pos = 0, n = 0 ;
  qlocal_kind_t want[] = { QLOCAL_SKIP, QLOCAL_SKIP, QLOCAL_PROGRAM, QLOCAL_FORWARD, QLOCAL_FORWARD, QLOCAL_MBOX, QLOCAL_MAILDIR, QLOCAL_MBOX, QLOCAL_FORWARD } ;
  char const *args[] = { "", "", "prog a", "x@y", "x@y", "./Mailbox", "/m/Maildir/", ".", "no-newline" } ;
  char buf[sizeof text + 1] ;
  memcpy(buf, text, sizeof text) ;
  while (qlocal_nextline(buf, sizeof text - 1, &pos, &line, &len))
  {
    qlocal_kind_t k = qlocal_classify(line, len, &arg) ;
    if (n < 9)
    {
      is(k, want[n], "line kind") ;
      if (k != QLOCAL_SKIP) is_str(line + arg, args[n], "line argument, trailing blanks stripped") ;
    }
    n++ ;
  }
  is(n, 9, "nine lines, the last without newline") ;
  is(qlocal_classify("+list", 5, &arg), QLOCAL_FORWARD, "any other first byte is a forward, as in qmail") ;
}

static void test_names (void)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t n ;
  ok(qlocal_safeext(&sa, "Foo.Bar/baz-X"), "safeext") ;
  is_str(sa.s, "foo:bar:baz-x", "safeext lowercases, dots and slashes become colons") ;
  sa.len = 0 ;
  ok(qlocal_defaultnames(&sa, &n, "-", "a-b-c"), "defaultnames") ;
  is(n, 3, "three -default names for a-b-c") ;
  is_bytes(sa.s, sa.len, ".qmail-a-b-default\0.qmail-a-default\0.qmail-default\0", "in dot-qmail(5)'s order, each NUL-terminated") ;
  sa.len = 0 ;
  ok(qlocal_defaultnames(&sa, &n, "-", "a-") && n == 2, "a- gives two names") ;
  is_bytes(sa.s, sa.len, ".qmail-a-default\0.qmail-default\0", "a-: .qmail-a-default first") ;
  sa.len = 0 ;
  ok(qlocal_defaultnames(&sa, &n, "-", "") && n == 1, "empty extension: one name") ;
  is_str(sa.s, ".qmail-default", ".qmail-default") ;
  is(strlen(".qmail-a-b-default") - 13 - 1, 4, "DEFAULT of a-b-c via .qmail-a-b-default starts at 4 (\"c\")") ;
  stralloc_free(&sa) ;

  is_str(qlocal_extn("a-b-c", 2), "b-c", "EXT2") ;
  is_str(qlocal_extn("a-b-c", 3), "c", "EXT3") ;
  is_str(qlocal_extn("a-b-c", 4), "", "EXT4 past the dashes is empty") ;
  is_str(qlocal_extn("", 2), "", "EXT2 of empty") ;
  is(qlocal_hostn("a.b.c.d", 2), 5, "HOST2 a.b.c") ;
  is(qlocal_hostn("a.b.c.d", 3), 3, "HOST3 a.b") ;
  is(qlocal_hostn("a.b.c.d", 4), 1, "HOST4 a") ;
  is(qlocal_hostn("x.org", 4), 1, "HOST4 of x.org stays x") ;
  is(qlocal_hostn("localhost", 2), 9, "HOST2 without a dot is the whole host") ;
}

static void test_added (void)
{
  stralloc sa = STRALLOC_ZERO ;
  ok(qlocal_dtline(&sa, "joe-x", "Example.ORG"), "dtline") ;
  is_mem(sa.s, sa.len, "Delivered-To: joe-x@Example.ORG\n", "Delivered-To keeps case") ;
  sa.len = 0 ;
  ok(qlocal_dtline(&sa, "a\nb", "c") && qlocal_rpline(&sa, "s\nt"), "lines with newlines") ;
  is_mem(sa.s, sa.len, "Delivered-To: a_b@c\nReturn-Path: <s_t>\n", "newlines become _") ;
  sa.len = 0 ;
  ok(qlocal_rpline(&sa, ""), "rpline of the null sender") ;
  is_mem(sa.s, sa.len, "Return-Path: <>\n", "Return-Path: <>") ;
  sa.len = 0 ;
  ok(qlocal_ufline(&sa, "a b\tc\nd@e", 0), "ufline") ;
  is_mem(sa.s, sa.len, "From a-b-c-d@e Thu Jan  1 00:00:00 1970\n", "From_ line: blanks become -, ctime in UTC") ;
  sa.len = 0 ;
  ok(qlocal_ufline(&sa, "", 1795243893), "ufline null sender") ;
  is_mem(sa.s, sa.len, "From MAILER-DAEMON Sat Nov 21 06:51:33 2026\n", "From MAILER-DAEMON") ;

  sa.len = 0 ;
  ok(qlocal_newsender(&sa, "s@x", "l", "d", 0, 0), "newsender") ;
  is_str(sa.s, "s@x", "no -owner: the sender") ;
  sa.len = 0 ;
  qlocal_newsender(&sa, "s@x", "l", "d", 1, 0) ;
  is_str(sa.s, "l-owner@d", "-owner: local-owner@domain") ;
  sa.len = 0 ;
  qlocal_newsender(&sa, "s@x", "l", "d", 1, 1) ;
  is_str(sa.s, "l-owner-@d-@[]", "-owner and -owner-default: VERP") ;
  sa.len = 0 ;
  qlocal_newsender(&sa, "", "l", "d", 1, 1) ;
  is_str(sa.s, "", "null sender stays null") ;
  sa.len = 0 ;
  qlocal_newsender(&sa, "#@[]", "l", "d", 1, 1) ;
  is_str(sa.s, "#@[]", "double-bounce sender stays") ;
  stralloc_free(&sa) ;
}

static void test_loop (void)
{
  char const *dt = "Delivered-To: joe@x\n" ;
  is(loops("A: b\nDelivered-To: joe@x\n\nbody\n", dt), 1, "our line in the header") ;
  is(loops("A: b\ndelivered-TO: joe@x\n\n", dt), 1, "field name in any case") ;
  is(loops("A: b\nDelivered-To: Joe@x\n\n", dt), 0, "address compared exactly") ;
  is(loops("A: b\nDelivered-To: joe@x \n\n", dt), 0, "trailing blank differs") ;
  is(loops("A: b\n\nDelivered-To: joe@x\n", dt), 0, "not in the body") ;
  is(loops("Delivered-To: joe@x", dt), 0, "a last line without newline is not ours") ;
  is(loops("", dt), 0, "empty message") ;
  readerr = 1 ;
  {
    char ibuf[5] ;
    buffer in = BUFFER_INIT(&chunkread, 0, ibuf, sizeof ibuf) ;
    src = "A: b\n" ; srclen = 5 ; srcpos = 0 ; chunk = 2 ;
    is(qlocal_hasdtline(&in, dt, strlen(dt)), -1, "read error") ;
  }
  readerr = 0 ;
}

static void test_copy (void)
{
  ok(copies(S("abc\nFrom x\n>From y\n>>From z\nFromage\n From\nfrom\n"), 0, "abc\nFrom x\n>From y\n>>From z\nFromage\n From\nfrom\n"), "raw copy: byte for byte") ;
  ok(copies(S("abc\nFrom x\n>From y\n>>From z\nFromage\n From\nFrom\n"), 1, "abc\n>From x\n>>From y\n>>>From z\nFromage\n From\nFrom\n"), "mbox copy: ^>*From  gets one more >") ;
  ok(copies(S("From x"), 1, ">From x\n"), "mbox copy: last line gets its newline") ;
  ok(copies(S("no newline"), 0, "no newline"), "raw copy: nothing added") ;
  ok(copies(S(""), 1, ""), "mbox copy of nothing") ;
  {
    char ibuf[9], obuf[7] ;
    buffer in = BUFFER_INIT(&chunkread, 0, ibuf, sizeof ibuf) ;
    buffer out = BUFFER_INIT(&sawrite, 1, obuf, sizeof obuf) ;
    unsigned long long n = 0 ;
    src = "abc\ndef" ; srclen = 7 ; srcpos = 0 ; chunk = 3 ; readerr = 1 ;
    is(qlocal_copy(&out, &in, 1, &n), QLOCAL_EREAD, "mbox copy: read error") ;
    srcpos = 0 ;
    is(qlocal_copy(&out, &in, 0, &n), QLOCAL_EREAD, "raw copy: read error") ;
    readerr = 0 ;
  }
}

static void test_exits (void)
{
  int want[256] ;
  for (int i = 0 ; i < 256 ; i++) want[i] = 111 ;
  want[0] = 0 ; want[99] = 99 ;
  want[64] = want[65] = want[70] = want[76] = want[77] = want[78] = want[100] = want[112] = 100 ;
  for (int i = 0 ; i < 256 ; i++)
    if (qlocal_progexit(i) != want[i]) { is(qlocal_progexit(i), want[i], "program exit code") ; return ; }
  ok(1, "program exit codes 0..255 map as qmail-command(8) says") ;
}

int main (void)
{
  test_lines() ;
  test_names() ;
  test_added() ;
  test_loop() ;
  test_copy() ;
  test_exits() ;
  stralloc_free(&outsa) ;
  return tap_done() ;
}
