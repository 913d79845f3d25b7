/* Unit tests of lib/envelope.c: building, parsing every error kind, the 1000-byte limit, and
   the buffer reader fed in chunks of every size, from memory and from a real pipe. */
#include <errno.h>
#include <unistd.h>
#include <sys/uio.h>
#include <skalibs/buffer.h>
#include <skalibs/stralloc.h>
#include "envelope.h"
#include "../tap.h"

#define S(lit) (lit), sizeof(lit) - 1

#include "../chunkread.h"

static int readmem (char const *s, size_t len, size_t step, size_t maxtotal, stralloc *sa, envelope_t *env, size_t *left)
{
  char space[64] ;
  buffer b ;
  int r ;
  src = s ; srclen = len ; srcpos = 0 ; chunk = step ;
  buffer_init(&b, &chunkread, 0, space, sizeof space) ;
  r = envelope_read(&b, sa, maxtotal, ENVELOPE_ADDRMAX, env) ;
  *left = srclen - srcpos + buffer_len(&b) ;
  return r ;
}

static void parse_is (char const *s, size_t len, int want, char const *name)
{
  envelope_t env = ENVELOPE_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  size_t left ;
  errno = 0 ;
  is(envelope_parse(&env, s, len, ENVELOPE_ADDRMAX), want, name) ;
  if (want < 0) ok(errno == EINVAL, "errno EINVAL") ;
  if (want != ENVELOPE_ETRAILING) is(readmem(s, len, 3, 100000, &sa, &env, &left), want, "the reader agrees") ;
  stralloc_free(&sa) ;
}

static void build (void)
{
  stralloc sa = STRALLOC_ZERO ;
  char const *rcpts[3] = { "c@d.org", "e@f.org", "" } ;
  envelope_t env = ENVELOPE_ZERO ;
  char const *r ;
  ok(envelope_build(&sa, "a@b.org", rcpts, 2), "build") ;
  ok(sa.len == 28 && !memcmp(sa.s, "Fa@b.org\0Tc@d.org\0Te@f.org\0\0", 28), "exact envelope bytes") ;
  is(envelope_parse(&env, sa.s, sa.len, ENVELOPE_ADDRMAX), ENVELOPE_OK, "parse what was built") ;
  is_str(env.sender, "a@b.org", "sender") ;
  is(env.senderlen, 7, "sender length") ;
  is(env.rcptn, 2, "two recipients") ;
  is_str(env.rcpt, "c@d.org", "first recipient") ;
  r = envelope_nextrcpt(env.rcpt) ;
  is_str(r, "e@f.org", "second recipient") ;
  ok(env.sender == sa.s + 1 && r == sa.s + 19, "results point into the input") ;

  sa.len = 0 ;
  ok(envelope_build(&sa, "", rcpts, 3), "null sender, empty recipient") ;
  ok(sa.len == 23 && !memcmp(sa.s, "F\0Tc@d.org\0Te@f.org\0T\0\0", 23), "F NUL for the null sender") ;
  is(envelope_parse(&env, sa.s, sa.len, ENVELOPE_ADDRMAX), ENVELOPE_OK, "parse null sender") ;
  is(env.senderlen, 0, "empty sender") ;
  is_str(env.sender, "", "empty sender string") ;
  is(env.rcptn, 3, "three recipients") ;
  is_str(envelope_nextrcpt(envelope_nextrcpt(env.rcpt)), "", "empty third recipient") ;

  sa.len = 0 ;
  if (!stralloc_copys(&sa, "xy")) return ;
  errno = 0 ;
  ok(!envelope_build(&sa, "a@b", rcpts, 0) && errno == EINVAL, "no recipient: refused") ;
  is(sa.len, 2, "sa untouched") ;
  ok(envelope_start(&sa, "s") && envelope_addrcpt(&sa, "r") && envelope_finish(&sa), "piecewise build appends") ;
  ok(sa.len == 9 && !memcmp(sa.s, "xyFs\0Tr\0\0", 9), "piecewise bytes") ;
  is(envelope_parse(&env, sa.s + 2, sa.len - 2, ENVELOPE_ADDRMAX), ENVELOPE_OK, "piecewise parses") ;
  stralloc_free(&sa) ;
}

