/* pop3box-core.c: qmail-pop3d's view of the Maildir in the current directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/direntry.h>
#include <skalibs/djbunix.h>
#include "maildir.h"
#include "pop3-core.h"
#include "pop3box-core.h"

#define READSIZE 65536

/* Call f(dir, name, ctx) for every entry of dir not starting with "."; 1, or 0 with errno */
static int pop3box_each (char const *dir, int (*f) (char const *, char const *, void *), void *ctx)
{
  DIR *d = opendir(dir) ;
  int ok = 1 ;
  if (!d) return 0 ;
  for (;;)
  {
    direntry *e ;
    errno = 0 ;
    e = readdir(d) ;
    if (!e) { if (errno) ok = 0 ; break ; }
    if (e->d_name[0] != '.' && !(*f)(dir, e->d_name, ctx)) { ok = 0 ; break ; }
  }
  dir_close(d) ;
  return ok ;
}

static int pop3box_path2 (stralloc *sa, char const *dir, char const *name, char const *tail)
{
  sa->len = 0 ;
  return stralloc_cats(sa, dir) && stralloc_catb(sa, "/", 1) && stralloc_cats(sa, name)
    && stralloc_cats(sa, tail) && stralloc_0(sa) ;
}

typedef struct clean_s { stralloc path ; time_t before ; int n ; } clean_t ;

static int pop3box_clean1 (char const *dir, char const *name, void *ctx)
{
  clean_t *c = ctx ;
  struct stat st ;
  if (!pop3box_path2(&c->path, dir, name, "")) return 0 ;
  if (stat(c->path.s, &st) == -1) return errno == ENOENT ;
  if (S_ISREG(st.st_mode) && st.st_mtime < c->before && st.st_atime < c->before)
  {
    if (unlink(c->path.s) == -1) return errno == ENOENT ;
    c->n++ ;
  }
  return 1 ;
}

int pop3box_cleantmp (time_t now)
{
  clean_t c = { .path = STRALLOC_ZERO, .before = now - POP3BOX_STALE, .n = 0 } ;
  int ok = pop3box_each("tmp", &pop3box_clean1, &c) ;
  stralloc_free(&c.path) ;
  return ok ? c.n : -1 ;
}

static char const *pop3box_base (char const *path)
{
  return strchr(path, '/') + 1 ;
}

/* A message listed in new/ may have been moved to cur/ since, by another reader (a mail
   client on the same Maildir, or another session's QUIT), with the usual ":2,": its path
   there in alt (4 + NAME_MAX + 4 bytes), or 0 if the name cannot have moved that way. */
static char const *pop3box_moved (char const *path, char *alt)
{
  size_t len = strlen(path) ;
  if (strncmp(path, "new/", 4) || strchr(path, ':') || len - 4 > NAME_MAX) return 0 ;
  memcpy(alt, "cur/", 4) ;
  memcpy(alt + 4, path + 4, len - 4) ;
  memcpy(alt + len, ":2,", 4) ;
  return alt ;
}

int pop3box_update (pop3box_t *b, stralloc *gone, size_t *removed)
{
  stralloc to = STRALLOC_ZERO ;
  int ok = 1, synccur = 0, syncnew = 0 ;
  *removed = 0 ;
  gone->len = 0 ;
  for (size_t i = 0 ; i < pop3box_len(b) ; i++)
  {
    pop3msg_t const *m = pop3box_msg(b, i) ;
    char const *name = pop3box_base(m->path) ;
    int innew = !strncmp(m->path, "new/", 4) ;
    if (m->deleted)
    {
      char alt[4 + NAME_MAX + 4] ;
      char const *moved ;
      int r ;
      if (!pop3box_path2(&to, "tmp", name, "")) { ok = 0 ; break ; }
      r = rename(m->path, to.s) ;
      if (r == -1 && errno == ENOENT && (moved = pop3box_moved(m->path, alt)))
      {
        r = rename(moved, to.s) ;
        if (!r) innew = 0 ;
      }
      if (r == -1)
      {
        if (errno != ENOENT) ok = 0 ;  /* ENOENT: another reader removed it */
        continue ;
      }
      if (!stralloc_catb(gone, to.s, to.len)) { ok = 0 ; break ; }
      if (innew) syncnew = 1 ; else synccur = 1 ;
      ++*removed ;
    }
    else if (innew)  /* seen and kept: into cur/, as a reader does; lost in a crash, it is redone */
    {
      if (!pop3box_path2(&to, "cur", name, strchr(name, ':') ? "" : ":2,")) { ok = 0 ; break ; }
      rename(m->path, to.s) ;
    }
  }
  stralloc_free(&to) ;
  if (synccur && !maildir_syncdir("cur")) ok = 0 ;
  if (syncnew && !maildir_syncdir("new")) ok = 0 ;
  return ok ;
}

