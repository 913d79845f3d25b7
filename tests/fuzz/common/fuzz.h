/* fuzz.h: what the fuzz targets share. An invariant that fails calls abort(), which libFuzzer
   (and the replay driver) report as a crash with the input that caused it. Inputs arrive as
   bytes; fuzz_take splits the first bytes off as parameters (flags, split points, limits). */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

int LLVMFuzzerTestOneInput (uint8_t const *data, size_t size) ;

#define fuzz_assert(c) ((c) ? (void)0 : fuzz_fail(#c, __FILE__, __LINE__))

static inline void fuzz_fail (char const *what, char const *file, int line)
{
  fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what) ;
  abort() ;
}

/* 1 if a[0..alen) and b[0..blen) hold the same bytes; either may be a null pointer when empty
   (an unused stralloc), which memcmp does not allow. */
static inline int fuzz_same (void const *a, size_t alen, void const *b, size_t blen)
{
  return alen == blen && (!alen || !memcmp(a, b, alen)) ;
}

/* A copy of data that ends right before an unreadable page, valid until the next call: a read
   past the end faults even inside uninstrumented code (skalibs' scanners, which ASan does not
   see). Inputs over FUZZ_GUARDMAX bytes are cut. */
#define FUZZ_GUARDMAX 65536
static inline char *fuzz_guard (uint8_t const *data, size_t *size)
{
  static char *region = 0 ;
  long page = sysconf(_SC_PAGESIZE) ;
  if (!region)
  {
    int fd = open("/dev/zero", O_RDWR) ;
    void *p = fd < 0 ? MAP_FAILED : mmap(0, FUZZ_GUARDMAX + page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) ;
    if (p == MAP_FAILED || close(fd) || mprotect((char *)p + FUZZ_GUARDMAX, page, PROT_NONE)) abort() ;
    region = p ;
  }
  if (*size > FUZZ_GUARDMAX) *size = FUZZ_GUARDMAX ;
  if (*size) memcpy(region + FUZZ_GUARDMAX - *size, data, *size) ;
  return region + FUZZ_GUARDMAX - *size ;
}

/* The next byte of the input as a parameter (0 once it is used up). */
static inline unsigned int fuzz_take (uint8_t const **data, size_t *size)
{
  if (!*size) return 0 ;
  (*size)-- ;
  return *(*data)++ ;
}

/* A NUL-terminated heap copy (the parsers that want strings); abort on ENOMEM. */
static inline char *fuzz_strdup (uint8_t const *data, size_t size)
{
  char *s = malloc(size + 1) ;
  if (!s) abort() ;
  for (size_t i = 0 ; i < size ; i++) s[i] = data[i] ;
  s[size] = 0 ;
  return s ;
}

#endif
