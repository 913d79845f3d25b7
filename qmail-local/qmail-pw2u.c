/* qmail-pw2u [-/ohHuUC] [-c char]: turn a V7 passwd file on fd 0 into a users/assign file on
   fd 1 (qmail-pw2u(8)), following qmail-getpw's rules and the files include, exclude,
   mailnames, subusers and append of $QMAILHOME/users. fd 1 gets the whole result or nothing.
   Exit codes: 0 done, 100 usage, 111 a malformed line (named), a missing home with -h, or a
   system error. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/genalloc.h>
#include <skalibs/sgetopt.h>
#include <skalibs/stralloc.h>
#include <skalibs/strerr.h>
#include <skalibs/types.h>
#include "assign.h"
#include "home.h"

#define USAGE "qmail-pw2u [ -/ohHuUC ] [ -c char ]"

#define HOME_SKIP 0  /* -o: skip an account whose home is missing or not its own */
#define HOME_STOP 1  /* -h: a missing home is fatal */
#define HOME_ANY 2   /* -H: no check */

typedef struct opts_s opts_t ;
struct opts_s
{
  char brk ;           /* user-extension delimiter; 0 with -C */
  char const *dash ;   /* "-", or "-/" with -/ */
  unsigned int home ;  /* HOME_* */
  int upper ;          /* -u: accept uppercase in account names */
} ;

/* Lines of a file, NUL-terminated, sorted by their key (the text before the first colon). */
typedef struct table_s table_t ;
struct table_s
{
  stralloc sa ;
  genalloc sorted ;  /* char const *, into sa */
  int exists ;
} ;
#define TABLE_ZERO { .sa = STRALLOC_ZERO, .sorted = GENALLOC_ZERO, .exists = 0 }

typedef struct ctx_s ctx_t ;
struct ctx_s
{
  opts_t opts ;
  table_t include, exclude, mailnames ;
  table_t accepted ;  /* "user:uid:gid:home:" of each account given addresses */
  stralloc out ;
} ;

static void die_nomem (void)
{
  strerr_diefusys(111, "allocate memory") ;
}

static void die_line (char const *file, size_t line, char const *why)
{
  char fmt[SIZE_FMT] ;
  fmt[size_fmt(fmt, line)] = 0 ;
  strerr_dief(111, file, " line ", fmt, ": ", why) ;
}

static int keycmp (void const *a, void const *b)
{
  char const *x = *(char const *const *)a, *y = *(char const *const *)b ;
  size_t xl = strcspn(x, ":"), yl = strcspn(y, ":") ;
  int r = memcmp(x, y, xl < yl ? xl : yl) ;
  return r ? r : (xl > yl) - (xl < yl) ;
}

static void table_index (table_t *t)
{
  t->sorted.len = 0 ;
  for (size_t i = 0 ; i < t->sa.len ; i += strlen(t->sa.s + i) + 1)
  {
    char const *p = t->sa.s + i ;
    if (!genalloc_append(char const *, &t->sorted, &p)) die_nomem() ;
  }
  if (t->sorted.len)
    if (genalloc_len(char const *, &t->sorted)) qsort(t->sorted.s, genalloc_len(char const *, &t->sorted), sizeof(char const *), &keycmp) ;
}

static void table_free (table_t *t)
{
  stralloc_free(&t->sa) ;
  genalloc_free(char const *, &t->sorted) ;
}

static char const *table_find (table_t const *t, char const *key)
{
  char const *const *p ;
  if (!t->sorted.len) return 0 ;
  p = bsearch(&key, t->sorted.s, genalloc_len(char const *, &t->sorted), sizeof(char const *), &keycmp) ;
  return p ? *p : 0 ;
}

