/* control.c: the control-file reader with the uniform environment override (DESIGN.md §4). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <skalibs/allreadwrite.h>
#include <skalibs/djbunix.h>
#include <skalibs/strerr.h>
#include "control.h"
#include "home.h"

#define ENVNAME_MAX 64

static int isblank_ (char c)
{
  return c == ' ' || c == '\t' || c == '\r' ;
}

size_t control_envname (char *buf, size_t max, char const *name)
{
  size_t i = 0 ;
  for (; name[i] && i + 1 < max ; i++)
  {
    char c = name[i] ;
    buf[i] = c >= 'a' && c <= 'z' ? c - 32 : (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_' ;
  }
  buf[i] = 0 ;
  return i ;
}

static char const *control_env (char const *name, unsigned int flags)
{
  char buf[ENVNAME_MAX] ;
  if (!(flags & CONTROL_ENVOK) || !home_env_trusted()) return 0 ;
  control_envname(buf, sizeof buf, name) ;
  return getenv(buf) ;
}

/* The names in control/ after control_list: NUL-separated, each followed by its NUL. The
   one piece of module state; a program that never calls control_list never has it. */
static stralloc listing = STRALLOC_ZERO ;
static int listed = 0 ;

int control_list (void)
{
  DIR *dir = opendir("control") ;
  struct dirent *d ;
  control_unlist() ;
  if (!dir) return 0 ;
  for (;;)
  {
    errno = 0 ;
    d = readdir(dir) ;
    if (!d) break ;
    if (!stralloc_catb(&listing, d->d_name, strlen(d->d_name) + 1)) { errno = ENOMEM ; break ; }
  }
  closedir(dir) ;
  if (errno) { control_unlist() ; return 0 ; }
  listed = 1 ;
  return 1 ;
}

void control_unlist (void)
{
  stralloc_free(&listing) ;
  listed = 0 ;
}

int control_absent (char const *name)
{
  size_t len = strlen(name) ;
  if (!listed) return 0 ;
  for (size_t i = 0 ; i < listing.len ; i += strlen(listing.s + i) + 1)
    if (!memcmp(listing.s + i, name, len + 1)) return 0 ;
  return 1 ;
}

/* Whole file into sa; 0 if missing, 1 if read, -1 on error. The descriptor lives only here,
   so it needs no close-on-exec (which musl's open would set with one more system call);
   O_NONBLOCK, so that a FIFO planted in control/ cannot hang us (it reads as empty). */
static int control_slurp (stralloc *sa, char const *name)
{
  char path[8 + CONTROL_NAMEMAX + 1] = "control/" ;
  char buf[4096] ;
  size_t len = strlen(name) ;
  int fd ;
  sa->len = 0 ;
  if (len > CONTROL_NAMEMAX) return (errno = ENAMETOOLONG, -1) ;
  if (control_absent(name)) return (errno = ENOENT, 0) ;
  memcpy(path + 8, name, len + 1) ;
  fd = open(path, O_RDONLY | O_NONBLOCK) ;
  if (fd < 0) return errno == ENOENT ? 0 : -1 ;
  for (;;)
  {
    ssize_t r = fd_read(fd, buf, sizeof buf) ;
    if (!r) break ;
    if (r < 0 || !stralloc_catb(sa, buf, r)) { fd_close(fd) ; return -1 ; }
  }
  fd_close(fd) ;
  return 1 ;
}

/* Keep the first line of sa, without surrounding blanks, NUL-terminated. */
static int control_firstline (stralloc *sa)
{
  size_t start = 0, end = 0 ;
  while (end < sa->len && sa->s[end] != '\n') end++ ;
  while (end > 0 && isblank_(sa->s[end - 1])) end-- ;
  while (start < end && isblank_(sa->s[start])) start++ ;
  memmove(sa->s, sa->s + start, end - start) ;
  sa->len = end - start ;
  if (!stralloc_0(sa)) return 0 ;
  sa->len-- ;
  return 1 ;
}

