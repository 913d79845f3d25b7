/* qmail-inject-core.c: which header fields qmail-inject reads, deletes and rewrites, the
   rewriting of addresses (qmail-header(5), qmail-inject(8) CONTROL FILES), and the fields it adds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <skalibs/types.h>
#include <skalibs/stralloc.h>
#include "address.h"
#include "addrlist.h"
#include "date822.h"
#include "qmail-inject-core.h"

/* what a field is to qmail-inject */
#define K_DELETE 1     /* not passed on */
#define K_ADDR 2       /* an address list: rewritten */
#define K_RCPT 4       /* recipients of a message that is not resent */
#define K_RRCPT 8      /* recipients of a resent message */
#define K_TOCC 16      /* To or Cc */
#define K_RETPATH 32   /* Return-Path */

typedef struct fieldkind_s fieldkind_t ;
struct fieldkind_s
{
  char const *name ;
  unsigned int kind ;
  unsigned int seen ;
} ;

static fieldkind_t const fieldkinds[] =
{
  { "to", K_ADDR | K_RCPT | K_TOCC, INJECT_SEEN_TOCC },
  { "cc", K_ADDR | K_RCPT | K_TOCC, INJECT_SEEN_TOCC },
  { "bcc", K_ADDR | K_RCPT | K_DELETE, 0 },
  { "apparently-to", K_ADDR | K_RCPT, 0 },
  { "resent-to", K_ADDR | K_RRCPT, INJECT_SEEN_RESENT | INJECT_SEEN_RTOCC },
  { "resent-cc", K_ADDR | K_RRCPT, INJECT_SEEN_RESENT | INJECT_SEEN_RTOCC },
  { "resent-bcc", K_ADDR | K_RRCPT | K_DELETE, INJECT_SEEN_RESENT },
  { "from", K_ADDR, INJECT_SEEN_FROM },
  { "sender", K_ADDR, 0 },
  { "reply-to", K_ADDR, 0 },
  { "return-receipt-to", K_ADDR, 0 },
  { "errors-to", K_ADDR, 0 },
  { "mail-followup-to", K_ADDR, INJECT_SEEN_MFT },
  { "mail-reply-to", K_ADDR, 0 },
  { "return-path", K_ADDR | K_RETPATH | K_DELETE, 0 },
  { "resent-from", K_ADDR, INJECT_SEEN_RESENT | INJECT_SEEN_RFROM },
  { "resent-sender", K_ADDR, INJECT_SEEN_RESENT },
  { "resent-reply-to", K_ADDR, INJECT_SEEN_RESENT },
  { "resent-date", 0, INJECT_SEEN_RESENT | INJECT_SEEN_RDATE },
  { "resent-message-id", 0, INJECT_SEEN_RESENT | INJECT_SEEN_RMSGID },
  { "date", 0, INJECT_SEEN_DATE },
  { "message-id", 0, INJECT_SEEN_MSGID },
  { "content-length", K_DELETE, 0 },
} ;

static fieldkind_t const *fieldkind (char const *name, size_t len)
{
  for (size_t i = 0 ; i < sizeof fieldkinds / sizeof *fieldkinds ; i++)
    if (strlen(fieldkinds[i].name) == len && !strncasecmp(fieldkinds[i].name, name, len)) return fieldkinds + i ;
  return 0 ;
}

size_t inject_fieldname (char const *line, size_t len)
{
  size_t n = 0, i ;
  while (n < len && line[n] > ' ' && line[n] < 127 && line[n] != ':') n++ ;
  for (i = n ; i < len && (line[i] == ' ' || line[i] == '\t') ; i++) ;
  return n && i < len && line[i] == ':' ? n : 0 ;
}

/* How a host is completed; the same rule for the envelope and for the header in place. */
enum qual_e { Q_KEEP, Q_ADDAT, Q_ADDHOST, Q_PLUS, Q_DOMAIN } ;

