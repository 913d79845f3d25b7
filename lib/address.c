/* address.c: parse MAIL/RCPT paths into qmail's internal unquoted "local@domain" form and quote
   internal addresses back for the wire (RFC 5321 §4.1.2, §4.5.3.1; RFC 6531 for SMTPUTF8).
   The scanner only measures and validates; the internal form is built in one allocation at the
   end, so a rejected path never touches the heap. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <skalibs/bytestr.h>
#include "address.h"

#define LABELMAX 63  /* RFC 1035 §2.3.4 */

static char const atextpunct[] = "!#$%&'*+-/=?^_`{|}~" ;

typedef struct scan_s scan_t ;
struct scan_s
{
  char const *s ;
  size_t len ;
  size_t i ;              /* next byte to read */
  unsigned int flags ;
  size_t local, localend ;    /* wire local part, quotes included */
  size_t domain, domainend ;  /* wire domain, brackets included; domain == 0 when absent */
  int quoted ;
  int longlabel ;         /* an ASCII label over LABELMAX: a length error, reported after syntax */
} ;

static int isletdig (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ;
}

/* RFC 5322 atext; bytes >= 0x80 are handled by the callers */
static int isatext (unsigned char c)
{
  return isletdig(c) || byte_chr(atextpunct, sizeof atextpunct - 1, c) < sizeof atextpunct - 1 ;
}

/* Length of the well-formed UTF-8 sequence (RFC 3629 §4) of a non-ASCII character at s, 0 if
   malformed: no overlongs, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq (unsigned char const *s, size_t len)
{
  unsigned char lo = 0x80, hi = 0xbf ;
  size_t n, i ;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) n = 2 ;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
  {
    n = 3 ;
    if (s[0] == 0xe0) lo = 0xa0 ;
    else if (s[0] == 0xed) hi = 0x9f ;
  }
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
  {
    n = 4 ;
    if (s[0] == 0xf0) lo = 0x90 ;
    else if (s[0] == 0xf4) hi = 0x8f ;
  }
  else return 0 ;
  if (len < n || s[1] < lo || s[1] > hi) return 0 ;
  for (i = 2 ; i < n ; i++) if ((s[i] & 0xc0) != 0x80) return 0 ;
  return n ;
}

/* At a byte >= 0x80 where RFC 6531 allows UTF8-non-ascii: step over one character. */
static address_err_t scan_utf8 (scan_t *p)
{
  size_t n ;
  if (!(p->flags & ADDRESS_SMTPUTF8)) return ADDRESS_8BIT ;
  n = utf8_seq((unsigned char const *)p->s + p->i, p->len - p->i) ;
  if (!n) return ADDRESS_BADUTF8 ;
  p->i += n ;
  return ADDRESS_OK ;
}

/* A byte >= 0x80 where even RFC 6531 allows none (quoted-pair, address literal) */
static address_err_t eightbit_refused (scan_t const *p, address_err_t e)
{
  return p->flags & ADDRESS_SMTPUTF8 ? e : ADDRESS_8BIT ;
}

/* Dot-string = Atom *("." Atom) */
static address_err_t scan_dotstring (scan_t *p)
{
  for (;;)
  {
    size_t atom = p->i ;
    while (p->i < p->len)
    {
      unsigned char c = p->s[p->i] ;
      if (c >= 0x80)
      {
        address_err_t e = scan_utf8(p) ;
        if (e) return e ;
      }
      else if (isatext(c)) p->i++ ;
      else break ;
    }
    if (p->i == atom) return ADDRESS_SYNTAX ;  /* leading, doubled or trailing dot, or nothing */
    if (p->i >= p->len || p->s[p->i] != '.') return ADDRESS_OK ;
    p->i++ ;
  }
}

