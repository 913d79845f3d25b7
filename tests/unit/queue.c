/* Unit tests of lib/queue.c: paths, header build/parse round trip, state changes, and the
   parser's refusal of damaged headers. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include "envelope.h"
#include "queue.h"
#include "../tap.h"

static void envelope_of (stralloc *sa, envelope_t *env, char const *sender, char const *const *r, size_t n)
{
  sa->len = 0 ;
  if (!envelope_build(sa, sender, r, n) || envelope_parse(env, sa->s, sa->len, ENVELOPE_ADDRMAX)) exit(111) ;
}

static int parses (char const *s, size_t len)
{
  queuehdr_t h ;
  return queuehdr_parse(&h, s, len) ;
}

int main (void)
{
  stralloc sa = STRALLOC_ZERO, esa = STRALLOC_ZERO, big = STRALLOC_ZERO ;
  envelope_t env ;
  queuehdr_t h ;
  queuercpt_t r ;
  size_t bodyoff, pos ;
  char const *rcpts[] = { "a@example.org", "b@example.net", "" } ;

  ok(queue_path(&sa, "todo", 47, 23) && !strcmp(sa.s, "todo/1/47") && sa.len == 9, "queue path splits by id") ;

  envelope_of(&esa, &env, "sender@example.com", rcpts, 3) ;
  sa.len = 0 ;
  ok(queuehdr_build(&sa, 1764000000, 1000, 4242, &env, QUEUE_RESERVE, &bodyoff), "build") ;
  is(bodyoff, QUEUE_RESERVE, "small header fits the reservation") ;
  is(sa.len, QUEUE_RESERVE, "padded to the reservation") ;
  ok(!memcmp(sa.s, "QMQ1 000000001024\n", 18), "prefix names the body offset") ;
  ok(queuehdr_parse(&h, sa.s, sa.len), "parse") ;
  is(h.bodyoff, 1024, "body offset") ;
  is(h.birth, 1764000000, "birth") ;
  is(h.uid, 1000, "uid") ;
  is(h.pid, 4242, "pid") ;
  is_str(h.sender, "sender@example.com", "sender") ;
  is(h.rcptn, 3, "three recipients") ;
  pos = h.rcptstart ;
  ok(queuehdr_nextrcpt(&h, sa.s, &pos, &r) && r.state == 'T' && !strcmp(r.addr, "a@example.org"), "first recipient") ;
  ok(sa.s[r.off] == 'T', "offset points at the state letter") ;
  ok(queuehdr_nextrcpt(&h, sa.s, &pos, &r) && !strcmp(r.addr, "b@example.net"), "second recipient") ;
  ok(queuehdr_nextrcpt(&h, sa.s, &pos, &r) && !strcmp(r.addr, ""), "empty recipient kept") ;
  ok(!queuehdr_nextrcpt(&h, sa.s, &pos, &r), "no fourth recipient") ;
  ok(h.nextlocaloff && h.nextremoteoff && h.nextlocal == 0 && h.nextremote == 0, "next-try fields present") ;

  {
    char fn[] = "/tmp/qm-queue-XXXXXX" ;
    int fd = mkstemp(fn) ;
    stralloc back = STRALLOC_ZERO ;
    queuehdr_t h2 ;
    ok(fd >= 0 && write(fd, sa.s, sa.len) == (ssize_t)sa.len && write(fd, "body\n", 5) == 5, "write a file") ;
    ok(queuehdr_setstate(fd, r.off, QUEUE_DONE), "set a state") ;
    ok(queuehdr_settime(fd, h.nextremoteoff, 1764003600), "set a time") ;
    ok(queuehdr_read(fd, &back, &h2), "read back") ;
    pos = h2.rcptstart ;
    queuehdr_nextrcpt(&h2, back.s, &pos, &r) ;
    queuehdr_nextrcpt(&h2, back.s, &pos, &r) ;
    queuehdr_nextrcpt(&h2, back.s, &pos, &r) ;
    is(r.state, 'D', "state letter changed in place") ;
    is(h2.nextremote, 1764003600, "time changed in place") ;
    is(h2.nextlocal, 0, "other time untouched") ;
    unlink(fn) ; close(fd) ;
    stralloc_free(&back) ;
  }

  {
    static char const *many[200] ;
    for (size_t i = 0 ; i < 200 ; i++) many[i] = "someone-with-a-long-address@example.org" ;
    envelope_of(&esa, &env, "", many, 200) ;
    big.len = 0 ;
    ok(queuehdr_build(&big, 1, 2, 3, &env, QUEUE_RESERVE, &bodyoff) && bodyoff > QUEUE_RESERVE && big.len == bodyoff, "large envelope grows the header") ;
    ok(queuehdr_parse(&h, big.s, big.len) && h.rcptn == 200 && !h.sender[0], "large header parses, null sender") ;
  }

  /* damage: every one must be refused */
  ok(!parses(sa.s, 17), "too short") ;
  sa.s[0] = 'X' ; ok(!parses(sa.s, sa.len), "bad magic") ; sa.s[0] = 'Q' ;
  sa.s[6] = 'x' ; ok(!parses(sa.s, sa.len), "bad offset digits") ; sa.s[6] = '0' ;
  ok(!parses(sa.s, sa.len - 1), "body offset beyond the bytes") ;
  {
    stralloc d = STRALLOC_ZERO ;
    stralloc_copyb(&d, "QMQ1 000000000030\nB1\0Fx\0Ty\0\0\0\0\0", 30) ;
    ok(parses(d.s, d.len), "minimal header") ;
    stralloc_copyb(&d, "QMQ1 000000000030\nB1\0Ty\0Fx\0\0\0\0\0", 30) ;
    ok(!parses(d.s, d.len), "recipient before sender") ;
    stralloc_copyb(&d, "QMQ1 000000000030\nB1\0Fx\0\0\0\0\0\0\0\0", 30) ;
    ok(!parses(d.s, d.len), "no recipient") ;
    stralloc_copyb(&d, "QMQ1 000000000030\nFx\0Ty\0\0\0\0\0\0\0", 30) ;
    ok(!parses(d.s, d.len), "no birth") ;
    stralloc_copyb(&d, "QMQ1 000000000030\nB1\0Fx\0Ty\0Qz\0\0\0", 30) ;
    ok(!parses(d.s, d.len), "unknown record") ;
    stralloc_copyb(&d, "QMQ1 000000000030\nB1\0Fx\0Ty\0B2\0Tz\0", 30) ;
    ok(!parses(d.s, d.len), "no terminating empty record before the body") ;
    stralloc_copyb(&d, "QMQ1 000000000030\nB1\0Fx\0Ty\0N12\0\0\0", 30) ;
    ok(!parses(d.s, d.len), "short fixed-width time") ;
    stralloc_copyb(&d, "QMQ1 000000000030\nB1\0Fx\0Fy\0Tz\0\0\0\0", 30) ;
    ok(!parses(d.s, d.len), "two senders") ;
    stralloc_free(&d) ;
  }
  stralloc_free(&sa) ; stralloc_free(&esa) ; stralloc_free(&big) ;
  return tap_done() ;
}