static enum qual_e qualkind (char const *host, size_t len, int hasat)
{
  if (!hasat) return Q_ADDAT ;
  if (!len) return Q_ADDHOST ;
  if (host[0] == '[') return Q_KEEP ;
  if (host[len - 1] == '+') return Q_PLUS ;
  return memchr(host, '.', len) ? Q_KEEP : Q_DOMAIN ;
}

/* The text that completes a host of kind q, once the trailing '+' of Q_PLUS is dropped. */
static int qualsuffix (stralloc *sa, enum qual_e q, size_t hostlen, inject_hosts_t const *h)
{
  switch (q)
  {
    case Q_ADDAT : return stralloc_catb(sa, "@", 1) && stralloc_cats(sa, h->defaulthost) ;
    case Q_ADDHOST : return stralloc_cats(sa, h->defaulthost) ;
    case Q_PLUS : return (hostlen > 1 ? stralloc_catb(sa, ".", 1) : 1) && stralloc_cats(sa, h->plusdomain) ;
    case Q_DOMAIN : return stralloc_catb(sa, ".", 1) && stralloc_cats(sa, h->defaultdomain) ;
    default : return 1 ;
  }
}

int inject_qualify (stralloc *sa, char const *host, size_t len, inject_hosts_t const *h)
{
  enum qual_e q = qualkind(host, len, 1) ;
  return stralloc_catb(sa, host, q == Q_PLUS ? len - 1 : len) && qualsuffix(sa, q, len, h) ;
}

int inject_address (stralloc *sa, addrlist_t const *al, addrlist_addr_t const *a, inject_hosts_t const *h)
{
  char const *s = addrlist_textof(al, a) ;
  size_t dlen = a->textlen - a->domain ;
  enum qual_e q = qualkind(s + a->domain, dlen, a->hasat) ;
  if (a->angle && !a->textlen) return stralloc_0(sa) ;
  return stralloc_catb(sa, s, q == Q_PLUS ? a->textlen - 1 : a->textlen)
    && qualsuffix(sa, q, dlen, h) && stralloc_0(sa) ;
}

/* Append s[*pos..to) and move *pos to `to`. */
static int copyto (stralloc *sa, char const *s, size_t *pos, size_t to)
{
  int r = stralloc_catb(sa, s + *pos, to - *pos) ;
  *pos = to ;
  return r ;
}

static int rewriteone (stralloc *sa, char const *s, size_t *pos, addrlist_t const *al, addrlist_addr_t const *a, inject_hosts_t const *h)
{
  char const *text = addrlist_textof(al, a) ;
  size_t dlen = a->textlen - a->domain ;
  enum qual_e q = qualkind(text + a->domain, dlen, a->hasat) ;
  if (a->comma != ADDRLIST_NOCOMMA && !(copyto(sa, s, pos, a->comma) && stralloc_catb(sa, ",", 1))) return 0 ;
  if (!copyto(sa, s, pos, a->routestart)) return 0 ;
  *pos = a->routeend ;
  if (a->angle && !a->textlen) return 1 ;
  /* a '+' that is not the last byte of the field text (a quoted domain) is left alone */
  if (q == Q_PLUS && s[a->end - 1] != '+') q = Q_KEEP ;
  /* an empty host may still be written as empty quoted strings: they make way for defaulthost */
  if (!copyto(sa, s, pos, q == Q_PLUS ? a->end - 1 : q == Q_ADDHOST ? a->at : a->end)) return 0 ;
  *pos = a->end ;
  return qualsuffix(sa, q, dlen, h) ;
}

int inject_rewrite (stralloc *sa, char const *s, size_t len, addrlist_t const *al, inject_hosts_t const *h)
{
  size_t pos = 0, start = sa->len ;
  for (size_t i = 0 ; i < addrlist_n(al) ; i++)
    if (!rewriteone(sa, s, &pos, al, addrlist_get(al, i), h)) goto err ;
  if (!copyto(sa, s, &pos, len)) goto err ;
  return 1 ;
 err:
  sa->len = start ;
  return 0 ;
}