void pop3box_purge (char const *gone, size_t len)
{
  for (size_t i = 0 ; i < len ; i += strlen(gone + i) + 1) unlink(gone + i) ;
}

static int pop3box_add (char const *dir, char const *name, void *ctx)
{
  pop3box_t *b = ctx ;
  pop3msg_t m = { .name = b->names.len, .path = 0, .mtime = 0, .size = 0, .sized = 0, .deleted = 0 } ;
  struct stat st ;
  if (!stralloc_cats(&b->names, dir) || !stralloc_catb(&b->names, "/", 1) || !stralloc_cats(&b->names, name)
   || !stralloc_0(&b->names)) return 0 ;
  if (stat(b->names.s + m.name, &st) == -1)
  {
    b->names.len = m.name ;
    return errno == ENOENT ;  /* vanished: another reader took it */
  }
  if (!S_ISREG(st.st_mode)) { b->names.len = m.name ; return 1 ; }
  m.mtime = st.st_mtime ;
  if (pop3_namesize(name, &m.size)) m.sized = 1 ;
  return genalloc_append(pop3msg_t, &b->msgs, &m) ;
}

static int pop3box_cmp (void const *a, void const *b)
{
  pop3msg_t const *x = a, *y = b ;
  if (x->mtime != y->mtime) return x->mtime < y->mtime ? -1 : 1 ;
  return strcmp(x->path, y->path) ;
}

int pop3box_scan (pop3box_t *b)
{
  b->names.len = 0 ;
  genalloc_setlen(pop3msg_t, &b->msgs, 0) ;
  if (!pop3box_each("cur", &pop3box_add, b) || !pop3box_each("new", &pop3box_add, b)) return 0 ;
  /* b->names no longer moves: offsets become pointers */
  for (size_t i = 0 ; i < pop3box_len(b) ; i++) pop3box_msg(b, i)->path = b->names.s + pop3box_msg(b, i)->name ;
  if (pop3box_len(b)) qsort(pop3box_msg(b, 0), pop3box_len(b), sizeof(pop3msg_t), &pop3box_cmp) ;
  return 1 ;
}

int pop3box_open (pop3box_t const *b, size_t i)
{
  char alt[4 + NAME_MAX + 4] ;
  char const *path = pop3box_msg(b, i)->path ;
  int fd = open2(path, O_RDONLY | O_CLOEXEC) ;
  if (fd == -1 && errno == ENOENT && (path = pop3box_moved(path, alt))) fd = open2(path, O_RDONLY | O_CLOEXEC) ;
  return fd ;
}

int pop3box_size (pop3box_t *b, size_t i)
{
  pop3msg_t *m = pop3box_msg(b, i) ;
  pop3_size_t z = POP3_SIZE_ZERO ;
  int fd ;
  if (m->sized) return 1 ;
  if (!stralloc_ready(&b->buf, READSIZE)) return 0 ;
  fd = pop3box_open(b, i) ;
  if (fd == -1)
  {
    if (errno != ENOENT) return 0 ;
  }
  else for (;;)
  {
    ssize_t r = fd_read(fd, b->buf.s, READSIZE) ;
    if (r < 0) { fd_close(fd) ; return 0 ; }
    if (!r) break ;
    pop3_size_add(&z, b->buf.s, r) ;
  }
  if (fd >= 0) fd_close(fd) ;
  m->size = pop3_size_end(&z) ;
  m->sized = 1 ;
  return 1 ;
}

void pop3box_free (pop3box_t *b)
{
  stralloc_free(&b->names) ;
  genalloc_free(pop3msg_t, &b->msgs) ;
  stralloc_free(&b->buf) ;
}