static void errors (void)
{
  parse_is(S("Fa\0Tb\0\0"), ENVELOPE_OK, "minimal envelope") ;
  parse_is(S(""), ENVELOPE_ENOF, "empty input") ;
  parse_is(S("\0"), ENVELOPE_ENOF, "a lone NUL") ;
  parse_is(S("Tb\0\0"), ENVELOPE_ENOF, "missing F record") ;
  parse_is(S("fa\0Tb\0\0"), ENVELOPE_ENOF, "lowercase f is not F") ;
  parse_is(S("Fa@b"), ENVELOPE_ENONUL, "sender without NUL") ;
  parse_is(S("F"), ENVELOPE_ENONUL, "a lone F") ;
  parse_is(S("Fa\0Tb"), ENVELOPE_ENONUL, "recipient without NUL") ;
  parse_is(S("Fa\0T"), ENVELOPE_ENONUL, "a lone T") ;
  parse_is(S("Fa\0"), ENVELOPE_ENOFINAL, "sender only, no final NUL") ;
  parse_is(S("Fa\0Tb\0"), ENVELOPE_ENOFINAL, "no final NUL") ;
  parse_is(S("Fa\0\0"), ENVELOPE_ENORCPT, "zero recipients") ;
  parse_is(S("F\0\0"), ENVELOPE_ENORCPT, "null sender, zero recipients") ;
  parse_is(S("Fa\0Tb\0\0x"), ENVELOPE_ETRAILING, "data after the final NUL") ;
  parse_is(S("Fa\0Tb\0\0\0"), ENVELOPE_ETRAILING, "a NUL after the final NUL") ;
  parse_is(S("Fa\0Xb\0\0"), ENVELOPE_EBADREC, "unknown record letter") ;
  parse_is(S("Fa\0Tb\0Fc\0\0"), ENVELOPE_EBADREC, "a second F") ;
  parse_is(S("Fa\0Tb\0t\0\0"), ENVELOPE_EBADREC, "lowercase t") ;
  parse_is(S("Fa\0Tb\0\n\0"), ENVELOPE_EBADREC, "a newline between records") ;
  is_str(envelope_strerror(ENVELOPE_ENORCPT), "envelope has no recipient", "error text") ;
  is_str(envelope_strerror(-99), "unknown envelope error", "unknown error text") ;
  is_str(envelope_strerror(ENVELOPE_ENOMEM), "out of memory reading envelope", "last error text") ;
}

static void limits (void)
{
  stralloc sa = STRALLOC_ZERO, addr = STRALLOC_ZERO ;
  envelope_t env = ENVELOPE_ZERO ;
  char const *rcpts[1] ;
  if (!stralloc_ready(&addr, 1002)) return ;
  memset(addr.s, 'x', 1000) ;
  addr.s[1000] = 0 ;
  rcpts[0] = addr.s ;
  ok(envelope_build(&sa, "a@b", rcpts, 1), "build a 1000-byte recipient") ;
  is(envelope_parse(&env, sa.s, sa.len, ENVELOPE_ADDRMAX), ENVELOPE_OK, "1000-byte recipient accepted") ;
  is(strlen(env.rcpt), 1000, "whole recipient") ;
  is(envelope_parse(&env, sa.s, sa.len, 999), ENVELOPE_ETOOLONG, "the caller's limit applies") ;
  addr.s[1000] = 'x' ; addr.s[1001] = 0 ;
  sa.len = 0 ;
  ok(envelope_build(&sa, "a@b", rcpts, 1), "build a 1001-byte recipient") ;
  is(envelope_parse(&env, sa.s, sa.len, ENVELOPE_ADDRMAX), ENVELOPE_ETOOLONG, "1001-byte recipient refused") ;
  is(envelope_parse(&env, sa.s, sa.len, 1001), ENVELOPE_OK, "accepted with a limit of 1001") ;
  sa.len = 0 ;
  rcpts[0] = "r" ;
  ok(envelope_build(&sa, addr.s, rcpts, 1), "build a 1001-byte sender") ;
  is(envelope_parse(&env, sa.s, sa.len, ENVELOPE_ADDRMAX), ENVELOPE_ETOOLONG, "1001-byte sender refused") ;
  ok(envelope_parse(&env, S("F\0T\0\0"), 0) == ENVELOPE_OK && env.rcptn == 1, "limit 0 allows empty addresses") ;
  ok(envelope_parse(&env, S("F\0Tb\0\0"), 0) == ENVELOPE_ETOOLONG, "limit 0 refuses a 1-byte address") ;
  stralloc_free(&sa) ;
  stralloc_free(&addr) ;
}

