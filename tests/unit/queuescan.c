/* Unit tests of lib/queuescan.c: strict message ids, sort and dedup, and a small queue (split 3)
   listed, shown and copied: order by birth then id, one line per message whatever it is in
   both todo/ and mess/, the held marker, control characters, damaged and misplaced files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include "envelope.h"
#include "queue.h"
#include "queuescan.h"
#include "../tap.h"

static char const *const files[] = { "todo/1/4", "mess/1/4", "mess/2/5", "mess/0/3", "mess/0/7", "todo/2/8", "todo/0/abc", "todo/0/.9", 0 } ;

static void writefile (char const *path, char const *s, size_t len)
{
  FILE *f = fopen(path, "wb") ;
  if (!f || fwrite(s, 1, len, f) != len || fclose(f)) exit(111) ;
}

/* A message file as qmail-queue writes it; states and held applied in place. */
static void message (char const *path, uint64_t birth, char const *sender, char const *const *r, size_t n, char const *states, int held)
{
  stralloc esa = STRALLOC_ZERO, sa = STRALLOC_ZERO ;
  envelope_t env ;
  queuehdr_t h ;
  queuercpt_t rc ;
  size_t bodyoff, pos ;
  if (!envelope_build(&esa, sender, r, n) || envelope_parse(&env, esa.s, esa.len, ENVELOPE_ADDRMAX)) exit(111) ;
  if (!queuehdr_build(&sa, birth, 1000, 42, &env, QUEUE_RESERVE, &bodyoff) || !queuehdr_parse(&h, sa.s, sa.len)) exit(111) ;
  for (pos = h.rcptstart ; states && *states && queuehdr_nextrcpt(&h, sa.s, &pos, &rc) ; states++) sa.s[rc.off] = *states ;
  if (held) { memcpy(sa.s + h.nextlocaloff, "999999999999", 12) ; memcpy(sa.s + h.nextremoteoff, "999999999999", 12) ; }
  if (!stralloc_cats(&sa, "Subject: x\n\nbody\n")) exit(111) ;
  writefile(path, sa.s, sa.len) ;
  stralloc_free(&sa) ; stralloc_free(&esa) ;
}

static void makequeue (void)
{
  static char const *const dirs[] = { "todo", "mess", "todo/0", "todo/1", "todo/2", "mess/0", "mess/1", "mess/2", 0 } ;
  char const *one[] = { "new@y" }, *two[] = { "l@y", "r\nz@x" } ;
  for (size_t i = 0 ; dirs[i] ; i++) if (mkdir(dirs[i], 0700) < 0) exit(111) ;
  message("todo/1/4", 1764000000, "b@x", one, 1, 0, 0) ;
  message("mess/1/4", 1764000000, "b@x", one, 1, "R", 0) ;   /* the same id, seen mid-move */
  message("mess/2/5", 1763999000, "a\033b@x", two, 2, "LD", 1) ;
  message("mess/0/3", 1764000000, "", one, 1, "X", 0) ;
  message("mess/0/7", 1, "misplaced@x", one, 1, 0, 0) ;       /* 7 % 3 is 1 */
  writefile("todo/2/8", "QMQ1 000000001024\nshort", 23) ;    /* damaged */
  writefile("todo/0/abc", "", 0) ;
  writefile("todo/0/.9", "", 0) ;
}

static void ids (void)
{
  uint64_t id = 0, v[] = { 5, 3, 5, 1, 3, 9 } ;
  ok(queuescan_id("12345", &id) && id == 12345, "id: decimal") ;
  ok(queuescan_id("18446744073709551615", &id) && id == UINT64_MAX, "id: the largest") ;
  ok(!queuescan_id("18446744073709551616", &id), "id: overflow refused") ;
  ok(!queuescan_id("", &id) && !queuescan_id("0", &id) && !queuescan_id("012", &id), "id: empty, 0, leading zero refused") ;
  ok(!queuescan_id("-1", &id) && !queuescan_id("+1", &id) && !queuescan_id("1 ", &id) && !queuescan_id("1/2", &id), "id: sign, blank, slash refused") ;
  ok(!queuescan_id("../../etc/passwd", &id) && !queuescan_id("00000000000000000000001", &id), "id: paths and long forms refused") ;
  is(queuescan_uniq(v, 6), 4, "uniq: four distinct") ;
  ok(v[0] == 1 && v[1] == 3 && v[2] == 5 && v[3] == 9, "uniq: sorted") ;
  is(queuescan_uniq(v, 0), 0, "uniq: empty") ;
}

/* Run f with fd 2 going to a file; what it wrote there into sa. */
static void capture_stderr (void (*f) (void), stralloc *sa)
{
  char fn[] = "/tmp/qm-queuescan-err-XXXXXX" ;
  int fd = mkstemp(fn), saved = dup(2) ;
  ssize_t r ;
  if (fd < 0 || saved < 0 || dup2(fd, 2) < 0) exit(111) ;
  f() ;
  if (dup2(saved, 2) < 0) exit(111) ;
  close(saved) ;
  if (!stralloc_ready(sa, 4096)) exit(111) ;
  r = pread(fd, sa->s, 4096, 0) ;
  sa->len = r > 0 ? r : 0 ;
  close(fd) ;
  unlink(fn) ;
}

