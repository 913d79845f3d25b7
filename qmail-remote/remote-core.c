/* remote-core.c: see remote-core.h. */
#define _DEFAULT_SOURCE  /* getifaddrs */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <skalibs/bytestr.h>
#include <skalibs/djbunix.h>
#include <skalibs/types.h>
#include "remote-core.h"

static int scanip (char const *s, size_t len, ip46full *ip)
{
  char buf[64] ;
  if (!len || len >= sizeof buf) return 0 ;
  memcpy(buf, s, len) ;
  buf[len] = 0 ;
  if (ip4_scan(buf, ip->ip) == len) { memset(ip->ip + 4, 0, 12) ; ip->is6 = 0 ; return 1 ; }
  if (byte_chr(buf, len, ':') < len && ip6_scan(buf, ip->ip) == len) { ip->is6 = 1 ; return 1 ; }
  return 0 ;
}

int host_literal (char const *s, size_t len, ip46full *ip)
{
  if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
  {
    s++ ; len -= 2 ;
    if (len > 5 && !strncasecmp(s, "IPv6:", 5)) { s += 5 ; len -= 5 ; if (!scanip(s, len, ip) || !ip->is6) return 0 ; return 1 ; }
    return scanip(s, len, ip) ;
  }
  return scanip(s, len, ip) && !ip->is6 ;
}

int relay_parse (relay_t *r, char const *s, size_t len, uint16_t defport)
{
  size_t hostlen ;
  r->host.len = 0 ;
  r->isip = 0 ;
  r->port = defport ;
  if (len && s[0] == '[') hostlen = byte_chr(s, len, ']') + 1 ;
  else hostlen = byte_chr(s, len, ':') ;
  if (hostlen > len) return (errno = EINVAL, 0) ;
  if (hostlen < len)
  {
    char buf[8] ;
    size_t plen = len - hostlen - 1 ;
    uint16_t port ;
    if (s[hostlen] != ':' || !plen || plen >= sizeof buf) return (errno = EINVAL, 0) ;
    memcpy(buf, s + hostlen + 1, plen) ;
    buf[plen] = 0 ;
    if (uint16_scan(buf, &port) != plen || !port) return (errno = EINVAL, 0) ;
    r->port = port ;
  }
  if (hostlen && host_literal(s, hostlen, &r->ip)) r->isip = 1 ;
  else if (hostlen && s[0] == '[') return (errno = EINVAL, 0) ;
  if (!stralloc_catb(&r->host, s, hostlen) || !stralloc_0(&r->host)) return 0 ;
  r->host.len-- ;
  case_lowerb(r->host.s, r->host.len) ;
  return 1 ;
}

/* The item of items whose domain part equals key[0..klen), ignoring case; 0 if none. */
static char const *lookup (char const *items, size_t n, char const *key, size_t klen)
{
  for (size_t i = 0 ; i < n ; i++)
  {
    size_t len = strlen(items) ;
    size_t colon = byte_chr(items, len, ':') ;
    if (colon < len && colon == klen && !strncasecmp(items, key, klen)) return items ;
    items += len + 1 ;
  }
  return 0 ;
}

int route_find (relay_t *r, char const *items, size_t n, char const *domain)
{
  size_t len = strlen(domain) ;
  char const *hit = lookup(items, n, domain, len) ;
  for (size_t i = 0 ; !hit && i < len ; i++)
    if (domain[i] == '.') hit = lookup(items, n, domain + i, len - i) ;
  if (!hit) hit = lookup(items, n, "", 0) ;
  if (!hit) return 0 ;
  {
    size_t hl = strlen(hit), colon = byte_chr(hit, hl, ':') ;
    return relay_parse(r, hit + colon + 1, hl - colon - 1, SMTP_PORT) ? 1 : -1 ;
  }
}