/* users/NAME, one item per line; trailing blanks and CR are dropped, empty lines skipped */
static void table_read (table_t *t, char const *name)
{
  stralloc path = STRALLOC_ZERO ;
  size_t i = 0, out = 0 ;
  if (!stralloc_cats(&path, "users/") || !stralloc_cats(&path, name) || !stralloc_0(&path)) die_nomem() ;
  t->exists = openslurpclose(&t->sa, path.s) ;
  if (!t->exists && errno != ENOENT) strerr_diefusys(111, "read ", path.s) ;
  if (!stralloc_readyplus(&t->sa, 1)) die_nomem() ;
  while (i < t->sa.len)
  {
    size_t start = i, end ;
    while (i < t->sa.len && t->sa.s[i] != '\n') i++ ;
    end = i++ ;
    while (end > start && (t->sa.s[end - 1] == ' ' || t->sa.s[end - 1] == '\t' || t->sa.s[end - 1] == '\r')) end-- ;
    if (start == end) continue ;
    memmove(t->sa.s + out, t->sa.s + start, end - start) ;
    out += end - start ;
    t->sa.s[out++] = 0 ;
  }
  t->sa.len = out ;
  table_index(t) ;
  stralloc_free(&path) ;
}

/* A line of users/assign is a key, "=addr:" or "+addr<brk>:" (brk may be 0: "+addr:"), */
static void put_key (stralloc *out, char type, char const *addr, size_t len, char brk)
{
  if (!stralloc_catb(out, &type, 1) || !stralloc_catb(out, addr, len)
   || (brk && !stralloc_catb(out, &brk, 1)) || !stralloc_catb(out, ":", 1)) die_nomem() ;
}

/* then the account's fields ("user:uid:gid:home:"), dash and ext (ext followed by ext2). */
static void put_value (stralloc *out, char const *fields, char const *dash, char const *ext, char const *ext2)
{
  if (!stralloc_cats(out, fields) || !stralloc_cats(out, dash) || !stralloc_catb(out, ":", 1)
   || !stralloc_cats(out, ext) || !stralloc_cats(out, ext2) || !stralloc_catb(out, ":\n", 2)) die_nomem() ;
}

/* 1: give the account addresses; 0: skip it. A home that is not an absolute path counts as
   missing (qmail-newu would refuse the line). */
static int home_ok (opts_t const *o, char const *user, char const *home, uint32_t uid)
{
  struct stat st ;
  int there = home[0] == '/' ;
  if (there && o->home == HOME_ANY) return 1 ;
  if (there && stat(home, &st) == -1)
  {
    if (errno != ENOENT && errno != ENOTDIR && errno != EACCES && errno != ELOOP && errno != ENAMETOOLONG)
      strerr_diefusys(111, "stat ", home) ;
    there = 0 ;
  }
  if (!there && o->home == HOME_STOP) strerr_dief(111, "home directory of ", user, " does not exist: ", home) ;
  if (there && !S_ISDIR(st.st_mode))
  {
    if (o->home == HOME_STOP) strerr_dief(111, "home directory of ", user, " is not a directory: ", home) ;
    there = 0 ;
  }
  return there && st.st_uid == uid ;
}

static int wanted (ctx_t const *c, char const *user, uint32_t uid, char const *home)
{
  if (!uid) return 0 ;
  if (!c->opts.upper) for (char const *s = user ; *s ; s++) if (*s >= 'A' && *s <= 'Z') return 0 ;
  if (c->include.exists && !table_find(&c->include, user)) return 0 ;
  if (c->exclude.exists && table_find(&c->exclude, user)) return 0 ;
  return home_ok(&c->opts, user, home, uid) ;
}

/* the addresses of an accepted account: its mailnames, or its own name */
static void give (ctx_t *c, char const *user, char const *fields)
{
  char const *names = table_find(&c->mailnames, user) ;
  if (names) names += strcspn(names, ":") ;
  else names = user ;
  while (*names)
  {
    size_t len ;
    if (*names == ':') { names++ ; continue ; }
    len = strcspn(names, ":") ;
    put_key(&c->out, '=', names, len, 0) ;
    put_value(&c->out, fields, "", "", "") ;
    if (c->opts.brk)
    {
      put_key(&c->out, '+', names, len, c->opts.brk) ;
      put_value(&c->out, fields, c->opts.dash, "", "") ;
    }
    names += len ;
  }
  if (!strcmp(user, ASSIGN_ALIAS))  /* the catch-all, as qmail-getpw's last resort */
  {
    put_key(&c->out, '+', "", 0, 0) ;
    put_value(&c->out, fields, c->opts.dash, "", "") ;
  }
}

