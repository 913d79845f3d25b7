/* assign.c: users/assign compilation and the lookup of qmail-lspawn (see assign.h).
   users/cdb keys: "=" + lowercased local (simple assignment), "+" + lowercased prefix
   (wildcard), and "" whose value lists the last characters of all nonempty wildcard prefixes,
   so that a lookup probes only the prefixes that can exist. Values: user\0uid\0gid\0home\0
   dash\0ext\0 (for a wildcard, ext is the pre that the rest of local is appended to). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <skalibs/bytestr.h>
#include <skalibs/types.h>
#include "assign.h"
#ifdef QM_NO_NSS
#include <sys/wait.h>
#include <skalibs/djbunix.h>
#include "home.h"
extern char **environ ;
#endif

int assign_scanid (char const *s, size_t len, uint32_t *id)
{
  uint32_t v = 0 ;
  if (!len) return 0 ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned int d = (unsigned char)s[i] - '0' ;
    if (d > 9 || v > (UINT32_MAX - 1 - d) / 10) return 0 ;
    v = v * 10 + d ;
  }
  *id = v ;
  return 1 ;
}

static int cat_id (stralloc *sa, uint32_t id)
{
  char fmt[UINT32_FMT] ;
  return stralloc_catb(sa, fmt, uint32_fmt(fmt, id)) && stralloc_0(sa) ;
}

/* a->sa from a record; rest is appended to its last field (the wildcard's pre) */
static int assign_fromrecord (assign_t *a, cdb_data const *d, char const *rest, size_t restlen, unsigned int source)
{
  size_t off[6], pos = 0 ;
  uint32_t uid, gid ;
  for (unsigned int i = 0 ; i < 6 ; i++)
  {
    char const *z = pos < d->len ? memchr(d->s + pos, 0, d->len - pos) : 0 ;
    if (!z) return (errno = EINVAL, -1) ;
    off[i] = pos ;
    pos = z - d->s + 1 ;
  }
  if (pos != d->len || off[1] < 2 || !assign_scanid(d->s + off[1], off[2] - off[1] - 1, &uid)
   || !assign_scanid(d->s + off[2], off[3] - off[2] - 1, &gid)) return (errno = EINVAL, -1) ;
  a->sa.len = 0 ;
  if (!stralloc_catb(&a->sa, d->s, d->len - 1) || !stralloc_catb(&a->sa, rest, restlen)
   || !stralloc_0(&a->sa)) return -1 ;
  a->user = 0 ; a->home = off[3] ; a->dash = off[4] ; a->ext = off[5] ;
  a->uid = uid ; a->gid = gid ; a->source = source ;
  return 1 ;
}

static int assign_frompw (assign_t *a, struct passwd const *pw, char const *dash, char const *ext, unsigned int source)
{
  a->sa.len = 0 ;
  a->user = 0 ;
  if (!stralloc_cats(&a->sa, pw->pw_name) || !stralloc_0(&a->sa)
   || !cat_id(&a->sa, pw->pw_uid) || !cat_id(&a->sa, pw->pw_gid)) return -1 ;
  a->home = a->sa.len ;
  if (!stralloc_cats(&a->sa, pw->pw_dir) || !stralloc_0(&a->sa)) return -1 ;
  a->dash = a->sa.len ;
  if (!stralloc_cats(&a->sa, dash) || !stralloc_0(&a->sa)) return -1 ;
  a->ext = a->sa.len ;
  if (!stralloc_cats(&a->sa, ext) || !stralloc_0(&a->sa)) return -1 ;
  a->uid = pw->pw_uid ; a->gid = pw->pw_gid ; a->source = source ;
  return 1 ;
}

int assign_cdb (assign_t *a, cdb const *c, char const *local)
{
  stralloc key = STRALLOC_ZERO ;
  cdb_data d, wild = { .s = 0, .len = 0 } ;
  size_t len = strlen(local) ;
  int r, haswild ;
  if (!stralloc_catb(&key, "=", 1) || !stralloc_catb(&key, local, len)) return -1 ;
  case_lowerb(key.s + 1, len) ;
  r = cdb_find(c, &d, key.s, key.len) ;
  if (r) { r = r < 0 ? (errno = EINVAL, -1) : assign_fromrecord(a, &d, "", 0, ASSIGN_EXACT) ; goto end ; }
  key.s[0] = '+' ;
  haswild = cdb_find(c, &wild, "", 0) ;  /* absent (a cdb from elsewhere): probe every prefix */
  if (haswild < 0) { errno = EINVAL ; r = -1 ; goto end ; }
  for (size_t i = len ; ; i--)  /* the longest prefix first; key.s[i] ends the prefix of length i */
  {
    if (!i || !haswild || memchr(wild.s, key.s[i], wild.len))
    {
      r = cdb_find(c, &d, key.s, i + 1) ;
      if (r) { r = r < 0 ? (errno = EINVAL, -1) : assign_fromrecord(a, &d, local + i, len - i, ASSIGN_WILD) ; goto end ; }
    }
    if (!i) break ;
  }
 end:
  stralloc_free(&key) ;
  return r ;
}