int smtpreply_add (smtpreply_t *r, char const *line, size_t len)
{
  unsigned int code ;
  if (len && line[len - 1] == '\r') len-- ;
  if (!r->lines) { r->code = 0 ; r->text.len = 0 ; }
  if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9'
   || (len > 3 && line[3] != ' ' && line[3] != '-')) return (errno = EPROTO, -1) ;
  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') ;
  if (r->lines && code != r->code) return (errno = EPROTO, -1) ;
  if (++r->lines > SMTPREPLY_LINEMAX) return (errno = EPROTO, -1) ;
  r->code = code ;
  if (r->text.len + !!r->text.len < SMTPREPLY_TEXTMAX)   /* the cap counts the joining "\n" too */
  {
    size_t n ;
    if (r->text.len && !stralloc_catb(&r->text, "\n", 1)) return -1 ;
    n = SMTPREPLY_TEXTMAX - r->text.len ;
    if (n > len) n = len ;
    if (!stralloc_catb(&r->text, line, n)) return -1 ;
    for (size_t i = r->text.len - n ; i < r->text.len ; i++)
      if ((unsigned char)r->text.s[i] < 32 || r->text.s[i] == 127) r->text.s[i] = '?' ;
  }
  if (len > 3 && line[3] == '-') return 0 ;
  if (!stralloc_0(&r->text)) return -1 ;
  r->text.len-- ;
  r->lines = 0 ;
  return 1 ;
}

static int keyword (char const *s, size_t len, char const *k, char const **arg)
{
  size_t kl = strlen(k) ;
  if (len < kl || strncasecmp(s, k, kl) || (len > kl && s[kl] != ' ' && s[kl] != '=')) return 0 ;
  *arg = s + kl ;
  return 1 ;
}

/* The mechanisms we know in AUTH's argument ("AUTH=LOGIN PLAIN" is the old form). */
static unsigned int authmechs (char const *s, size_t len)
{
  unsigned int flags = 0 ;
  while (len)
  {
    size_t n ;
    while (len && (*s == ' ' || *s == '=')) { s++ ; len-- ; }
    for (n = 0 ; n < len && s[n] != ' ' && s[n] != '=' ; n++) ;
    if (n == 5 && !strncasecmp(s, "PLAIN", 5)) flags |= EHLO_AUTHPLAIN ;
    if (n == 5 && !strncasecmp(s, "LOGIN", 5)) flags |= EHLO_AUTHLOGIN ;
    s += n ; len -= n ;
  }
  return flags ;
}

unsigned int ehlo_parse (char const *text, size_t len, uint64_t *sizemax)
{
  unsigned int flags = 0 ;
  size_t pos = byte_chr(text, len, '\n') ;   /* the first line greets: no keyword */
  *sizemax = 0 ;
  while (pos < len)
  {
    char const *s = text + pos + 1, *arg ;
    size_t l = byte_chr(s, len - pos - 1, '\n') ;
    pos += l + 1 ;
    if (l < 4) continue ;
    s += 4 ; l -= 4 ;
    if (keyword(s, l, "PIPELINING", &arg)) flags |= EHLO_PIPELINING ;
    else if (keyword(s, l, "8BITMIME", &arg)) flags |= EHLO_8BITMIME ;
    else if (keyword(s, l, "STARTTLS", &arg)) flags |= EHLO_STARTTLS ;
    else if (keyword(s, l, "AUTH", &arg)) flags |= EHLO_AUTH | authmechs(arg, l - (arg - s)) ;
    else if (keyword(s, l, "SIZE", &arg))
    {
      char buf[21] ;
      size_t al = l - (arg - s) ;
      flags |= EHLO_SIZE ;
      while (al && (*arg == ' ' || *arg == '=')) { arg++ ; al-- ; }
      if (al && al < sizeof buf)
      {
        memcpy(buf, arg, al) ;
        buf[al] = 0 ;
        if (uint64_scan(buf, sizemax) != al) *sizemax = 0 ;
      }
    }
  }
  return flags ;
}

int smtpdata_cat (stralloc *out, char const *s, size_t len, int *bol)
{
  while (len)
  {
    size_t n = byte_chr(s, len, '\n') ;
    if (*bol && s[0] == '.' && !stralloc_catb(out, ".", 1)) return 0 ;
    if (!stralloc_catb(out, s, n)) return 0 ;
    if (n == len) { *bol = 0 ; return 1 ; }
    if (!stralloc_catb(out, "\r\n", 2)) return 0 ;
    *bol = 1 ;
    s += n + 1 ;
    len -= n + 1 ;
  }
  return 1 ;
}

int smtpdata_end (stralloc *out, int bol)
{
  return (bol || stralloc_catb(out, "\r\n", 2)) && stralloc_catb(out, ".\r\n", 3) ;
}

