/* Unit tests of lib/assign.c: users/assign lines, their compilation into a cdb, the lookup
   order (exact, longest wildcard, first of duplicates, case), damaged cdbs, and the parts of
   the password-database rules that hold on any machine.
   "assign.t lookup LOCAL" instead prints assign_lookup's answer under $QMAILHOME, for tests/qmail-newu.t:
   the source, then the six fields, one per line; exit 0, 100 nobody, 111 error. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/cdb.h>
#include <skalibs/cdbmake.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include "assign.h"
#include "home.h"
#include "../tap.h"

static char const *const sources[] = { "none", "exact", "wild", "passwd", "catchall" } ;

static int lookup_main (char const *local)
{
  assign_t a = ASSIGN_ZERO ;
  int r ;
  home_chdir() ;
  r = assign_lookup(&a, local) ;
  if (r < 0) { perror("assign_lookup") ; return 111 ; }
  printf("%s\n", sources[r ? a.source : 0]) ;
  for (size_t i = 0 ; i < a.sa.len ; i++) putchar(a.sa.s[i] ? a.sa.s[i] : '\n') ;
  assign_free(&a) ;
  return r ? 0 : 100 ;
}

/* parse one line; "" if it parses (key and data then checked by the caller), else the reason */
static char const *parse (stralloc *key, stralloc *data, char const *line)
{
  char const *why = 0 ;
  int r = assign_parseline(key, data, line, strlen(line), &why) ;
  return r > 0 ? "" : r < 0 ? "nomem" : why ;
}

/* compile text into path; returns assign_make's result */
static int make (char const *path, char const *text, size_t *line, char const **why)
{
  cdbmaker c = CDBMAKER_ZERO ;
  int r, fd = open3(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) ;
  if (fd == -1 || !cdbmake_start(&c, fd)) { perror(path) ; exit(111) ; }
  r = assign_make(&c, text, strlen(text), line, why) ;
  if (r > 0 && !cdbmake_finish(&c)) { perror(path) ; exit(111) ; }
  if (r <= 0) genalloc_free(diuint32, &c.hplist) ;
  close(fd) ;
  return r ;
}

/* a lookup in c; the fields joined by '|' after the source, or "none" / "error" */
static char const *look (cdb const *c, char const *local)
{
  static char buf[512] ;
  assign_t a = ASSIGN_ZERO ;
  int r = assign_cdb(&a, c, local) ;
  if (r <= 0) return r ? "error" : "none" ;
  snprintf(buf, sizeof buf, "%s %s|%u|%u|%s|%s|%s", sources[a.source], assign_user(&a), (unsigned)a.uid,
    (unsigned)a.gid, assign_home(&a), assign_dash(&a), assign_ext(&a)) ;
  assign_free(&a) ;
  return buf ;
}

