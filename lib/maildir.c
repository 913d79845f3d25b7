/* maildir.c: the Maildir scan shared by maildir2mbox, maildirwatch and (later) qmail-pop3d. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include <skalibs/types.h>
#include "maildir.h"

/* sa = "dir/sub", NUL-terminated, sa->len counting the NUL */
static int maildir_subpath (stralloc *sa, char const *dir, char const *sub)
{
  sa->len = 0 ;
  return stralloc_cats(sa, dir) && stralloc_catb(sa, "/", 1) && stralloc_cats(sa, sub) && stralloc_0(sa) ;
}

int maildir_check (char const *dir, char const **why)
{
  static char const *const subs[3] = { "tmp", "new", "cur" } ;
  static char const *const missing[3] = { "no tmp/ subdirectory", "no new/ subdirectory", "no cur/ subdirectory" } ;
  stralloc sa = STRALLOC_ZERO ;
  struct stat st ;
  int r = 1 ;
  if (stat(dir, &st) == -1) return -1 ;
  if (!S_ISDIR(st.st_mode)) { *why = "not a directory" ; return 0 ; }
  for (unsigned int i = 0 ; r == 1 && i < 3 ; i++)
  {
    if (!maildir_subpath(&sa, dir, subs[i])) r = -1 ;
    else if (stat(sa.s, &st) == -1)
    {
      if (errno != ENOENT && errno != ENOTDIR) r = -1 ;
      else { *why = missing[i] ; r = 0 ; }
    }
    else if (!S_ISDIR(st.st_mode)) { *why = missing[i] ; r = 0 ; }
  }
  stralloc_free(&sa) ;
  return r ;
}

int maildir_nametime (char const *name, uint64_t *t)
{
  size_t digits = 0 ;
  while (name[digits] >= '0' && name[digits] <= '9') digits++ ;
  return digits && uint64_scan(name, t) == digits ;
}

char const *maildir_flags (char const *name)
{
  char const *s = strrchr(name, ':') ;
  return s && s[1] == '2' && s[2] == ',' ? s + 3 : 0 ;
}

/* Append dir/sub/NAME, NUL-terminated, to l->names and its message to l->msgs; 0 on error.
   Entries hold offsets into l->names for now, since l->names may still move. */
static int maildir_add (maildir_list_t *l, stralloc const *prefix, int cur, char const *name)
{
  maildir_msg_t m = { .path = 0, .name = 0, .time = 0, .cur = cur, .pos = l->names.len } ;
  struct stat st ;
  if (!stralloc_catb(&l->names, prefix->s, prefix->len) || !stralloc_cats(&l->names, name)
   || !stralloc_0(&l->names)) return 0 ;
  if (stat(l->names.s + m.pos, &st) == -1)
  {
    if (errno != ENOENT) return 0 ;
    st.st_mode = 0 ;  /* vanished: another reader took it */
  }
  if (!S_ISREG(st.st_mode))
  {
    l->names.len = m.pos ;
    return 1 ;
  }
  if (!maildir_nametime(name, &m.time)) m.time = st.st_mtime > 0 ? (uint64_t)st.st_mtime : 0 ;
  return genalloc_append(maildir_msg_t, &l->msgs, &m) ;
}

static int maildir_scansub (maildir_list_t *l, char const *dir, int cur)
{
  stralloc prefix = STRALLOC_ZERO ;
  DIR *d ;
  int ok = 0 ;
  if (!maildir_subpath(&prefix, dir, cur ? "cur" : "new")) goto end ;
  d = opendir(prefix.s) ;
  if (!d) goto end ;
  prefix.s[prefix.len - 1] = '/' ;  /* "dir/sub/" */
  for (;;)
  {
    direntry *e ;
    errno = 0 ;
    e = readdir(d) ;
    if (!e) { ok = !errno ; break ; }
    if (e->d_name[0] != '.' && !maildir_add(l, &prefix, cur, e->d_name)) break ;
  }
  dir_close(d) ;
 end:
  stralloc_free(&prefix) ;
  return ok ;
}

static int maildir_cmp (void const *a, void const *b)
{
  maildir_msg_t const *x = a, *y = b ;
  int r ;
  if (x->time != y->time) return x->time < y->time ? -1 : 1 ;
  r = strcmp(x->name, y->name) ;
  return r ? r : strcmp(x->path, y->path) ;
}

int maildir_scan (maildir_list_t *l, char const *dir)
{
  size_t n, prefix = strlen(dir) + 5 ;  /* "dir/new/" up to NAME */
  maildir_msg_t *m ;
  l->names.len = 0 ;
  genalloc_setlen(maildir_msg_t, &l->msgs, 0) ;
  if (!maildir_scansub(l, dir, 0) || !maildir_scansub(l, dir, 1)) return 0 ;
  /* l->names no longer moves: turn offsets into pointers, then sort */
  n = maildir_list_len(l) ;
  m = genalloc_s(maildir_msg_t, &l->msgs) ;
  for (size_t i = 0 ; i < n ; i++)
  {
    m[i].path = l->names.s + m[i].pos ;
    m[i].name = m[i].path + prefix ;
  }
  if (n) qsort(m, n, sizeof *m, &maildir_cmp) ;
  return 1 ;
}

void maildir_list_free (maildir_list_t *l)
{
  stralloc_free(&l->names) ;
  genalloc_free(maildir_msg_t, &l->msgs) ;
}

int maildir_syncdir (char const *dir)
{
  int fd = open2(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  int r ;
  if (fd == -1) return 0 ;
  r = fd_sync(fd) == 0 ;
  fd_close(fd) ;
  return r ;
}