/* getpwnam, telling "no such account" (0, *temp = 0) from trouble (0, *temp = 1) */
static struct passwd *getpw (char const *name, int *temp)
{
  struct passwd *pw ;
  errno = 0 ;
  pw = getpwnam(name) ;
  *temp = !pw && errno && errno != ENOENT && errno != ESRCH && errno != EBADF && errno != EPERM ;
  return pw ;
}

/* 1 if pw owns its home directory, 0 if not or if it is not there (or not visible), -1 trouble */
static int owns_home (struct passwd const *pw)
{
  struct stat st ;
  if (stat(pw->pw_dir, &st) == -1)
    return errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ELOOP || errno == ENAMETOOLONG ? 0 : -1 ;
  return S_ISDIR(st.st_mode) && st.st_uid == pw->pw_uid ;
}

int assign_passwd (assign_t *a, char const *local)
{
  size_t len = strlen(local) ;
  for (size_t i = len ; i > 0 ; i--)  /* "joe-smith-x": account joe-smith before joe */
  {
    char name[ASSIGN_USERLEN] ;
    struct passwd *pw ;
    int temp ;
    if (i >= ASSIGN_USERLEN || (i < len && local[i] != ASSIGN_BREAK)) continue ;
    memcpy(name, local, i) ;
    name[i] = 0 ;
    case_lowerb(name, i) ;
    pw = getpw(name, &temp) ;
    if (!pw)
    {
      if (temp) return -1 ;
      continue ;
    }
    /* a case-insensitive name service may answer for another spelling: not ours */
    if (!pw->pw_uid || strcmp(pw->pw_name, name)) continue ;
    temp = owns_home(pw) ;
    if (temp < 0) return -1 ;
    if (temp) return assign_frompw(a, pw, i < len ? "-" : "", local + i + (i < len), ASSIGN_PASSWD) ;
  }
  return 0 ;
}

int assign_catchall (assign_t *a, char const *local, char const *alias)
{
  int temp ;
  struct passwd *pw = getpw(alias, &temp) ;
  if (!pw) return temp ? -1 : 0 ;
  if (!pw->pw_uid) return 0 ;
  return assign_frompw(a, pw, "-", local, ASSIGN_CATCHALL) ;
}

#ifdef QM_NO_NSS
/* Built with a libc that has no NSS modules (musl reads /etc/passwd itself): an account it did
   not find may still come from LDAP or sss, so ask qmail-getpw, which is linked with glibc and
   also tries the alias account. Only an address that no /etc/passwd account serves pays for
   the extra program. (One difference remains: for joe-list, an /etc/passwd joe is taken before
   an NSS module is asked about joe-list.) */
static int assign_getpw (assign_t *a, char const *local)
{
  stralloc prog = STRALLOC_ZERO, out = STRALLOC_ZERO ;
  char const *argv[3] ;
  int fd, wstat, r = -1, ok ;
  pid_t pid ;
  if (!stralloc_cats(&prog, home_dir()) || !stralloc_cats(&prog, "/bin/qmail-getpw") || !stralloc_0(&prog)) goto end ;
  argv[0] = prog.s ; argv[1] = local ; argv[2] = 0 ;
  pid = child_spawn1_pipe(prog.s, argv, (char const *const *)environ, &fd, 1) ;
  if (!pid) goto end ;
  ok = slurp(&out, fd) ;
  fd_close(fd) ;
  if (wait_pid(pid, &wstat) != pid) goto end ;
  if (WIFEXITED(wstat) && WEXITSTATUS(wstat) == 100) r = 0 ;
  else if (!ok || !WIFEXITED(wstat) || WEXITSTATUS(wstat)) errno = EAGAIN ;
  else
  {
    cdb_data d = { .s = out.s, .len = out.len } ;
    r = assign_fromrecord(a, &d, "", 0, ASSIGN_PASSWD) ;
  }
 end:
  stralloc_free(&out) ;
  stralloc_free(&prog) ;
  return r ;
}
#endif