/* Quoted-string = DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE; p->i is on the DQUOTE */
static address_err_t scan_quoted (scan_t *p)
{
  p->i++ ;
  while (p->i < p->len)
  {
    unsigned char c = p->s[p->i] ;
    if (c == '"') { p->i++ ; return ADDRESS_OK ; }
    if (c == '\\')
    {
      if (++p->i >= p->len) break ;
      c = p->s[p->i] ;
      if (c >= 0x80) return eightbit_refused(p, ADDRESS_SYNTAX) ;
      if (c < 32 || c == 127) return ADDRESS_SYNTAX ;
      p->i++ ;
    }
    else if (c >= 0x80)
    {
      address_err_t e = scan_utf8(p) ;
      if (e) return e ;
    }
    else if (c < 32 || c == 127) return ADDRESS_SYNTAX ;
    else p->i++ ;
  }
  return ADDRESS_SYNTAX ;  /* no closing quote */
}

/* sub-domain = Let-dig [Ldh-str], or a U-label with SMTPUTF8. A U-label is not held to
   LABELMAX octets: its limit applies to its A-label, which only the resolver computes. */
static address_err_t scan_label (scan_t *p)
{
  size_t start = p->i ;
  int ascii = 1 ;
  while (p->i < p->len)
  {
    unsigned char c = p->s[p->i] ;
    if (c >= 0x80)
    {
      address_err_t e = scan_utf8(p) ;
      if (e) return e ;
      ascii = 0 ;
    }
    else if (isletdig(c) || c == '-') p->i++ ;
    else break ;
  }
  if (p->i == start || p->s[start] == '-' || p->s[p->i - 1] == '-') return ADDRESS_SYNTAX ;
  if (ascii && p->i - start > LABELMAX) p->longlabel = 1 ;
  return ADDRESS_OK ;
}

/* Domain = sub-domain *("." sub-domain): no empty label, so no trailing dot */
static address_err_t scan_domain (scan_t *p)
{
  for (;;)
  {
    address_err_t e = scan_label(p) ;
    if (e) return e ;
    if (p->i >= p->len || p->s[p->i] != '.') return ADDRESS_OK ;
    p->i++ ;
  }
}

/* address-literal: "[" IPv4 "]" or "[IPv6:" IPv6 "]" ("IPv6:" is case-insensitive, as ABNF
   strings are); general literals are refused. p->i is on the "[". */
static address_err_t scan_literal (scan_t *p)
{
  char buf[INET6_ADDRSTRLEN + 5] ;
  unsigned char bin[sizeof(struct in6_addr)] ;
  size_t start = ++p->i, n ;
  for (; p->i < p->len && p->s[p->i] != ']' ; p->i++)
  {
    unsigned char c = p->s[p->i] ;
    if (c >= 0x80) return eightbit_refused(p, ADDRESS_LITERAL) ;
    if (c <= ' ' || c == 127 || c == '[' || c == '\\') return ADDRESS_SYNTAX ;  /* not dcontent */
  }
  if (p->i >= p->len) return ADDRESS_SYNTAX ;  /* no "]" */
  n = p->i++ - start ;
  if (n >= sizeof buf) return ADDRESS_LITERAL ;
  memcpy(buf, p->s + start, n) ;
  buf[n] = 0 ;
  if (n >= 5 && case_startb(buf, n, "IPv6:"))
    return inet_pton(AF_INET6, buf + 5, bin) == 1 ? ADDRESS_OK : ADDRESS_LITERAL ;
  return inet_pton(AF_INET, buf, bin) == 1 ? ADDRESS_OK : ADDRESS_LITERAL ;
}

/* A-d-l ":" = At-domain *("," At-domain) ":"; p->i is on the first "@". Discarded by the
   caller (RFC 5321 §C), but it must still be well-formed. */
static address_err_t scan_route (scan_t *p)
{
  for (;;)
  {
    address_err_t e ;
    if (p->i >= p->len || p->s[p->i] != '@') return ADDRESS_SYNTAX ;
    p->i++ ;
    e = scan_domain(p) ;
    if (e) return e ;
    if (p->i < p->len && p->s[p->i] == ':') { p->i++ ; return ADDRESS_OK ; }
    if (p->i >= p->len || p->s[p->i] != ',') return ADDRESS_SYNTAX ;
    p->i++ ;
  }
}

