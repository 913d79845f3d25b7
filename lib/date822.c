/* date822.c: format and parse RFC 5322 date-time. Calendar arithmetic is done here (days from
   a civil date, proleptic Gregorian) so that neither the formatter's zone offset nor the
   parser needs timegm(), which POSIX 2008 lacks; localtime_r() is the only use of TZ. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <skalibs/types.h>
#include "date822.h"

static char const date822_days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" } ;
static char const date822_months[12][4] =
  { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" } ;

/* Days from 1970-01-01 to y-m-d (m 1..12), any day of the proleptic Gregorian calendar. */
static int64_t date822_days_from_civil (int64_t y, unsigned int m, unsigned int d)
{
  int64_t era, yoe, doy ;
  if (m <= 2) y-- ;
  era = (y >= 0 ? y : y - 399) / 400 ;
  yoe = y - era * 400 ;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1 ;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468 ;
}

static unsigned int date822_mdays (unsigned int y, unsigned int m)
{
  static unsigned char const mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 } ;
  return m == 2 && y % 4 == 0 && (y % 100 || y % 400 == 0) ? 29 : mdays[m - 1] ;
}

static size_t date822_hms (char *s, struct tm const *tm)
{
  uint0_fmt(s, tm->tm_hour, 2) ;
  s[2] = ':' ;
  uint0_fmt(s + 3, tm->tm_min, 2) ;
  s[5] = ':' ;
  uint0_fmt(s + 6, tm->tm_sec, 2) ;
  return 8 ;
}

static int date822_inrange (struct tm const *tm)
{
  return tm->tm_year >= 0 && tm->tm_year <= 9999 - 1900 ;
}

/* "Sat, 21 Nov 2026 06:40:00 +0000"; off in minutes east of UTC */
static size_t date822_fmt_tm (char *s, struct tm const *tm, long off)
{
  size_t n = 0 ;
  memcpy(s, date822_days[tm->tm_wday], 3) ;
  s[3] = ',' ; s[4] = ' ' ;
  n = 5 + uint_fmt(s + 5, tm->tm_mday) ;
  s[n++] = ' ' ;
  memcpy(s + n, date822_months[tm->tm_mon], 3) ;
  n += 3 ;
  s[n++] = ' ' ;
  n += uint0_fmt(s + n, tm->tm_year + 1900, 4) ;
  s[n++] = ' ' ;
  n += date822_hms(s + n, tm) ;
  s[n++] = ' ' ;
  s[n++] = off < 0 ? '-' : '+' ;
  if (off < 0) off = -off ;
  uint0_fmt(s + n, off / 60, 2) ;
  uint0_fmt(s + n + 2, off % 60, 2) ;
  return n + 4 ;
}

size_t date822_fmt (char *s, time_t t)
{
  struct tm tm ;
  if (!gmtime_r(&t, &tm) || !date822_inrange(&tm)) return (errno = EOVERFLOW, 0) ;
  return date822_fmt_tm(s, &tm, 0) ;
}

size_t date822_fmt_local (char *s, time_t t)
{
  struct tm tm ;
  int64_t local, off ;
  tzset() ;  /* localtime_r need not notice a changed TZ otherwise */
  if (!localtime_r(&t, &tm) || !date822_inrange(&tm)) return (errno = EOVERFLOW, 0) ;
  local = date822_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400
        + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec ;
  off = local - (int64_t)t ;
  if (off % 60) return date822_fmt(s, t) ;
  return date822_fmt_tm(s, &tm, (long)(off / 60)) ;
}

size_t date822_fmt_ctime (char *s, time_t t)
{
  struct tm tm ;
  if (!gmtime_r(&t, &tm) || !date822_inrange(&tm)) return (errno = EOVERFLOW, 0) ;
  memcpy(s, date822_days[tm.tm_wday], 3) ;
  s[3] = ' ' ;
  memcpy(s + 4, date822_months[tm.tm_mon], 3) ;
  s[7] = ' ' ;
  s[8] = tm.tm_mday < 10 ? ' ' : '0' + tm.tm_mday / 10 ;
  s[9] = '0' + tm.tm_mday % 10 ;
  s[10] = ' ' ;
  date822_hms(s + 11, &tm) ;
  s[19] = ' ' ;
  uint0_fmt(s + 20, tm.tm_year + 1900, 4) ;
  return 24 ;
}


 /* Parsing: a cursor over s[0..len), with CFWS skipped between tokens. */

typedef struct date822_in_s date822_in_t ;
struct date822_in_s
{
  char const *s ;
  size_t len ;
  size_t i ;
} ;

/* Skip blanks, line breaks and (nested (comments)) with \-quoted pairs; 0 if one is open. */
static int date822_cfws (date822_in_t *in)
{
  unsigned int depth = 0 ;
  for (; in->i < in->len ; in->i++)
  {
    char c = in->s[in->i] ;
    if (c == '(') depth++ ;
    else if (depth && c == ')') depth-- ;
    else if (depth && c == '\\' && in->i + 1 < in->len) in->i++ ;
    else if (!depth && c != ' ' && c != '\t' && c != '\r' && c != '\n') break ;
  }
  return !depth ;
}