/* The addresses of a parsed field into the lists its kind feeds. */
static int collect (inject_t *ij, unsigned int kind)
{
  for (size_t i = 0 ; i < addrlist_n(&ij->al) ; i++)
  {
    addrlist_addr_t const *a = addrlist_get(&ij->al, i) ;
    int null = a->angle && !a->textlen ;
    if (kind & K_RETPATH && !(ij->seen & INJECT_SEEN_RETURNPATH))
    {
      ij->returnpath.len = 0 ;
      if (!inject_address(&ij->returnpath, &ij->al, a, &ij->hosts)) return 0 ;
      ij->seen |= INJECT_SEEN_RETURNPATH ;
    }
    if (null) continue ;
    if (kind & K_RCPT && !inject_address(&ij->rcpts, &ij->al, a, &ij->hosts)) return 0 ;
    if (kind & K_RRCPT && !inject_address(&ij->resentrcpts, &ij->al, a, &ij->hosts)) return 0 ;
    if (kind & K_TOCC && !inject_address(&ij->tocc, &ij->al, a, &ij->hosts)) return 0 ;
  }
  return 1 ;
}

/* Append a field kept as it is, with a newline if it had none (the last line of the input). */
static int catfield (stralloc *sa, char const *f, size_t len)
{
  return stralloc_catb(sa, f, len) && (len && f[len - 1] == '\n' ? 1 : stralloc_catb(sa, "\n", 1)) ;
}

int inject_field (inject_t *ij, char const *f, size_t len)
{
  size_t namelen = inject_fieldname(f, len), colon = namelen, end = len ;
  fieldkind_t const *fk = namelen ? fieldkind(f, namelen) : 0 ;
  unsigned int kind = fk ? fk->kind : 0 ;
  int r ;
  if (fk && fk->seen == INJECT_SEEN_FROM && ij->flags & INJECT_DELFROM) kind |= K_DELETE ;
  else if (fk && fk->seen == INJECT_SEEN_MSGID && ij->flags & INJECT_DELMSGID) kind |= K_DELETE ;
  else if (fk) ij->seen |= fk->seen ;
  if (!(kind & K_ADDR)) return kind & K_DELETE ? 1 : catfield(&ij->header, f, len) ;
  while (f[colon] != ':') colon++ ;
  if (end && f[end - 1] == '\n')
  {
    end-- ;
    if (end > colon + 1 && f[end - 1] == '\r') end-- ;
  }
  r = addrlist_parse(&ij->al, f + colon + 1, end - colon - 1) ;
  if (r) return r == ADDRLIST_ENOMEM ? 0 : r ;
  if (!collect(ij, kind)) return 0 ;
  if (kind & K_DELETE) return 1 ;
  if (!stralloc_catb(&ij->header, f, colon + 1)
   || !inject_rewrite(&ij->header, f + colon + 1, end - colon - 1, &ij->al, &ij->hosts)) return 0 ;
  return end < len ? stralloc_catb(&ij->header, f + end, len - end) : stralloc_catb(&ij->header, "\n", 1) ;
}

void inject_free (inject_t *ij)
{
  stralloc_free(&ij->header) ;
  stralloc_free(&ij->rcpts) ;
  stralloc_free(&ij->resentrcpts) ;
  stralloc_free(&ij->tocc) ;
  stralloc_free(&ij->returnpath) ;
  addrlist_free(&ij->al) ;
}

int inject_datefield (stralloc *sa, char const *name, time_t t)
{
  char buf[DATE822_FMT] ;
  size_t n = date822_fmt_local(buf, t) ;
  if (!n) return 0 ;
  return stralloc_cats(sa, name) && stralloc_catb(sa, ": ", 2) && stralloc_catb(sa, buf, n) && stralloc_catb(sa, "\n", 1) ;
}