int control_readline (stralloc *sa, char const *name, char const *def, unsigned int flags)
{
  char const *e = control_env(name, flags) ;
  int r ;
  if (e)
  {
    if (!stralloc_copys(sa, e) || !stralloc_0(sa)) return CONTROL_ERR_ENV ;
    sa->len-- ;
    return CONTROL_ENV ;
  }
  r = control_slurp(sa, name) ;
  if (r < 0) return CONTROL_ERR_FILE ;
  if (r) return control_firstline(sa) ? CONTROL_FILE : CONTROL_ERR_FILE ;
  if (flags & CONTROL_ME)
  {
    r = control_slurp(sa, "me") ;
    if (r < 0) return CONTROL_ERR_FILE ;
    if (r) return control_firstline(sa) ? CONTROL_DEFAULT : CONTROL_ERR_FILE ;
  }
  if (!stralloc_copys(sa, def ? def : "") || !stralloc_0(sa)) return CONTROL_ERR_FILE ;
  sa->len-- ;
  return CONTROL_DEFAULT ;
}

/* Strict decimal: digits only, no sign, no overflow. */
static int control_scanulong (char const *s, unsigned long *u)
{
  unsigned long v = 0 ;
  if (!*s) return 0 ;
  for (; *s ; s++)
  {
    unsigned int d = (unsigned char)*s - '0' ;
    if (d > 9 || v > (~0UL - d) / 10) return 0 ;
    v = v * 10 + d ;
  }
  *u = v ;
  return 1 ;
}

int control_readulong (unsigned long *u, char const *name, unsigned long def, unsigned int flags)
{
  stralloc sa = STRALLOC_ZERO ;
  int r = control_readline(&sa, name, 0, flags & CONTROL_ENVOK) ;
  if (r == CONTROL_DEFAULT) *u = def ;
  else if (r > 0 && !control_scanulong(sa.s, u))
  {
    errno = EINVAL ;
    r = r == CONTROL_ENV ? CONTROL_ERR_ENV : CONTROL_ERR_FILE ;
  }
  stralloc_free(&sa) ;
  return r ;
}

int control_readlist (stralloc *sa, size_t *n, char const *name)
{
  size_t i = 0, out = 0 ;
  int r = control_slurp(sa, name) ;
  *n = 0 ;
  if (r <= 0) return r < 0 ? CONTROL_ERR_FILE : CONTROL_DEFAULT ;
  if (!stralloc_readyplus(sa, 1)) return CONTROL_ERR_FILE ;  /* room for a last NUL */
  while (i < sa->len)
  {
    size_t start = i, end ;
    while (i < sa->len && sa->s[i] != '\n') i++ ;
    end = i++ ;
    while (start < end && isblank_(sa->s[start])) start++ ;
    while (end > start && isblank_(sa->s[end - 1])) end-- ;
    if (start == end || sa->s[start] == '#') continue ;
    memmove(sa->s + out, sa->s + start, end - start) ;
    out += end - start ;
    sa->s[out++] = 0 ;
    (*n)++ ;
  }
  sa->len = out ;
  return CONTROL_FILE ;
}

void control_die (char const *name, int r)
{
  char env[ENVNAME_MAX] ;
  control_envname(env, sizeof env, name) ;
  if (errno == EINVAL)
  {
    if (r == CONTROL_ERR_ENV) strerr_dief(111, "malformed value in $", env) ;
    strerr_dief(111, "malformed value in control/", name) ;
  }
  if (r == CONTROL_ERR_ENV) strerr_diefusys(111, "read $", env) ;
  strerr_diefusys(111, "read control/", name) ;
}

void control_warn (char const *name, int r)
{
  char env[ENVNAME_MAX] ;
  control_envname(env, sizeof env, name) ;
  if (errno == EINVAL)
    strerr_warnw3x("malformed value in ", r == CONTROL_ERR_ENV ? "$" : "control/", r == CONTROL_ERR_ENV ? env : name) ;
  else strerr_warnwu3sys("read ", r == CONTROL_ERR_ENV ? "$" : "control/", r == CONTROL_ERR_ENV ? env : name) ;
}