/* Local-part ["@" (Domain / address-literal)]: RFC 5321's Mailbox, with the domain optional */
static address_err_t scan_mailbox (scan_t *p)
{
  address_err_t e ;
  p->local = p->i ;
  p->quoted = p->i < p->len && p->s[p->i] == '"' ;
  e = p->quoted ? scan_quoted(p) : scan_dotstring(p) ;
  if (e) return e ;
  p->localend = p->i ;
  if (p->i >= p->len || p->s[p->i] != '@') return ADDRESS_OK ;
  p->domain = ++p->i ;
  e = p->i < p->len && p->s[p->i] == '[' ? scan_literal(p) : scan_domain(p) ;
  if (e) return e ;
  p->domainend = p->i ;
  return ADDRESS_OK ;
}

/* The internal form cannot represent an empty local part (it would read as the null sender
   or as a route) nor, without a domain, a local part holding "@" (it would split there). */
static int mailbox_representable (scan_t const *p)
{
  char const *s = p->s + p->local + p->quoted ;
  size_t n = p->localend - p->local - 2 * p->quoted ;
  if (!n) return 0 ;
  return p->domain || byte_chr(s, n, '@') == n ;
}

static address_err_t mailbox_lengths (scan_t const *p, size_t pathlen)
{
  if (p->localend - p->local > ADDRESS_LOCALMAX) return ADDRESS_LOCALTOOLONG ;
  if (p->domainend - p->domain > ADDRESS_DOMAINMAX || p->longlabel) return ADDRESS_DOMAINTOOLONG ;
  if (pathlen > ADDRESS_PATHMAX) return ADDRESS_PATHTOOLONG ;
  return ADDRESS_OK ;
}

/* Write the internal form of the scanned mailbox into sa, NUL-terminated. */
static int mailbox_unquote (stralloc *sa, scan_t const *p)
{
  size_t n = 0 ;
  if (!stralloc_ready(sa, p->localend - p->local + p->domainend - p->domain + 2)) return 0 ;
  if (p->quoted)
  {
    size_t j = p->local + 1 ;
    for (; j < p->localend - 1 ; j++)
    {
      if (p->s[j] == '\\') j++ ;
      sa->s[n++] = p->s[j] ;
    }
  }
  else
  {
    memcpy(sa->s, p->s + p->local, p->localend - p->local) ;
    n = p->localend - p->local ;
  }
  if (p->domain)
  {
    sa->s[n++] = '@' ;
    memcpy(sa->s + n, p->s + p->domain, p->domainend - p->domain) ;
    n += p->domainend - p->domain ;
  }
  sa->s[n] = 0 ;
  sa->len = n ;
  return 1 ;
}

/* "<" [A-d-l ":"] Mailbox ">", or "<>"; p->i is on the "<". *isnull tells which. */
static address_err_t scan_path (scan_t *p, size_t *pathlen, int *isnull)
{
  size_t open = p->i++ ;
  address_err_t e ;
  *isnull = p->i < p->len && p->s[p->i] == '>' ;
  if (*isnull)
  {
    if (!(p->flags & ADDRESS_ALLOWNULL)) return ADDRESS_NULLNOTALLOWED ;
  }
  else
  {
    if (p->i < p->len && p->s[p->i] == '@')
    {
      e = scan_route(p) ;
      if (e) return e ;
    }
    e = scan_mailbox(p) ;
    if (e) return e ;
    if (p->i >= p->len || p->s[p->i] != '>') return ADDRESS_SYNTAX ;
  }
  *pathlen = ++p->i - open ;
  return ADDRESS_OK ;
}

address_err_t address_parse (stralloc *sa, size_t *params, char const *s, size_t len, unsigned int flags)
{
  scan_t p = { .s = s, .len = len, .flags = flags } ;
  size_t pathlen = 0 ;
  int isnull = 0 ;
  address_err_t e ;
  sa->len = 0 ;
  while (p.i < len && s[p.i] == ' ') p.i++ ;
  if (p.i < len && s[p.i] == '<') e = scan_path(&p, &pathlen, &isnull) ;
  else if (flags & ADDRESS_ALLOWBARE)
  {
    size_t start = p.i ;
    e = scan_mailbox(&p) ;
    pathlen = p.i - start + 2 ;  /* as if it had its brackets */
  }
  else e = ADDRESS_SYNTAX ;
  if (e) return e ;
  if (p.i < len && s[p.i] != ' ') return ADDRESS_SYNTAX ;
  while (p.i < len && s[p.i] == ' ') p.i++ ;
  if (isnull)
  {
    if (!stralloc_ready(sa, 1)) return ADDRESS_NOMEM ;
    sa->s[0] = 0 ;
  }
  else
  {
    if (!mailbox_representable(&p)) return ADDRESS_SYNTAX ;
    e = mailbox_lengths(&p, pathlen) ;
    if (e) return e ;
    if (!mailbox_unquote(sa, &p)) return ADDRESS_NOMEM ;
  }
  *params = p.i ;
  return ADDRESS_OK ;
}