int inject_msgidfield (stralloc *sa, char const *name, time_t t, pid_t pid, char const *unique, char const *idhost)
{
  char fmt[ULONG_FMT] ;
  return stralloc_cats(sa, name) && stralloc_catb(sa, ": <", 3)
    && stralloc_catb(sa, fmt, ulong_fmt(fmt, (unsigned long)t)) && stralloc_catb(sa, ".", 1)
    && stralloc_catb(sa, fmt, ulong_fmt(fmt, (unsigned long)pid)) && stralloc_catb(sa, ".", 1)
    && stralloc_cats(sa, unique) && stralloc_catb(sa, "@", 1) && stralloc_cats(sa, idhost)
    && stralloc_catb(sa, ">\n", 2) ;
}

static int isatext (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
    || (c && strchr("!#$%&'*+-/=?^_`{|}~", c)) ;
}

/* A personal name as a phrase, bare when it is atoms and single blanks, else quoted. Control
   characters (a newline would start a new field) become blanks. */
static int catphrase (stralloc *sa, char const *name, int comment)
{
  size_t n = strlen(name), i ;
  int bare = !comment && n && name[0] != ' ' && name[n - 1] != ' ' ;
  for (i = 0 ; bare && i < n ; i++)
    if (!isatext(name[i]) && !(name[i] == ' ' && name[i + 1] != ' ')) bare = 0 ;
  if (!bare && !stralloc_catb(sa, comment ? "(" : "\"", 1)) return 0 ;
  for (i = 0 ; i < n ; i++)
  {
    unsigned char c = name[i] ;
    int esc = !bare && (c == '\\' || (comment ? c == '(' || c == ')' : c == '"')) ;
    if (c < ' ' || c == 127) c = ' ' ;
    if ((esc && !stralloc_catb(sa, "\\", 1)) || !stralloc_catb(sa, (char *)&c, 1)) return 0 ;
  }
  return bare || stralloc_catb(sa, comment ? ")" : "\"", 1) ;
}

/* The wire form of an internal address; one no local part can carry is written as it is. */
static int cataddr (stralloc *sa, char const *addr)
{
  return address_quote(sa, addr, strlen(addr)) || (errno == EINVAL && stralloc_cats(sa, addr)) ;
}

int inject_fromfield (stralloc *sa, char const *name, char const *addr, char const *fullname, int commentstyle)
{
  int named = fullname && *fullname ;
  if (!stralloc_cats(sa, name) || !stralloc_catb(sa, ": ", 2)) return 0 ;
  if (named && !commentstyle && !(catphrase(sa, fullname, 0) && stralloc_catb(sa, " <", 2))) return 0 ;
  if (!cataddr(sa, addr)) return 0 ;
  if (named && !commentstyle && !stralloc_catb(sa, ">", 1)) return 0 ;
  if (named && commentstyle && !(stralloc_catb(sa, " ", 1) && catphrase(sa, fullname, 1))) return 0 ;
  return stralloc_catb(sa, "\n", 1) ;
}

int inject_listfield (stralloc *sa, char const *name, char const *list, size_t len)
{
  size_t col = strlen(name) + 1, i = 0 ;
  if (!stralloc_cats(sa, name) || !stralloc_catb(sa, ":", 1)) return 0 ;
  while (i < len)
  {
    size_t start = sa->len, n ;
    int last = i + strlen(list + i) + 1 >= len ;
    if (!stralloc_catb(sa, " ", 1) || !cataddr(sa, list + i) || (!last && !stralloc_catb(sa, ",", 1))) return 0 ;
    n = sa->len - start ;
    if (col + n > 78 && col > strlen(name) + 1)
    {
      if (!stralloc_insertb(sa, start, "\n", 1)) return 0 ;
      col = 0 ;
    }
    col += n ;
    i += strlen(list + i) + 1 ;
  }
  return stralloc_catb(sa, "\n", 1) ;
}

