/* qmalloc.c: see qmalloc.h. */

#define _GNU_SOURCE  /* MAP_ANONYMOUS, mremap */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "qmalloc.h"

#define HDR 16                               /* header before each block; keeps 16-byte alignment */
#define NCLASS 13                            /* classes 16 << 0 .. 16 << 12 */
#define CLASSMAX ((size_t)16 << (NCLASS - 1)) /* 64 KB: larger blocks get their own mapping */
#define ARENA (128 * 1024)                   /* the first arena, in .bss */
#define CHUNK (1024 * 1024)                  /* each further arena */
#define PAGE 4096

/* A block: its header holds the usable size (a class size, or a mapping's size less HDR);
   a free block keeps its free-list link in its first bytes. */
typedef struct hdr_s { size_t size ; size_t unused ; } hdr ;

static union { long double ld ; void *p ; long long ll ; char c[ARENA] ; } first ;
static char *cur = first.c ;
static char *end = first.c + ARENA ;
static void *freelist[NCLASS] ;

static unsigned int class_of (size_t n)
{
  unsigned int k = 0 ;
  while (((size_t)16 << k) < n) k++ ;
  return k ;
}

/* A block of its own mapping, or (old nonzero) the big block old moved to a mapping that fits n */
static void *big (size_t n, hdr *old)
{
  size_t total ;
  hdr *h ;
  if (n > SIZE_MAX - HDR - PAGE) { errno = ENOMEM ; return 0 ; }
  total = (n + HDR + PAGE - 1) & ~(size_t)(PAGE - 1) ;
  h = old ? mremap(old, old->size + HDR, total, MREMAP_MAYMOVE)
          : mmap(0, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ;
  if (h == MAP_FAILED) { errno = ENOMEM ; return 0 ; }
  h->size = total - HDR ;
  return h + 1 ;
}

void *qm_malloc (size_t n)
{
  unsigned int k ;
  size_t need ;
  hdr *h ;
  if (n > CLASSMAX) return big(n, 0) ;
  k = class_of(n) ;
  if (freelist[k])
  {
    void *p = freelist[k] ;
    memcpy(&freelist[k], p, sizeof(void *)) ;
    return p ;
  }
  need = HDR + ((size_t)16 << k) ;
  if ((size_t)(end - cur) < need)
  {
    char *c = mmap(0, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ;
    if (c == MAP_FAILED) { errno = ENOMEM ; return 0 ; }
    cur = c ; end = c + CHUNK ;  /* the rest of the old arena stays unused */
  }
  h = (hdr *)cur ;
  cur += need ;
  h->size = (size_t)16 << k ;
  return h + 1 ;
}

void qm_free (void *p)
{
  hdr *h ;
  if (!p) return ;
  h = (hdr *)p - 1 ;
  if (h->size > CLASSMAX) { munmap(h, h->size + HDR) ; return ; }
  {
    unsigned int k = class_of(h->size) ;
    memcpy(p, &freelist[k], sizeof(void *)) ;
    freelist[k] = p ;
  }
}

size_t qm_usable (void const *p)
{
  return ((hdr const *)p - 1)->size ;
}

void *qm_calloc (size_t a, size_t b)
{
  void *p ;
  if (b && a > SIZE_MAX / b) { errno = ENOMEM ; return 0 ; }
  p = qm_malloc(a * b) ;
  if (p) memset(p, 0, a * b) ;
  return p ;
}

void *qm_realloc (void *p, size_t n)
{
  hdr *h ;
  void *q ;
  if (!p) return qm_malloc(n) ;
  h = (hdr *)p - 1 ;
  if (n <= h->size) return p ;
  if (h->size > CLASSMAX) return big(n, h) ;   /* the kernel moves the pages, nothing is copied */
  if (n <= CLASSMAX && (char *)p + h->size == cur)
  {
    size_t want = (size_t)16 << class_of(n) ;
    if ((size_t)(end - (char *)p) >= want)
    {
      cur = (char *)p + want ;
      h->size = want ;
      return p ;
    }
  }
  q = qm_malloc(n) ;
  if (!q) return 0 ;
  memcpy(q, p, h->size) ;
  qm_free(p) ;
  return q ;
}

#ifdef QM_MALLOC_REPLACE
void *malloc (size_t n) { return qm_malloc(n) ; }
void *calloc (size_t a, size_t b) { return qm_calloc(a, b) ; }
void *realloc (void *p, size_t n) { return qm_realloc(p, n) ; }
void free (void *p) { qm_free(p) ; }

/* Not used today; defined so that a future caller cannot get musl's versions, whose blocks
   our free would take for its own. Alignments up to 16 only. */
static void *aligned (size_t align, size_t n)
{
  if (!align || align > HDR || (align & (align - 1))) { errno = EINVAL ; return 0 ; }
  return qm_malloc(n) ;
}
void *aligned_alloc (size_t align, size_t n) { return aligned(align, n) ; }
void *memalign (size_t align, size_t n) { return aligned(align, n) ; }
int posix_memalign (void **p, size_t align, size_t n)
{
  void *q = aligned(align, n) ;
  if (!q) return errno ;
  *p = q ;
  return 0 ;
}
size_t malloc_usable_size (void *p) { return p ? qm_usable(p) : 0 ; }
#endif