static void test_parseline (void)
{
  stralloc k = STRALLOC_ZERO, d = STRALLOC_ZERO ;
  is_str(parse(&k, &d, "=Joe.Shmoe:joe:0503:78:/home/joe:::"), "", "simple assignment") ;
  ok(k.len == 10 && !memcmp(k.s, "=joe.shmoe", 10), "key: = and the lowercased local") ;
  ok(d.len == 23 && !memcmp(d.s, "joe\0" "503\0" "78\0" "/home/joe\0\0\0", 23), "value: fields, ids canonical") ;
  is_str(parse(&k, &d, "+:alias:7790:2108:/var/qmail/alias:-::"), "", "empty wildcard") ;
  ok(k.len == 1 && k.s[0] == '+', "key: + alone") ;
  is_str(parse(&k, &d, "+joe-:joe:507:100:/home/joe:-/:pre:"), "", "wildcard with dash and pre") ;
  ok(d.len == 29 && !memcmp(d.s, "joe\0" "507\0" "100\0" "/home/joe\0-/\0pre\0", 29), "wildcard value") ;
  is_str(parse(&k, &d, ""), "empty line", "empty line refused") ;
  is_str(parse(&k, &d, "joe:joe:1:1:/h:::"), "not an assignment: lines begin with = or +", "no = or +") ;
  is_str(parse(&k, &d, "=joe:joe:1:1:/h::"), "too few fields: want 7, each ended by a colon", "six fields") ;
  is_str(parse(&k, &d, "=joe:joe:1:1:/h:::x"), "text after the last colon", "trailing garbage") ;
  is_str(parse(&k, &d, "=joe:joe:1:1:/h:::\r"), "text after the last colon", "CR is trailing garbage") ;
  is_str(parse(&k, &d, "=joe:joe:1:1:/h::::"), "too many fields: want 7, each ended by a colon", "eight fields") ;
  is_str(parse(&k, &d, "=joe::1:1:/h:::"), "empty user name", "empty user") ;
  is_str(parse(&k, &d, "=joe:joe:x1:1:/h:::"), "uid is not a decimal number below 4294967295", "uid not a number") ;
  is_str(parse(&k, &d, "=joe:joe::1:/h:::"), "uid is not a decimal number below 4294967295", "empty uid") ;
  is_str(parse(&k, &d, "=joe:joe:-1:1:/h:::"), "uid is not a decimal number below 4294967295", "negative uid") ;
  is_str(parse(&k, &d, "=joe:joe:4294967295:1:/h:::"), "uid is not a decimal number below 4294967295", "uid (uid_t)-1") ;
  is_str(parse(&k, &d, "=joe:joe:4294967294:1:/h:::"), "", "largest uid") ;
  is_str(parse(&k, &d, "=joe:joe:99999999999:1:/h:::"), "uid is not a decimal number below 4294967295", "uid overflow") ;
  is_str(parse(&k, &d, "=joe:joe:0:1:/h:::"), "uid 0: mail is never delivered as root", "uid 0 refused") ;
  is_str(parse(&k, &d, "=joe:joe:1:1 :/h:::"), "gid is not a decimal number below 4294967295", "gid not a number") ;
  is_str(parse(&k, &d, "=joe:joe:1:0:/h:::"), "", "gid 0 allowed") ;
  is_str(parse(&k, &d, "=joe:joe:1:1:home:::"), "home directory is not an absolute path", "relative home") ;
  is_str(parse(&k, &d, "=joe:joe:1:1::::"), "home directory is not an absolute path", "empty home") ;
  {
    char const nul[] = "=jo\0e:joe:1:1:/h:::" ;
    char const *why = 0 ;
    is(assign_parseline(&k, &d, nul, sizeof nul - 1, &why), 0, "NUL refused") ;
    is_str(why, "NUL in the line", "NUL reason") ;
  }
  stralloc_free(&k) ;
  stralloc_free(&d) ;
}

static void test_lookups (char const *path)
{
  cdb c = CDB_ZERO ;
  size_t line = 9 ;
  char const *why = 0 ;
  is(make(path,
    "+:alias:7790:2108:/var/qmail/alias:-::\n"
    "+joe-:joe:507:100:/home/joe:-::\n"
    "=joe:joe:507:100:/home/joe:::\n"
    "=Joe.Shmoe:joe:507:100:/home/joe:-:shmoe:\n"
    "=joe.shmoe:bill:600:100:/home/bill:::\n"
    "+joe-list-:list:700:100:/home/list:-:joe-:\n"
    "+sales:sales:800:100:/home/sales:-:x:\n"
    ".\n", &line, &why), 1, "compile the qmail-users(5) example and more") ;
  is(line, 8, "eight lines read") ;
  if (!cdb_init(&c, path)) { perror(path) ; exit(111) ; }
  is_str(look(&c, "joe"), "exact joe|507|100|/home/joe||", "joe: the = line beats the wildcards") ;
  is_str(look(&c, "JOE"), "exact joe|507|100|/home/joe||", "local parts are matched without regard to case") ;
  is_str(look(&c, "joe-direct"), "wild joe|507|100|/home/joe|-|direct", "joe-direct: wildcard, ext = pre + rest") ;
  is_str(look(&c, "Joe-Direct"), "wild joe|507|100|/home/joe|-|Direct", "the rest keeps its case") ;
  is_str(look(&c, "joe-"), "wild joe|507|100|/home/joe|-|", "the prefix itself") ;
  is_str(look(&c, "joe-list-x"), "wild list|700|100|/home/list|-|joe-x", "the longest wildcard wins") ;
  is_str(look(&c, "joe-list"), "wild joe|507|100|/home/joe|-|list", "a shorter prefix when the longer does not match") ;
  is_str(look(&c, "bill"), "wild alias|7790|2108|/var/qmail/alias|-|bill", "bill: the catch-all") ;
  is_str(look(&c, ""), "wild alias|7790|2108|/var/qmail/alias|-|", "empty local: the catch-all") ;
  is_str(look(&c, "jo"), "wild alias|7790|2108|/var/qmail/alias|-|jo", "a prefix of a prefix is not a match") ;
  is_str(look(&c, "joe.shmoe"), "exact joe|507|100|/home/joe|-|shmoe", "duplicates: the first line wins") ;
  is_str(look(&c, "salesforce"), "wild sales|800|100|/home/sales|-|xforce", "wildcard without a break") ;
  cdb_free(&c) ;

  is(make(path, "=joe:joe:507:100:/home/joe:::\n.", &line, &why), 1, "a final dot without newline") ;
  if (!cdb_init(&c, path)) { perror(path) ; exit(111) ; }
  is_str(look(&c, "joe"), "exact joe|507|100|/home/joe||", "found") ;
  is_str(look(&c, "joe-x"), "none", "no wildcard, no match") ;
  cdb_free(&c) ;
  is(make(path, ".\n", &line, &why), 1, "an empty assignment list") ;
  if (!cdb_init(&c, path)) { perror(path) ; exit(111) ; }
  is_str(look(&c, "anybody"), "none", "nothing matches") ;
  cdb_free(&c) ;
}