static int same (unsigned char const *rec, ip46full const *ip)
{
  return rec[0] == (ip->is6 ? 6 : 4) && !memcmp(rec + 8, ip->ip, ip->is6 ? 16 : 4) ;
}

static uint64_t when (unsigned char const *rec)
{
  uint64_t t = 0 ;
  for (int i = 0 ; i < 8 ; i++) t = t << 8 | rec[24 + i] ;
  return t ;
}

int tcpto_isdead (unsigned char const *t, ip46full const *ip, uint64_t now)
{
  for (unsigned int i = 0 ; i < TCPTO_SLOTS ; i++)
  {
    unsigned char const *rec = t + i * TCPTO_RECLEN ;
    if (same(rec, ip)) return rec[1] >= TCPTO_DEADAFTER && now < when(rec) + TCPTO_HOLD ;
  }
  return 0 ;
}

void tcpto_note (unsigned char *t, ip46full const *ip, uint64_t now, int failed)
{
  unsigned char *rec = 0, *oldest = t ;
  for (unsigned int i = 0 ; i < TCPTO_SLOTS && !rec ; i++)
  {
    unsigned char *x = t + i * TCPTO_RECLEN ;
    if (same(x, ip)) rec = x ;
    else if (!x[0] && oldest[0]) oldest = x ;
    else if (x[0] && oldest[0] && when(x) < when(oldest)) oldest = x ;
  }
  if (!failed) { if (rec) memset(rec, 0, TCPTO_RECLEN) ; return ; }
  if (!rec)
  {
    rec = oldest ;   /* a free record, else the one that failed longest ago */
    memset(rec, 0, TCPTO_RECLEN) ;
    rec[0] = ip->is6 ? 6 : 4 ;
    memcpy(rec + 8, ip->ip, ip->is6 ? 16 : 4) ;
  }
  if (rec[1] < 255) rec[1]++ ;
  for (int i = 0 ; i < 8 ; i++) rec[24 + i] = (unsigned char)(now >> (56 - 8 * i)) ;
}

int tcpto_check (char const *path, ip46full const *ip)
{
  unsigned char t[TCPTO_SIZE] ;
  int fd = open_read(path) ;
  ssize_t r ;
  if (fd < 0) return 0 ;
  r = pread(fd, t, sizeof t, 0) ;
  fd_close(fd) ;
  if (r < (ssize_t)sizeof t) return 0 ;
  return tcpto_isdead(t, ip, (uint64_t)time(0)) ;
}

void tcpto_record (char const *path, ip46full const *ip, int failed)
{
  unsigned char t[TCPTO_SIZE] ;
  int fd = open2(path, O_RDWR | O_CLOEXEC) ;
  if (fd < 0) return ;
  if (fd_lock(fd, 1, 0) < 1) { fd_close(fd) ; return ; }
  {
    ssize_t r = pread(fd, t, sizeof t, 0) ;
    if (r < 0) { fd_close(fd) ; return ; }
    if (r < (ssize_t)sizeof t) memset(t + r, 0, sizeof t - r) ;
  }
  tcpto_note(t, ip, (uint64_t)time(0), failed) ;
  if (pwrite(fd, t, sizeof t, 0) < (ssize_t)sizeof t) { /* best effort: the table is advice */ }
  fd_close(fd) ;   /* closing drops the lock */
}

int ipme_is (ip46full const *ip)
{
  struct ifaddrs *ifa, *p ;
  int found = 0 ;
  static char const zero[16] = { 0 } ;
  if (!memcmp(ip->ip, zero, ip->is6 ? 16 : 4)) return 1 ;
  if (getifaddrs(&ifa) < 0) return 0 ;
  for (p = ifa ; p && !found ; p = p->ifa_next)
  {
    if (!p->ifa_addr) continue ;
    if (p->ifa_addr->sa_family == AF_INET && !ip->is6)
      found = !memcmp(&((struct sockaddr_in *)p->ifa_addr)->sin_addr, ip->ip, 4) ;
    else if (p->ifa_addr->sa_family == AF_INET6 && ip->is6)
      found = !memcmp(&((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, ip->ip, 16) ;
  }
  freeifaddrs(ifa) ;
  return found ;
}
