/* md5.c: MD5 as RFC 1321 specifies it (written from the RFC's description, section 3). */
#include <string.h>
#include "md5.h"

static uint32_t const k[64] =
{
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
} ;
static unsigned char const r[4][4] = { { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 } } ;

static uint32_t rol (uint32_t x, unsigned int n)
{
  return (x << n) | (x >> (32 - n)) ;
}

static void md5_block (md5_t *m, unsigned char const *p)
{
  uint32_t x[16], a = m->h[0], b = m->h[1], c = m->h[2], d = m->h[3] ;
  for (unsigned int i = 0 ; i < 16 ; i++)
    x[i] = (uint32_t)p[4*i] | (uint32_t)p[4*i+1] << 8 | (uint32_t)p[4*i+2] << 16 | (uint32_t)p[4*i+3] << 24 ;
  for (unsigned int i = 0 ; i < 64 ; i++)
  {
    uint32_t f, t ;
    unsigned int g, round = i / 16 ;
    switch (round)
    {
      case 0 : f = (b & c) | (~b & d) ; g = i ; break ;
      case 1 : f = (b & d) | (c & ~d) ; g = (5 * i + 1) % 16 ; break ;
      case 2 : f = b ^ c ^ d ; g = (3 * i + 5) % 16 ; break ;
      default : f = c ^ (b | ~d) ; g = (7 * i) % 16 ; break ;
    }
    t = d ; d = c ; c = b ;
    b = b + rol(a + f + k[i] + x[g], r[round][i % 4]) ;
    a = t ;
  }
  m->h[0] += a ; m->h[1] += b ; m->h[2] += c ; m->h[3] += d ;
}

void md5_init (md5_t *m)
{
  m->h[0] = 0x67452301 ; m->h[1] = 0xefcdab89 ; m->h[2] = 0x98badcfe ; m->h[3] = 0x10325476 ;
  m->bytes = 0 ;
}

void md5_update (md5_t *m, char const *s, size_t len)
{
  unsigned char const *p = (unsigned char const *)s ;
  while (len)
  {
    size_t have = m->bytes % 64, n = 64 - have < len ? 64 - have : len ;
    memcpy(m->block + have, p, n) ;
    m->bytes += n ; p += n ; len -= n ;
    if (!(m->bytes % 64)) md5_block(m, m->block) ;
  }
}

void md5_final (md5_t *m, unsigned char *digest)
{
  unsigned char pad[72] = { 0x80 } ;
  uint64_t bits = m->bytes * 8 ;
  size_t padlen = 64 - (m->bytes + 8) % 64 ;  /* 1..64 bytes, the 0x80 included */
  for (unsigned int i = 0 ; i < 8 ; i++) pad[padlen + i] = (unsigned char)(bits >> (8 * i)) ;
  md5_update(m, (char const *)pad, padlen + 8) ;
  for (unsigned int i = 0 ; i < 16 ; i++) digest[i] = (unsigned char)(m->h[i / 4] >> (8 * (i % 4))) ;
}

void md5_hex (char *hex, char const *s, size_t len)
{
  static char const digits[] = "0123456789abcdef" ;
  unsigned char d[MD5_DIGEST] ;
  md5_t m ;
  md5_init(&m) ;
  md5_update(&m, s, len) ;
  md5_final(&m, d) ;
  for (unsigned int i = 0 ; i < MD5_DIGEST ; i++)
  {
    hex[2*i] = digits[d[i] >> 4] ;
    hex[2*i+1] = digits[d[i] & 15] ;
  }
  hex[2 * MD5_DIGEST] = 0 ;
}