int inject_inlist (char const *list, size_t len, char const *addr)
{
  for (size_t i = 0 ; i < len ; i += strlen(list + i) + 1)
    if (!strcasecmp(list + i, addr)) return 1 ;
  return 0 ;
}

static int samercpt (char const *a, char const *b)
{
  char const *da, *db ;
  size_t dalen, dblen, alen = strlen(a), blen = strlen(b) ;
  size_t la = address_split(a, alen, &da, &dalen), lb = address_split(b, blen, &db, &dblen) ;
  return la == lb && !memcmp(a, b, la) && !da == !db && (!da || address_domainequal(da, dalen, db, dblen)) ;
}

/* FNV-1a of the local part as is and the domain in lower case */
static size_t rcpthash (char const *addr)
{
  char const *d ;
  size_t dlen, len = strlen(addr), llen = address_split(addr, len, &d, &dlen) ;
  size_t h = 2166136261u ;
  for (size_t i = 0 ; i < len ; i++)
  {
    unsigned char c = addr[i] ;
    if (i > llen && c >= 'A' && c <= 'Z') c += 32 ;
    h = (h ^ c) * 16777619u ;
  }
  return h ;
}

static size_t *rcptslot (inject_rcpts_t const *r, char const *addr)
{
  size_t i = rcpthash(addr) & (r->cap - 1) ;
  while (r->slots[i] && !samercpt(r->list.s + r->slots[i] - 1, addr)) i = (i + 1) & (r->cap - 1) ;
  return r->slots + i ;
}

static int rcptgrow (inject_rcpts_t *r)
{
  inject_rcpts_t bigger = *r ;
  bigger.cap = r->cap ? r->cap * 2 : 64 ;
  bigger.slots = calloc(bigger.cap, sizeof *bigger.slots) ;
  if (!bigger.slots) return 0 ;
  for (size_t i = 0 ; i < r->cap ; i++)
    if (r->slots[i]) *rcptslot(&bigger, r->list.s + r->slots[i] - 1) = r->slots[i] ;
  free(r->slots) ;
  *r = bigger ;
  return 1 ;
}

int inject_rcpts_add (inject_rcpts_t *r, char const *addr)
{
  size_t *slot ;
  if (2 * (r->n + 1) > r->cap && !rcptgrow(r)) return 0 ;
  slot = rcptslot(r, addr) ;
  if (*slot) return 2 ;
  *slot = r->list.len + 1 ;
  if (!stralloc_catb(&r->list, addr, strlen(addr) + 1)) return (*slot = 0) ;
  r->n++ ;
  return 1 ;
}

void inject_rcpts_free (inject_rcpts_t *r)
{
  stralloc_free(&r->list) ;
  free(r->slots) ;
  r->slots = 0 ;
  r->cap = r->n = 0 ;
}

int inject_verp (stralloc *sa, char const *sender, int m, int r, time_t t, pid_t pid)
{
  char const *d ;
  size_t dlen, len = strlen(sender), llen = address_split(sender, len, &d, &dlen) ;
  char fmt[ULONG_FMT] ;
  if (!len) return stralloc_0(sa) ;
  if (!stralloc_catb(sa, sender, llen)) return 0 ;
  if (m && !(stralloc_catb(sa, "-", 1) && stralloc_catb(sa, fmt, ulong_fmt(fmt, (unsigned long)t))
             && stralloc_catb(sa, ".", 1) && stralloc_catb(sa, fmt, ulong_fmt(fmt, (unsigned long)pid)))) return 0 ;
  if (r && !stralloc_catb(sa, "-", 1)) return 0 ;
  if (d && !(stralloc_catb(sa, "@", 1) && stralloc_catb(sa, d, dlen))) return 0 ;
  if (r && !stralloc_cats(sa, "-@[]")) return 0 ;
  return stralloc_0(sa) ;
}