char const *address_errstr (address_err_t e)
{
  switch (e)
  {
    case ADDRESS_OK : return "address ok" ;
    case ADDRESS_SYNTAX : return "syntax error in address" ;
    case ADDRESS_LITERAL : return "invalid address literal" ;
    case ADDRESS_NULLNOTALLOWED : return "null address not allowed here" ;
    case ADDRESS_8BIT : return "non-ASCII address without SMTPUTF8" ;
    case ADDRESS_BADUTF8 : return "address is not valid UTF-8" ;
    case ADDRESS_LOCALTOOLONG : return "local part too long" ;
    case ADDRESS_DOMAINTOOLONG : return "domain name too long" ;
    case ADDRESS_PATHTOOLONG : return "path too long" ;
    case ADDRESS_NOMEM : return "out of memory" ;
  }
  return "unknown address error" ;
}

int address_isdotstring (char const *s, size_t len)
{
  size_t i = 0 ;
  for (;;)
  {
    size_t atom = i ;
    while (i < len && ((unsigned char)s[i] >= 0x80 || isatext(s[i]))) i++ ;
    if (i == atom) return 0 ;
    if (i == len) return 1 ;
    if (s[i++] != '.') return 0 ;
  }
}

int address_quote (stralloc *sa, char const *s, size_t len)
{
  char const *domain ;
  size_t domainlen, i, n, need ;
  size_t local = address_split(s, len, &domain, &domainlen) ;
  if (!len) return 1 ;  /* the null sender: the caller writes "<>" */
  if (address_isdotstring(s, local)) return stralloc_catb(sa, s, len) ;
  need = len + 2 ;
  for (i = 0 ; i < local ; i++)
  {
    unsigned char c = s[i] ;
    if (c < 32 || c == 127)
    {
      errno = EINVAL ;
      return 0 ;
    }
    if (c == '"' || c == '\\') need++ ;
  }
  if (!stralloc_readyplus(sa, need)) return 0 ;
  n = sa->len ;
  sa->s[n++] = '"' ;
  for (i = 0 ; i < local ; i++)
  {
    if (s[i] == '"' || s[i] == '\\') sa->s[n++] = '\\' ;
    sa->s[n++] = s[i] ;
  }
  sa->s[n++] = '"' ;
  if (domain)
  {
    sa->s[n++] = '@' ;
    memcpy(sa->s + n, domain, domainlen) ;
    n += domainlen ;
  }
  sa->len = n ;
  return 1 ;
}

size_t address_split (char const *s, size_t len, char const **domain, size_t *domainlen)
{
  size_t i = byte_rchr(s, len, '@') ;
  if (i == len)
  {
    *domain = 0 ;
    *domainlen = 0 ;
  }
  else
  {
    *domain = s + i + 1 ;
    *domainlen = len - i - 1 ;
  }
  return i ;
}

void address_lowerdomain (char *s, size_t len)
{
  size_t i = byte_rchr(s, len, '@') ;
  if (i < len) case_lowerb(s + i + 1, len - i - 1) ;
}

static unsigned char lower (unsigned char c)
{
  return c >= 'A' && c <= 'Z' ? c + 32 : c ;
}

int address_domainequal (char const *a, size_t alen, char const *b, size_t blen)
{
  size_t i = 0 ;
  if (alen != blen) return 0 ;
  for (; i < alen ; i++) if (lower(a[i]) != lower(b[i])) return 0 ;
  return 1 ;
}
