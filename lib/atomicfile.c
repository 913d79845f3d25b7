/* atomicfile.c: see atomicfile.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <skalibs/djbunix.h>
#include <skalibs/stralloc.h>
#include "atomicfile.h"

int atomicfile_open (char const *tmp, mode_t mode)
{
  for (;;)
  {
    struct stat st1, st2 ;
    int r, e, fd = open3(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, mode) ;
    if (fd == -1) return -1 ;
    if (fd_lock(fd, 1, 0) != 1 || fstat(fd, &st1) == -1) goto fail ;
    r = stat(tmp, &st2) ;
    if (r == -1 && errno != ENOENT) goto fail ;
    if (!r && st1.st_dev == st2.st_dev && st1.st_ino == st2.st_ino)
    {
      if (ftruncate(fd, 0) == -1 || fchmod(fd, mode) == -1) goto fail ;
      return fd ;
    }
    fd_close(fd) ;
    continue ;
   fail:
    e = errno ;
    fd_close(fd) ;
    errno = e ;
    return -1 ;
  }
}

int atomicfile_commit (int fd, char const *tmp, char const *final)
{
  stralloc dir = STRALLOC_ZERO ;
  char const *slash = strrchr(final, '/') ;
  int dfd, e ;
  if (fsync(fd) == -1 || rename(tmp, final) == -1)
  {
    e = errno ;
    unlink(tmp) ;
    fd_close(fd) ;
    errno = e ;
    return 0 ;
  }
  fd_close(fd) ;
  if (!stralloc_catb(&dir, slash ? final : ".", slash ? (size_t)(slash - final) + !(slash - final) : 1) || !stralloc_0(&dir)) return 0 ;
  dfd = open2(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC) ;
  e = dfd == -1 || fsync(dfd) == -1 ? errno : 0 ;
  fd_close(dfd) ;
  stralloc_free(&dir) ;
  errno = e ;
  return !e ;
}