static void test_malformed (char const *path)
{
  static struct { char const *text ; size_t line ; char const *why ; } const cases[] =
  {
    { "", 1, "end of file before the final line \".\" (a truncated file?)" },
    { "=joe:joe:507:100:/home/joe:::\n", 2, "end of file before the final line \".\" (a truncated file?)" },
    { "=joe:joe:507:100:/home/joe:::\n=bill:bil", 2, "too few fields: want 7, each ended by a colon" },
    { "=joe:joe:507:100:/home/joe:::\n.\n=bill:bill:1:1:/b:::\n", 3, "text after the final line \".\"" },
    { "=joe:joe:507:100:/home/joe:::\n.\n\n", 3, "text after the final line \".\"" },
    { "=a:a:1:1:/a:::\n=b:b:x:1:/b:::\n.\n", 2, "uid is not a decimal number below 4294967295" },
    { "=a:a:1:1:/a:::\n\n.\n", 2, "empty line" },
    { ". \n", 1, "not an assignment: lines begin with = or +" },
  } ;
  for (size_t i = 0 ; i < sizeof cases / sizeof *cases ; i++)
  {
    size_t line = 0 ;
    char const *why = "" ;
    char name[64] ;
    snprintf(name, sizeof name, "malformed case %zu refused", i) ;
    is(make(path, cases[i].text, &line, &why), 0, name) ;
    snprintf(name, sizeof name, "malformed case %zu: line %zu", i, cases[i].line) ;
    is(line, cases[i].line, name) ;
    snprintf(name, sizeof name, "malformed case %zu: reason", i) ;
    is_str(why, cases[i].why, name) ;
  }
}