/* Split s (len, no newline) at colons into f[0..n-1] in place; 1 if exactly n fields (with a
   trailing colon if colon), else 0. s[len] must be writable. */
static int split (char *s, size_t len, char **f, unsigned int n, int colon)
{
  unsigned int i = 0 ;
  s[len] = 0 ;
  f[i++] = s ;
  for (size_t j = 0 ; j < len ; j++) if (s[j] == ':')
  {
    s[j] = 0 ;
    if (i == n + !!colon) return 0 ;
    f[i++] = s + j + 1 ;
  }
  if (colon) return i == n + 1 && !*f[n] ;
  return i == n ;
}

/* user:password:uid:gid:gecos:home:shell */
static void passwd_line (ctx_t *c, char *s, size_t len, size_t line)
{
  char *f[7] ;
  uint32_t uid, gid ;
  char fmt[2 * UINT32_FMT] ;
  size_t start = c->accepted.sa.len ;
  if (!len || s[0] == '+' || s[0] == '-' || s[0] == '#') return ;  /* NIS entries, comments */
  if (!split(s, len, f, 7, 0)) die_line("stdin", line, "not 7 fields separated by colons") ;
  if (!*f[0]) die_line("stdin", line, "empty account name") ;
  if (!assign_scanid(f[2], strlen(f[2]), &uid)) die_line("stdin", line, "uid is not a decimal number") ;
  if (!assign_scanid(f[3], strlen(f[3]), &gid)) die_line("stdin", line, "gid is not a decimal number") ;
  if (!wanted(c, f[0], uid, f[5])) return ;
  if (!stralloc_cats(&c->accepted.sa, f[0]) || !stralloc_catb(&c->accepted.sa, ":", 1)
   || !stralloc_catb(&c->accepted.sa, fmt, uint32_fmt(fmt, uid)) || !stralloc_catb(&c->accepted.sa, ":", 1)
   || !stralloc_catb(&c->accepted.sa, fmt, uint32_fmt(fmt, gid)) || !stralloc_catb(&c->accepted.sa, ":", 1)
   || !stralloc_cats(&c->accepted.sa, f[5]) || !stralloc_catb(&c->accepted.sa, ":", 1)
   || !stralloc_0(&c->accepted.sa)) die_nomem() ;
  give(c, f[0], c->accepted.sa.s + start) ;
}

/* sub:user:pre: -- sub and sub<brk>ext go to user's .qmail<dash>pre and .qmail<dash>pre-ext;
   a line naming an account that got no addresses is ignored, as in mailnames */
static void subusers (ctx_t *c)
{
  stralloc sa = STRALLOC_ZERO ;
  size_t pos = 0, line = 0 ;
  if (!openslurpclose(&sa, "users/subusers"))
  {
    if (errno == ENOENT) return ;
    strerr_diefusys(111, "read users/subusers") ;
  }
  if (!stralloc_readyplus(&sa, 1)) die_nomem() ;
  while (pos < sa.len)
  {
    char *f[4] ;
    char const *fields ;
    char const *nl = memchr(sa.s + pos, '\n', sa.len - pos) ;
    size_t n = nl ? (size_t)(nl - sa.s) - pos : sa.len - pos, len = n ;
    line++ ;
    while (len && (sa.s[pos + len - 1] == ' ' || sa.s[pos + len - 1] == '\t' || sa.s[pos + len - 1] == '\r')) len-- ;
    if (len && !split(sa.s + pos, len, f, 3, 1)) die_line("users/subusers", line, "not of the form sub:user:pre:") ;
    if (len && (fields = table_find(&c->accepted, f[1])))
    {
      put_key(&c->out, '=', f[0], strlen(f[0]), 0) ;
      put_value(&c->out, fields, c->opts.dash, f[2], "") ;
      if (c->opts.brk)
      {
        put_key(&c->out, '+', f[0], strlen(f[0]), c->opts.brk) ;
        put_value(&c->out, fields, c->opts.dash, f[2], "-") ;
      }
    }
    pos += n + 1 ;
  }
  stralloc_free(&sa) ;
}

