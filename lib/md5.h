/* md5.h: MD5 (RFC 1321), only for APOP (RFC 1939): never for anything that needs a secure hash. */
#ifndef QM_MD5_H
#define QM_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct md5_s md5_t, *md5_t_ref ;
struct md5_s
{
  uint32_t h[4] ;
  uint64_t bytes ;          /* total length so far */
  unsigned char block[64] ; /* bytes % 64 of them pending */
} ;
#define MD5_DIGEST 16

extern void md5_init (md5_t *m) ;
extern void md5_update (md5_t *m, char const *s, size_t len) ;
extern void md5_final (md5_t *m, unsigned char *digest) ;  /* MD5_DIGEST bytes */
/* digest of s in 32 lowercase hex digits and a NUL */
extern void md5_hex (char *hex, char const *s, size_t len) ;

#endif
