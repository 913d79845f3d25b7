/* addrlist.c: tokenize an address-list field body, then walk the tokens as qmail-header(5)
   reads them. Comments are dropped by the tokenizer: they never separate or join words. */
#include <errno.h>
#include <string.h>
#include <skalibs/genalloc.h>
#include <skalibs/stralloc.h>
#include "addrlist.h"

typedef struct token_s token_t ;
struct token_s
{
  size_t start, end ;
  char type ;   /* 'a' atom, 'q' quoted string, 'l' domain literal, or the special character */
} ;

/* A NUL separates like a blank: an internal address never holds one (envelopes end records
   with NUL). */
static int isblank_ (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || !c ;
}

/* RFC 5322 specials that end an atom; the stray closers ')' ']' and '\' count as atom text */
static int isspecial (char c)
{
  switch (c)
  {
    case '(' : case '<' : case '>' : case '@' : case ',' : case ';' : case ':' : case '.' :
    case '"' : case '[' :
      return 1 ;
    default :
      return 0 ;
  }
}

static int isword (token_t const *t)
{
  return t->type == 'a' || t->type == 'q' || t->type == 'l' ;
}

/* Index just past the delimited run that opens at s[i] and closes with `close`, quoted-pairs
   honoured; comments nest. 0 when the input ends first. */
static size_t skipdelimited (char const *s, size_t len, size_t i, char close)
{
  unsigned int depth = 1 ;
  char open = s[i++] ;
  for (; i < len ; i++)
  {
    if (s[i] == '\\') { i++ ; continue ; }
    if (s[i] == close && !--depth) return i + 1 ;
    if (open == '(' && s[i] == '(') depth++ ;
  }
  return 0 ;
}

static int tokenize (genalloc *tokens, char const *s, size_t len)
{
  size_t i = 0 ;
  genalloc_setlen(token_t, tokens, 0) ;
  while (i < len)
  {
    token_t t = { .start = i, .end = i + 1, .type = s[i] } ;
    if (isblank_(s[i])) { i++ ; continue ; }
    if (s[i] == '(')
    {
      i = skipdelimited(s, len, i, ')') ;
      if (!i) return ADDRLIST_ECOMMENT ;
      continue ;
    }
    if (s[i] == '"' || s[i] == '[')
    {
      t.end = skipdelimited(s, len, i, s[i] == '"' ? '"' : ']') ;
      if (!t.end) return s[i] == '"' ? ADDRLIST_EQUOTE : ADDRLIST_ELITERAL ;
      t.type = s[i] == '"' ? 'q' : 'l' ;
    }
    else if (!isspecial(s[i]))
    {
      while (t.end < len && !isblank_(s[t.end]) && !isspecial(s[t.end])) t.end++ ;
      t.type = 'a' ;
    }
    if (!genalloc_append(token_t, tokens, &t)) return ADDRLIST_ENOMEM ;
    i = t.end ;
  }
  return ADDRLIST_OK ;
}

/* The walk over the tokens: sep says whether a separator came since the last address. */
typedef struct walk_s walk_t ;
struct walk_s
{
  addrlist_t *al ;
  char const *s ;
  token_t const *t ;
  size_t n ;
  size_t lastend ;
  int sep ;
  int ingroup ;
} ;

static int unquote (stralloc *sa, char const *s, size_t len)
{
  for (size_t i = 1 ; i + 1 < len ; i++)
  {
    if (s[i] == '\\' && i + 2 < len) i++ ;
    if (!stralloc_catb(sa, s + i, 1)) return 0 ;
  }
  return 1 ;
}

/* Record the address made of tokens [first, last); spanend is where a later missing comma goes. */
static int addaddr (walk_t *w, size_t first, size_t last, size_t spanend, addrlist_addr_t *a)
{
  stralloc *text = &w->al->text ;
  a->text = text->len ;
  a->domain = (size_t)-1 ;
  a->comma = w->sep || !genalloc_len(addrlist_addr_t, &w->al->addrs) ? ADDRLIST_NOCOMMA : w->lastend ;
  a->group = !!w->ingroup ;
  a->hasat = 0 ;
  a->at = a->end ;
  for (size_t i = first ; i < last ; i++)
  {
    token_t const *t = w->t + i ;
    int r = t->type == 'q' ? unquote(text, w->s + t->start, t->end - t->start)
                           : stralloc_catb(text, w->s + t->start, t->end - t->start) ;
    if (!r) return ADDRLIST_ENOMEM ;
    if (t->type == '@') { a->hasat = 1 ; a->domain = text->len - a->text ; a->at = t->end ; }
  }
  a->textlen = text->len - a->text ;
  if (!a->hasat) a->domain = a->textlen ;
  if (!stralloc_0(text)) return ADDRLIST_ENOMEM ;
  if (!genalloc_append(addrlist_addr_t, &w->al->addrs, a)) return ADDRLIST_ENOMEM ;
  w->sep = 0 ;
  w->lastend = spanend ;
  return ADDRLIST_OK ;
}