/* cdbs qmail-newu would not write: no "" record (probe every prefix), damaged records */
static void test_foreign (char const *path)
{
  static struct { char const *key ; char const *data ; unsigned int dlen ; } const recs[] =
  {
#define REC(k, d) { k, d, sizeof d - 1 }
    REC("+ab", "ab\0" "1\0" "2\0" "/ab\0" "-\0" "\0"),
    REC("=short", "u\0" "1\0" "2\0" "/h\0"),
    REC("=baduid", "u\0" "x\0" "2\0" "/h\0" "\0" "\0"),
    REC("=nouser", "\0" "1\0" "2\0" "/h\0" "\0" "\0"),
    REC("=long", "u\0" "1\0" "2\0" "/h\0" "\0" "\0" "x"),
#undef REC
  } ;
  cdbmaker m = CDBMAKER_ZERO ;
  cdb c = CDB_ZERO ;
  int fd = open3(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) ;
  if (fd == -1 || !cdbmake_start(&m, fd)) exit(111) ;
  for (size_t i = 0 ; i < sizeof recs / sizeof *recs ; i++)
    if (!cdbmake_add(&m, recs[i].key, strlen(recs[i].key), recs[i].data, recs[i].dlen)) exit(111) ;
  if (!cdbmake_finish(&m)) exit(111) ;
  close(fd) ;
  if (!cdb_init(&c, path)) exit(111) ;
  is_str(look(&c, "abc"), "wild ab|1|2|/ab|-|c", "no \"\" record: every prefix is probed") ;
  is_str(look(&c, "xyz"), "none", "and no match is still none") ;
  errno = 0 ;
  is_str(look(&c, "short"), "error", "a record of four fields is an error") ;
  is(errno, EINVAL, "EINVAL") ;
  is_str(look(&c, "baduid"), "error", "a record with a bad uid is an error") ;
  is_str(look(&c, "nouser"), "error", "a record without a user is an error") ;
  is_str(look(&c, "long"), "error", "a record with text after the sixth field is an error") ;
  cdb_free(&c) ;
}

/* assign_lookup on users/cdb: a damaged file is trouble, never "no such user" */
static void test_truncated (void)
{
  assign_t a = ASSIGN_ZERO ;
  stralloc full = STRALLOC_ZERO ;
  size_t line ;
  char const *why ;
  static size_t const cuts[] = { 0, 100, 2048, 2060 } ;
  if (mkdir("users", 0755) == -1) exit(111) ;
  is(make("users/cdb", "=joe:joe:507:100:/home/joe:::\n+:alias:1:1:/a:-::\n.\n", &line, &why), 1, "users/cdb written") ;
  is(assign_lookup(&a, "joe"), 1, "assign_lookup reads users/cdb") ;
  is(a.source, ASSIGN_EXACT, "exact") ;
  is(assign_lookup(&a, "Bill"), 1, "the catch-all") ;
  is_str(assign_ext(&a), "Bill", "catch-all ext") ;
  if (!openslurpclose(&full, "users/cdb")) exit(111) ;
  for (size_t i = 0 ; i < sizeof cuts / sizeof *cuts ; i++)
  {
    char name[64] ;
    if (!openwritenclose_unsafe("users/cdb", full.s, cuts[i])) exit(111) ;
    errno = 0 ;
    snprintf(name, sizeof name, "users/cdb cut to %zu bytes: an error", cuts[i]) ;
    is(assign_lookup(&a, "joe"), -1, name) ;
  }
  unlink("users/cdb") ;
  rmdir("users") ;
  stralloc_free(&full) ;
  assign_free(&a) ;
}

static void test_passwd (void)
{
  assign_t a = ASSIGN_ZERO ;
  is(assign_passwd(&a, "root"), 0, "root (uid 0) is never a user") ;
  is(assign_passwd(&a, "Root-ext"), 0, "not even with an extension") ;
  is(assign_passwd(&a, "qm-no-such-account-xyz"), 0, "an unknown name is no user") ;
  is(assign_passwd(&a, "an-account-name-longer-than-31-characters-x"), 0, "long names are never looked up") ;
  is(assign_passwd(&a, ""), 0, "the empty name is no user") ;
  is(assign_catchall(&a, "x", "root"), 0, "an alias account with uid 0 is refused") ;
  is(assign_catchall(&a, "x", "qm-no-such-alias"), 0, "a missing alias account: nobody") ;
  assign_free(&a) ;
}

int main (int argc, char const *const *argv)
{
  char dir[] = "/tmp/qm-assign-XXXXXX" ;
  if (argc == 3 && !strcmp(argv[1], "lookup")) return lookup_main(argv[2]) ;
  if (!mkdtemp(dir) || chdir(dir) == -1) return 111 ;
  test_parseline() ;
  test_lookups("t.cdb") ;
  test_malformed("t.cdb") ;
  test_foreign("t.cdb") ;
  test_truncated() ;
  test_passwd() ;
  unlink("t.cdb") ;
  chdir("/") ;
  rmdir(dir) ;
  return tap_done() ;
}