int assign_lookup (assign_t *a, char const *local)
{
  cdb c = CDB_ZERO ;
  int r ;
  if (cdb_init(&c, ASSIGN_CDB))
  {
    r = assign_cdb(a, &c, local) ;
    cdb_free(&c) ;
    if (r) return r ;
  }
  else if (errno != ENOENT) return -1 ;
  r = assign_passwd(a, local) ;
#ifdef QM_NO_NSS
  /* before the alias account, which every qmail system has: a name that an NSS module
     serves must not go to alias's .qmail files */
  if (!r) return assign_getpw(a, local) ;
#endif
  return r ? r : assign_catchall(a, local, ASSIGN_ALIAS) ;
}

void assign_free (assign_t *a)
{
  stralloc_free(&a->sa) ;
}

int assign_parseline (stralloc *key, stralloc *data, char const *s, size_t len, char const **why)
{
  char const *f[7] ;
  size_t flen[7], pos = 1 ;
  uint32_t uid, gid ;
  if (!len) return (*why = "empty line", 0) ;
  if (s[0] != '=' && s[0] != '+') return (*why = "not an assignment: lines begin with = or +", 0) ;
  if (memchr(s, 0, len)) return (*why = "NUL in the line", 0) ;
  for (unsigned int i = 0 ; i < 7 ; i++)
  {
    char const *colon = memchr(s + pos, ':', len - pos) ;
    if (!colon) return (*why = "too few fields: want 7, each ended by a colon", 0) ;
    f[i] = s + pos ; flen[i] = colon - f[i] ;
    pos = colon - s + 1 ;
  }
  if (pos < len)
    return (*why = memchr(s + pos, ':', len - pos) ? "too many fields: want 7, each ended by a colon"
      : "text after the last colon", 0) ;
  if (!flen[1]) return (*why = "empty user name", 0) ;
  if (!assign_scanid(f[2], flen[2], &uid)) return (*why = "uid is not a decimal number below 4294967295", 0) ;
  if (!uid) return (*why = "uid 0: mail is never delivered as root", 0) ;
  if (!assign_scanid(f[3], flen[3], &gid)) return (*why = "gid is not a decimal number below 4294967295", 0) ;
  if (!flen[4] || f[4][0] != '/') return (*why = "home directory is not an absolute path", 0) ;
  key->len = data->len = 0 ;
  if (!stralloc_catb(key, s, 1) || !stralloc_catb(key, f[0], flen[0])
   || !stralloc_catb(data, f[1], flen[1]) || !stralloc_0(data) || !cat_id(data, uid) || !cat_id(data, gid)
   || !stralloc_catb(data, f[4], flen[4]) || !stralloc_0(data) || !stralloc_catb(data, f[5], flen[5])
   || !stralloc_0(data) || !stralloc_catb(data, f[6], flen[6]) || !stralloc_0(data)) return -1 ;
  case_lowerb(key->s + 1, key->len - 1) ;
  return 1 ;
}

/* The "" record: each byte that ends a nonempty wildcard prefix, once, in byte order. */
static int add_wildchars (cdbmaker *c, unsigned char const *ends)
{
  char set[256] ;
  unsigned int n = 0 ;
  for (unsigned int i = 0 ; i < 256 ; i++) if (ends[i]) set[n++] = (char)i ;
  return cdbmake_add(c, "", 0, set, n) ? 1 : -1 ;
}

int assign_make (cdbmaker *c, char const *s, size_t len, size_t *line, char const **why)
{
  stralloc key = STRALLOC_ZERO, data = STRALLOC_ZERO ;
  unsigned char ends[256] = { 0 } ;
  size_t pos = 0 ;
  int r = 0 ;
  *line = 0 ;
  while (pos < len)
  {
    char const *nl = memchr(s + pos, '\n', len - pos) ;
    size_t n = nl ? (size_t)(nl - s) - pos : len - pos ;
    ++*line ;
    if (n == 1 && s[pos] == '.')
    {
      if (nl && pos + 2 < len) { ++*line ; *why = "text after the final line \".\"" ; r = 0 ; }
      else r = add_wildchars(c, ends) ;
      goto end ;
    }
    r = assign_parseline(&key, &data, s + pos, n, why) ;
    if (r <= 0) goto end ;
    if (key.s[0] == '+' && key.len > 1) ends[(unsigned char)key.s[key.len - 1]] = 1 ;
    if (!cdbmake_add(c, key.s, key.len, data.s, data.len)) { r = -1 ; goto end ; }
    pos += n + 1 ;
  }
  ++*line ;
  *why = "end of file before the final line \".\" (a truncated file?)" ;
  r = 0 ;
 end:
  stralloc_free(&key) ;
  stralloc_free(&data) ;
  return r ;
}