static void reader (void)
{
  static char const env3[] = "Fsender@example.org\0Tone@example.net\0Ttwo@example.net\0Tthree@x\0\0MESSAGE" ;
  size_t const envlen = sizeof env3 - 1 - 7 ;
  stralloc sa = STRALLOC_ZERO ;
  envelope_t env = ENVELOPE_ZERO ;
  unsigned int good = 0 ;
  size_t left = 0, step ;
  for (step = 1 ; step <= 80 ; step++)
  {
    if (readmem(env3, sizeof env3 - 1, step, 1000, &sa, &env, &left) == ENVELOPE_OK
     && sa.len == envlen && !memcmp(sa.s, env3, envlen) && left == 7 && env.rcptn == 3
     && !strcmp(env.sender, "sender@example.org") && !strcmp(envelope_nextrcpt(envelope_nextrcpt(env.rcpt)), "three@x"))
      good++ ;
  }
  is(good, 80, "reader: chunks of 1..80 bytes, stops after the final NUL, the message stays unread") ;
  ok(env.sender >= sa.s && env.sender < sa.s + sa.len, "reader: env points into sa") ;

  is(readmem(env3, envlen, 5, envlen, &sa, &env, &left), ENVELOPE_OK, "maxtotal equal to the size is enough") ;
  is(readmem(env3, envlen, 5, envlen - 1, &sa, &env, &left), ENVELOPE_ETOOBIG, "one byte less is too big") ;
  is(readmem(env3, envlen, 100, 10, &sa, &env, &left), ENVELOPE_ETOOBIG, "too big") ;
  is(sa.len, 10, "stops reading at the limit") ;
  is(readmem(S("Fa\0Zjunk that is never read"), 1, 100, &sa, &env, &left), ENVELOPE_EBADREC, "bad record letter") ;
  ok(left > 20, "a bad record stops the reader early") ;
  readerr = 1 ;
  errno = 0 ;
  is(readmem(S("Fa\0Tb\0"), 2, 100, &sa, &env, &left), ENVELOPE_EREAD, "read error") ;
  is(errno, EIO, "errno of the read error") ;
  readerr = 0 ;
  is(readmem(S("Fa\0Tb\0\0"), 1, 100, &sa, &env, &left), ENVELOPE_OK, "byte by byte") ;
  if (!stralloc_copys(&sa, "old contents")) return ;
  is(readmem(S("Fa\0Tb\0\0"), 4, 100, &sa, &env, &left), ENVELOPE_OK, "reader replaces sa") ;
  ok(sa.len == 7 && !memcmp(sa.s, "Fa\0Tb\0\0", 7), "sa holds only the envelope") ;
  stralloc_free(&sa) ;
}

static void pipe_reader (void)
{
  int p[2] ;
  char space[BUFFER_INSIZE] ;
  buffer b ;
  stralloc sa = STRALLOC_ZERO ;
  envelope_t env = ENVELOPE_ZERO ;
  char rest[8] ;
  if (pipe(p) == -1) { ok(0, "pipe") ; return ; }
  ok(write(p[1], "Fa@b\0Tc@d\0\0rest", 15) == 15, "write to a pipe") ;
  close(p[1]) ;
  buffer_init(&b, &buffer_read, p[0], space, sizeof space) ;
  is(envelope_read(&b, &sa, 1 << 20, ENVELOPE_ADDRMAX, &env), ENVELOPE_OK, "read from a real pipe") ;
  is_str(env.rcpt, "c@d", "recipient from the pipe") ;
  is(buffer_get(&b, rest, sizeof rest), 4, "what follows the envelope is still in the buffer") ;
  is_mem(rest, 4, "rest", "the following bytes") ;
  close(p[0]) ;
  stralloc_free(&sa) ;
}

int main (void)
{
  build() ;
  errors() ;
  limits() ;
  reader() ;
  pipe_reader() ;
  return tap_done() ;
}