static void listing (void)
{
  queuelist_t l = QUEUELIST_ZERO ;
  stralloc out = STRALLOC_ZERO ;
  genalloc g = GENALLOC_ZERO ;
  unsigned int bad = 0 ;
  ok(queuescan_ids(&g, "todo", 3, &bad) && queuescan_ids(&g, "mess", 3, &bad), "ids of todo/ and mess/") ;
  is(genalloc_len(uint64_t, &g), 5, "five names are ids in place (4 twice, 5, 3, 8)") ;
  is(bad, 1, "the misplaced file counted") ;
  bad = 0 ;
  ok(queuelist_scan(&l, 3, &bad), "scan") ;
  is(bad, 2, "misplaced and damaged files counted") ;
  is(genalloc_len(queuelistent_t, &l.entries), 3, "three messages listed") ;
  for (size_t i = 0 ; i < genalloc_len(queuelistent_t, &l.entries) ; i++)
  {
    queuelistent_t const *e = genalloc_s(queuelistent_t, &l.entries) + i ;
    stralloc_catb(&out, l.text.s + e->pos, e->len) ;
  }
  is_mem(out.s, out.len,
    "Mon, 24 Nov 2025 15:43:20 +0000 #5 17 <a?b@x> held\n\tlocal\tl@y\n\tdone\tr?z@x\n"
    "Mon, 24 Nov 2025 16:00:00 +0000 #3 17 <>\n\tfailed\tnew@y\n"
    "Mon, 24 Nov 2025 16:00:00 +0000 #4 17 <b@x>\n\tnew\tnew@y\n",
    "listing: by birth then id, the todo/ copy of 4, held, control characters as ?") ;
  queuelist_free(&l) ; stralloc_free(&out) ; genalloc_free(uint64_t, &g) ;
}

static void show (void)
{
  queuemsg_t m = QUEUEMSG_ZERO ;
  stralloc sa = STRALLOC_ZERO ;
  int p[2] ;
  char buf[256] ;
  ssize_t r ;
  ok(queuemsg_open(&m, 5, 3, 0) && m.dir == 'm' && queuemsg_held(&m), "open 5: in mess/, held") ;
  ok(queuemsg_fmtinfo(&sa, &m), "envelope") ;
  is_mem(sa.s, sa.len,
    "id: 5\nfile: mess/2/5\narrival: Mon, 24 Nov 2025 15:43:20 +0000\nsize: 17\nfrom: <a?b@x>\nuid: 1000\npid: 42\n"
    "held: yes\nnext local try: 999999999999\nnext remote try: 999999999999\nrecipient: local l@y\nrecipient: done r?z@x\n",
    "envelope fields; a time past 9999 as a number") ;
  ok(pipe(p) == 0 && queuemsg_copybody(&m, p[1]) == 1, "copy the message") ;
  close(p[1]) ;
  r = read(p[0], buf, sizeof buf) ;
  close(p[0]) ;
  ok(r > 0 && (size_t)r == m.size && !memcmp(buf + r - 17, "Subject: x\n\nbody\n", 17), "the message from its body offset") ;
  ok(!queuemsg_open(&m, 6, 3, 0) && errno == ENOENT, "no message 6: ENOENT") ;
  ok(!queuemsg_open(&m, 8, 3, 0) && errno == EINVAL && !strcmp(m.path.s, "todo/2/8"), "damaged 8: EINVAL, named") ;
  ok(queuemsg_open(&m, 4, 3, 0) && m.dir == 't' && !queuemsg_held(&m), "4 found in todo/ first") ;
  queuemsg_free(&m) ; stralloc_free(&sa) ;
}

int main (void)
{
  char tmpl[] = "/tmp/qm-queuescan-XXXXXX" ;
  stralloc err = STRALLOC_ZERO ;
  char const *dir = mkdtemp(tmpl) ;
  PROG = "queuescan.t" ;   /* the warnings about damaged files go to stderr */
  if (!dir || chdir(dir) < 0) return 111 ;
  makequeue() ;
  ids() ;
  capture_stderr(&listing, &err) ;
  is_mem(err.s, err.len, "queuescan.t: warning: mess/0/7 is in the wrong subdirectory\n"
    "queuescan.t: warning: mess/0/7 is in the wrong subdirectory\n"
    "queuescan.t: warning: damaged message file todo/2/8\n", "the warnings name each file") ;
  capture_stderr(&show, &err) ;
  is(err.len, 0, "show: no warning") ;
  stralloc_free(&err) ;
  for (size_t i = 0 ; files[i] ; i++) unlink(files[i]) ;
  rmdir("todo/0") ; rmdir("todo/1") ; rmdir("todo/2") ; rmdir("mess/0") ; rmdir("mess/1") ; rmdir("mess/2") ;
  rmdir("todo") ; rmdir("mess") ;
  if (chdir("/") < 0 || rmdir(dir) < 0) return 111 ;
  return tap_done() ;
}
