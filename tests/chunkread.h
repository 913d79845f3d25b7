/* chunkread.h: a fake fd for unit tests of buffered readers: hands out src in pieces of at
   most chunk bytes, then end of file, or EIO when readerr is set. An iov_func only gets an
   int, hence the file-wide state; header-only, one copy per test program. */
#ifndef TESTS_CHUNKREAD_H
#define TESTS_CHUNKREAD_H

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

static char const *src ;
static size_t srclen, srcpos, chunk ;
static int readerr ;

static inline ssize_t chunkread (int fd, struct iovec const *v, unsigned int n)
{
  size_t want = chunk, done = 0 ;
  (void)fd ;
  if (readerr && srcpos == srclen) return (errno = EIO, -1) ;
  if (want > srclen - srcpos) want = srclen - srcpos ;
  for (unsigned int i = 0 ; i < n && done < want ; i++)
  {
    size_t m = v[i].iov_len < want - done ? v[i].iov_len : want - done ;
    if (m) memcpy(v[i].iov_base, src + srcpos + done, m) ;
    done += m ;
  }
  srcpos += done ;
  return done ;
}

#endif