/* "phrase <route:addr>" with the '<' at token lt; *next gets the token after the '>'. */
static int angleaddr (walk_t *w, size_t lt, size_t *next)
{
  addrlist_addr_t a ;
  size_t gt = lt + 1, first = lt + 1 ;
  for (; gt < w->n && w->t[gt].type != '>' ; gt++)
  {
    if (w->t[gt].type == '<') return ADDRLIST_EANGLE ;
    if (w->t[gt].type == ':') first = gt + 1 ;
  }
  if (gt == w->n) return ADDRLIST_EANGLE ;
  a.routestart = w->t[lt].end ;
  a.routeend = first > lt + 1 ? w->t[first - 1].end : a.routestart ;
  a.start = first < gt ? w->t[first].start : a.routeend ;
  a.end = first < gt ? w->t[gt - 1].end : a.start ;
  a.angle = 1 ;
  *next = gt + 1 ;
  return addaddr(w, first, gt, w->t[gt].end, &a) ;
}

/* Tokens [i, j) hold bare addr-specs: a word right after a word starts a new address. */
static int bareaddrs (walk_t *w, size_t i, size_t j)
{
  size_t first = i ;
  for (size_t m = i + 1 ; m <= j ; m++)
  {
    int hasword = 0 ;
    addrlist_addr_t a ;
    if (m < j && !(isword(w->t + m) && isword(w->t + m - 1))) continue ;
    for (size_t k = first ; k < m ; k++) if (isword(w->t + k)) hasword = 1 ;
    if (hasword)
    {
      int r ;
      a.start = w->t[first].start ;
      a.end = w->t[m - 1].end ;
      a.routestart = a.routeend = a.start ;
      a.angle = 0 ;
      r = addaddr(w, first, m, a.end, &a) ;
      if (r) return r ;
    }
    first = m ;
  }
  return ADDRLIST_OK ;
}

static int walk (walk_t *w)
{
  size_t i = 0 ;
  while (i < w->n)
  {
    size_t j = i ;
    int r ;
    char c = w->t[i].type ;
    if (c == ',' || c == ';')
    {
      if (c == ';') w->ingroup = 0 ;
      w->sep = 1 ;
      i++ ;
      continue ;
    }
    while (j < w->n && !strchr(",;:<>", w->t[j].type)) j++ ;
    c = j < w->n ? w->t[j].type : 0 ;
    if (c == '>') return ADDRLIST_EANGLE ;
    if (c == ':')
    {
      w->ingroup = 1 ;
      w->sep = 1 ;
      i = j + 1 ;
      continue ;
    }
    r = c == '<' ? angleaddr(w, j, &i) : bareaddrs(w, i, j) ;
    if (r) return r ;
    if (c != '<') i = j ;
  }
  return ADDRLIST_OK ;
}

int addrlist_parse (addrlist_t *al, char const *s, size_t len)
{
  walk_t w = { .al = al, .s = s, .sep = 1 } ;
  int r ;
  genalloc_setlen(addrlist_addr_t, &al->addrs, 0) ;
  al->text.len = 0 ;
  r = tokenize(&al->tokens, s, len) ;
  if (!r)
  {
    w.t = genalloc_s(token_t, &al->tokens) ;
    w.n = genalloc_len(token_t, &al->tokens) ;
    r = walk(&w) ;
  }
  if (r)
  {
    genalloc_setlen(addrlist_addr_t, &al->addrs, 0) ;
    al->text.len = 0 ;
    if (r != ADDRLIST_ENOMEM) errno = EINVAL ;
  }
  return r ;
}

void addrlist_free (addrlist_t *al)
{
  genalloc_free(addrlist_addr_t, &al->addrs) ;
  stralloc_free(&al->text) ;
  genalloc_free(token_t, &al->tokens) ;
}

char const *addrlist_errstr (int e)
{
  switch (e)
  {
    case ADDRLIST_OK : return "ok" ;
    case ADDRLIST_ENOMEM : return "out of memory" ;
    case ADDRLIST_ECOMMENT : return "unterminated comment" ;
    case ADDRLIST_EQUOTE : return "unterminated quoted string" ;
    case ADDRLIST_ELITERAL : return "unterminated domain literal" ;
    case ADDRLIST_EANGLE : return "unbalanced angle brackets" ;
    default : return "unknown error" ;
  }
}