/* A run of digits, then CFWS; its length (0 if none, or if longer than max) and value in *v. */
static size_t date822_number (date822_in_t *in, size_t max, unsigned int *v)
{
  size_t n = 0 ;
  *v = 0 ;
  while (in->i < in->len && in->s[in->i] >= '0' && in->s[in->i] <= '9')
  {
    if (++n > max) return 0 ;
    *v = *v * 10 + (in->s[in->i++] - '0') ;
  }
  return n && date822_cfws(in) ? n : 0 ;
}

static int date822_isalpha (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ;
}

/* A run of letters, then CFWS: its index in the table of 3-letter names, or -1. */
static int date822_name (date822_in_t *in, char const (*table)[4], unsigned int n)
{
  size_t start = in->i ;
  while (in->i < in->len && date822_isalpha(in->s[in->i])) in->i++ ;
  if (in->i - start != 3 || !date822_cfws(in)) return -1 ;
  for (unsigned int k = 0 ; k < n ; k++)
  {
    unsigned int j = 0 ;
    while (j < 3 && (in->s[start + j] | 0x20) == (table[k][j] | 0x20)) j++ ;
    if (j == 3) return k ;
  }
  return -1 ;
}

static int date822_char (date822_in_t *in, char c)
{
  if (in->i >= in->len || in->s[in->i] != c) return 0 ;
  in->i++ ;
  return date822_cfws(in) ;
}

/* The zone, in minutes east of UTC. */
static int date822_zone (date822_in_t *in, long *off)
{
  static char const names[][4] =
  {
    "UT", "GMT", "UTC", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"
  } ;
  static signed char const hours[] = { 0, 0, 0, -5, -4, -6, -5, -7, -6, -8, -7 } ;
  char c = in->i < in->len ? in->s[in->i] : 0 ;
  size_t start = in->i, n ;
  unsigned int v ;
  if (c == '+' || c == '-')
  {
    in->i++ ;
    if (date822_number(in, 4, &v) != 4 || v % 100 > 59) return 0 ;
    *off = (long)(v / 100 * 60 + v % 100) * (c == '-' ? -1 : 1) ;
    return 1 ;
  }
  while (in->i < in->len && date822_isalpha(in->s[in->i])) in->i++ ;
  n = in->i - start ;
  if (!date822_cfws(in)) return 0 ;
  if (n == 1 && (c | 0x20) != 'j')  /* military: -0000 */
  {
    *off = 0 ;
    return 1 ;
  }
  for (unsigned int k = 0 ; k < sizeof hours ; k++)
  {
    size_t j = 0 ;
    if (strlen(names[k]) != n) continue ;
    while (j < n && (in->s[start + j] | 0x20) == (names[k][j] | 0x20)) j++ ;
    if (j == n)
    {
      *off = hours[k] * 60L ;
      return 1 ;
    }
  }
  return 0 ;
}

/* year digits to a full year: 2 digits 00-49 -> 20xx, 50-99 -> 19xx, 3 digits +1900 */
static unsigned int date822_year (unsigned int v, size_t digits)
{
  return digits == 2 ? v + (v < 50 ? 2000 : 1900) : digits == 3 ? v + 1900 : v ;
}

int date822_scan (char const *s, size_t len, time_t *t)
{
  date822_in_t in = { .s = s, .len = len, .i = 0 } ;
  unsigned int day, year, hour, min, sec = 0 ;
  size_t yd ;
  int mon ;
  long off ;
  int64_t v ;
  if (!date822_cfws(&in)) goto bad ;
  if (in.i < len && date822_isalpha(s[in.i]))
    if (date822_name(&in, date822_days, 7) < 0 || !date822_char(&in, ',')) goto bad ;
  if (!date822_number(&in, 2, &day)) goto bad ;
  mon = date822_name(&in, date822_months, 12) ;
  if (mon < 0) goto bad ;
  yd = date822_number(&in, 4, &year) ;
  if (yd < 2) goto bad ;
  year = date822_year(year, yd) ;
  if (year < 1900 || !day || day > date822_mdays(year, mon + 1)) goto bad ;
  if (!date822_number(&in, 2, &hour) || !date822_char(&in, ':')
   || date822_number(&in, 2, &min) != 2) goto bad ;
  if (in.i < len && s[in.i] == ':')
    if (!date822_char(&in, ':') || date822_number(&in, 2, &sec) != 2) goto bad ;
  if (hour > 23 || min > 59 || sec > 60) goto bad ;
  if (!date822_zone(&in, &off) || in.i != len) goto bad ;
  v = date822_days_from_civil(year, mon + 1, day) * 86400 + hour * 3600 + min * 60 + sec - off * 60 ;
  if ((int64_t)(time_t)v != v) goto bad ;
  *t = (time_t)v ;
  return 1 ;
 bad:
  errno = EINVAL ;
  return 0 ;
}
