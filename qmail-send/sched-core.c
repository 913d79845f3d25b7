/* sched-core.c: heap, id map and retry schedule for qmail-send (sched-core.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sched-core.h"

static int before (heapent_t const *a, heapent_t const *b)
{
  return a->when < b->when || (a->when == b->when && a->msg < b->msg) ;
}

int heap_push (heap_t *h, uint64_t when, uint32_t msg)
{
  size_t i ;
  if (h->n == h->a)
  {
    size_t a = h->a ? h->a * 2 : 64 ;
    heapent_t *v = realloc(h->v, a * sizeof *v) ;
    if (!v) return 0 ;
    h->v = v ; h->a = a ;
  }
  i = h->n++ ;
  h->v[i].when = when ; h->v[i].msg = msg ;
  while (i && before(h->v + i, h->v + (i - 1) / 2))
  {
    heapent_t t = h->v[i] ; h->v[i] = h->v[(i - 1) / 2] ; h->v[(i - 1) / 2] = t ;
    i = (i - 1) / 2 ;
  }
  return 1 ;
}

int heap_pop (heap_t *h, heapent_t *out)
{
  size_t i = 0 ;
  if (!h->n) return 0 ;
  *out = h->v[0] ;
  h->v[0] = h->v[--h->n] ;
  for (;;)
  {
    size_t l = 2 * i + 1, r = l + 1, m = i ;
    if (l < h->n && before(h->v + l, h->v + m)) m = l ;
    if (r < h->n && before(h->v + r, h->v + m)) m = r ;
    if (m == i) break ;
    heapent_t t = h->v[i] ; h->v[i] = h->v[m] ; h->v[m] = t ;
    i = m ;
  }
  return 1 ;
}

void heap_allnow (heap_t *h)
{
  /* equal keys keep the heap order valid only with the msg tie-break: rebuild it */
  heapent_t *v = h->v ;
  size_t n = h->n ;
  h->n = 0 ;
  for (size_t i = 0 ; i < n ; i++) heap_push(h, 0, v[i].msg) ;  /* fits: no growth needed */
}

void heap_free (heap_t *h)
{
  free(h->v) ;
  h->v = 0 ; h->n = h->a = 0 ;
}

static size_t slot_of (uint64_t id, size_t size)
{
  id *= 0x9e3779b97f4a7c15ULL ;
  return (size_t)(id >> 17) & (size - 1) ;
}

static int idmap_grow (idmap_t *m)
{
  idmap_t n = { 0, 0, 0, m->size ? m->size * 2 : 256 } ;
  n.keys = calloc(n.size, sizeof *n.keys) ;
  n.vals = calloc(n.size, sizeof *n.vals) ;
  if (!n.keys || !n.vals) { free(n.keys) ; free(n.vals) ; return 0 ; }
  for (size_t i = 0 ; i < m->size ; i++) if (m->keys[i]) idmap_put(&n, m->keys[i], m->vals[i]) ;
  free(m->keys) ; free(m->vals) ;
  *m = n ;
  return 1 ;
}

int idmap_put (idmap_t *m, uint64_t id, uint32_t val)
{
  size_t i ;
  if (!id) return (errno = EINVAL, 0) ;
  if (2 * (m->n + 1) > m->size && !idmap_grow(m)) return 0 ;
  for (i = slot_of(id, m->size) ; m->keys[i] && m->keys[i] != id ; i = (i + 1) & (m->size - 1)) ;
  if (!m->keys[i]) m->n++ ;
  m->keys[i] = id ; m->vals[i] = val ;
  return 1 ;
}

int idmap_get (idmap_t const *m, uint64_t id, uint32_t *val)
{
  if (!m->size) return 0 ;
  for (size_t i = slot_of(id, m->size) ; m->keys[i] ; i = (i + 1) & (m->size - 1))
    if (m->keys[i] == id) { *val = m->vals[i] ; return 1 ; }
  return 0 ;
}

/* Linear probing with backward-shift deletion: no tombstones, lookups stay short. */
void idmap_del (idmap_t *m, uint64_t id)
{
  size_t mask = m->size - 1, i, j ;
  if (!m->size) return ;
  for (i = slot_of(id, m->size) ; m->keys[i] && m->keys[i] != id ; i = (i + 1) & mask) ;
  if (!m->keys[i]) return ;
  m->n-- ;
  for (j = (i + 1) & mask ; m->keys[j] ; j = (j + 1) & mask)
  {
    size_t home = slot_of(m->keys[j], m->size) ;
    /* move j back to i unless its home lies cyclically in (i, j] */
    if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
    {
      m->keys[i] = m->keys[j] ; m->vals[i] = m->vals[j] ;
      i = j ;
    }
  }
  m->keys[i] = 0 ;
}

void idmap_free (idmap_t *m)
{
  free(m->keys) ; free(m->vals) ;
  m->keys = 0 ; m->vals = 0 ; m->n = m->size = 0 ;
}

uint64_t sched_nextretry (uint64_t birth, uint64_t now, unsigned int skip)
{
  uint64_t age = now > birth ? now - birth : 0, r = age, x ;
  if (age > 1)   /* integer square root by Newton's method */
  {
    x = age / 2 + 1 ;
    r = age ;
    while (x < r) { r = x ; x = (x + age / x) / 2 ; }
  }
  return birth + (r + skip) * (r + skip) ;
}