/* users/append, verbatim, with a final newline */
static void append (stralloc *out)
{
  size_t len = out->len ;
  if (!openslurpclose(out, "users/append"))
  {
    if (errno == ENOENT) return ;
    strerr_diefusys(111, "read users/append") ;
  }
  if (out->len > len && out->s[out->len - 1] != '\n' && !stralloc_catb(out, "\n", 1)) die_nomem() ;
}

static void parse_options (opts_t *o, int *argc, char const *const **argv)
{
  subgetopt l = SUBGETOPT_ZERO ;
  for (;;)
  {
    int opt = subgetopt_r(*argc, *argv, "/ohHuUCc:", &l) ;
    if (opt == -1) break ;
    switch (opt)
    {
      case '/' : o->dash = "-/" ; break ;
      case 'o' : o->home = HOME_SKIP ; break ;
      case 'h' : o->home = HOME_STOP ; break ;
      case 'H' : o->home = HOME_ANY ; break ;
      case 'u' : o->upper = 1 ; break ;
      case 'U' : o->upper = 0 ; break ;
      case 'C' : o->brk = 0 ; break ;
      case 'c' :
        if (!l.arg[0] || l.arg[1] || l.arg[0] == ':' || l.arg[0] == '\n') strerr_dieusage(100, USAGE) ;
        o->brk = l.arg[0] ;
        break ;
      default : strerr_dieusage(100, USAGE) ;
    }
  }
  *argc -= l.ind ; *argv += l.ind ;
}

int main (int argc, char const *const *argv)
{
  ctx_t c = { .opts = { .brk = ASSIGN_BREAK, .dash = "-", .home = HOME_SKIP, .upper = 0 },
    .include = TABLE_ZERO, .exclude = TABLE_ZERO, .mailnames = TABLE_ZERO, .accepted = TABLE_ZERO,
    .out = STRALLOC_ZERO } ;
  stralloc in = STRALLOC_ZERO ;
  size_t pos = 0, line = 0 ;
  PROG = "qmail-pw2u" ;
  parse_options(&c.opts, &argc, &argv) ;
  if (argc) strerr_dieusage(100, USAGE) ;
  home_chdir() ;
  table_read(&c.include, "include") ;
  table_read(&c.exclude, "exclude") ;
  table_read(&c.mailnames, "mailnames") ;

  if (!slurp(&in, 0)) strerr_diefusys(111, "read stdin") ;
  if (!stralloc_readyplus(&in, 1)) die_nomem() ;
  while (pos < in.len)
  {
    char *nl = memchr(in.s + pos, '\n', in.len - pos) ;
    size_t n = nl ? (size_t)(nl - in.s) - pos : in.len - pos ;
    passwd_line(&c, in.s + pos, n, ++line) ;
    pos += n + 1 ;
  }
  table_index(&c.accepted) ;
  subusers(&c) ;
  append(&c.out) ;
  if (!stralloc_catb(&c.out, ".\n", 2)) die_nomem() ;
  if (allwrite(1, c.out.s, c.out.len) < c.out.len) strerr_diefusys(111, "write to stdout") ;
  table_free(&c.include) ; table_free(&c.exclude) ; table_free(&c.mailnames) ; table_free(&c.accepted) ;
  stralloc_free(&c.out) ;
  stralloc_free(&in) ;
  return 0 ;
}
