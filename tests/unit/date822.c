/* Unit tests of lib/date822.c: exact strings for fixed times in UTC, ctime and local forms
   (TZ set with setenv and tzset; zoneinfo zones skipped if missing), the range limits, format
   to parse round trips, obsolete forms, leap years and refused garbage. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "date822.h"
#include "../tap.h"

#define T_NOV21 ((time_t)1795243200)   /* Sat, 21 Nov 2026 06:40:00 +0000 */

static void fmt_is (size_t (*f)(char *, time_t), time_t t, char const *want, char const *name)
{
  char buf[DATE822_FMT] ;
  size_t n = (*f)(buf, t) ;
  is_mem(buf, n, want, name) ;
}

static void scan_is (char const *s, time_t want, char const *name)
{
  time_t t = 0 ;
  ok(date822_scan(s, strlen(s), &t) && t == want, name) ;
  if (t != want) printf("#   got %lld, want %lld\n", (long long)t, (long long)want) ;
}

static void refused (char const *s, char const *name)
{
  time_t t = 12345 ;
  errno = 0 ;
  ok(!date822_scan(s, strlen(s), &t) && errno == EINVAL && t == 12345, name) ;
}

static int settz (char const *tz)
{
  if (tz[0] != '<' && strchr(tz, '/'))
  {
    char path[256] = "/usr/share/zoneinfo/" ;
    strcat(path, tz) ;
    if (access(path, R_OK) == -1) return 0 ;
  }
  setenv("TZ", tz, 1) ;
  tzset() ;
  return 1 ;
}

static void utc (void)
{
  char buf[DATE822_FMT] ;
  fmt_is(&date822_fmt, T_NOV21, "Sat, 21 Nov 2026 06:40:00 +0000", "the example date") ;
  fmt_is(&date822_fmt, 0, "Thu, 1 Jan 1970 00:00:00 +0000", "the epoch, day without leading zero") ;
  fmt_is(&date822_fmt, 1793515200, "Sun, 1 Nov 2026 06:40:00 +0000", "single-digit day") ;
  fmt_is(&date822_fmt, 1709208000, "Thu, 29 Feb 2024 12:00:00 +0000", "leap day 2024") ;
  fmt_is(&date822_fmt, 951782400, "Tue, 29 Feb 2000 00:00:00 +0000", "leap day 2000") ;
  fmt_is(&date822_fmt, 951868800, "Wed, 1 Mar 2000 00:00:00 +0000", "the day after") ;
  fmt_is(&date822_fmt, -1, "Wed, 31 Dec 1969 23:59:59 +0000", "one second before the epoch") ;
  fmt_is(&date822_fmt, -2208988800LL, "Mon, 1 Jan 1900 00:00:00 +0000", "first second of 1900") ;
  fmt_is(&date822_fmt, 253402300799LL, "Fri, 31 Dec 9999 23:59:59 +0000", "last second of 9999") ;
  errno = 0 ;
  ok(!date822_fmt(buf, -2208988801LL) && errno == EOVERFLOW, "before 1900 refused") ;
  ok(!date822_fmt(buf, 253402300800LL), "after 9999 refused") ;
  ok(!date822_fmt_ctime(buf, 253402300800LL), "ctime after 9999 refused") ;
  ok(date822_fmt(buf, 4102444800LL + 86400 * 20) == 31, "longest form is 31 bytes") ;

  fmt_is(&date822_fmt_ctime, T_NOV21, "Sat Nov 21 06:40:00 2026", "ctime form") ;
  fmt_is(&date822_fmt_ctime, 1793515200, "Sun Nov  1 06:40:00 2026", "ctime pads the day with a blank") ;
  fmt_is(&date822_fmt_ctime, 0, "Thu Jan  1 00:00:00 1970", "ctime of the epoch") ;
  {
    unsigned int same = 0, n = 0 ;
    for (long long t = -2208988800LL ; t < 253402300799LL ; t += 86400LL * 97 + 3607, n++)
    {
      time_t tt = t ;
      struct tm tm ;
      char want[32] ;
      if (!gmtime_r(&tt, &tm) || !asctime_r(&tm, want)) break ;
      if (date822_fmt_ctime(buf, tt) == 24 && !memcmp(buf, want, 24) && want[24] == '\n') same++ ;
    }
    ok(n > 30000 && same == n, "ctime form equals asctime_r for dates from 1900 to 9999") ;
  }
}

static void local_is (char const *tz, time_t t, char const *want, char const *name)
{
  char buf[DATE822_FMT] ;
  size_t n ;
  time_t back = 0 ;
  if (!settz(tz))
  {
    printf("ok %u - # SKIP no zoneinfo for %s\n", ++tap_n, tz) ;
    return ;
  }
  n = date822_fmt_local(buf, t) ;
  is_mem(buf, n, want, name) ;
  ok(date822_scan(buf, n, &back) && back == t, "local date parses back to the same time") ;
}

static void local (void)
{
  local_is("UTC", T_NOV21, "Sat, 21 Nov 2026 06:40:00 +0000", "TZ=UTC") ;
  local_is("UTC0", T_NOV21, "Sat, 21 Nov 2026 06:40:00 +0000", "TZ=UTC0 (POSIX form)") ;
  local_is("EST5EDT,M3.2.0,M11.1.0", T_NOV21, "Sat, 21 Nov 2026 01:40:00 -0500", "POSIX rule, winter") ;
  local_is("EST5EDT,M3.2.0,M11.1.0", 1783180800, "Sat, 4 Jul 2026 12:00:00 -0400", "POSIX rule, summer") ;
  local_is("<+0530>-5:30", T_NOV21, "Sat, 21 Nov 2026 12:10:00 +0530", "half-hour zone east") ;
  local_is("<-0330>3:30", T_NOV21, "Sat, 21 Nov 2026 03:10:00 -0330", "half-hour zone west") ;
  local_is("<-12>12", T_NOV21, "Fri, 20 Nov 2026 18:40:00 -1200", "the day before") ;
  local_is("<+14>-14", T_NOV21, "Sat, 21 Nov 2026 20:40:00 +1400", "the largest offset") ;
  local_is("America/New_York", T_NOV21, "Sat, 21 Nov 2026 01:40:00 -0500", "New York, winter") ;
  local_is("America/New_York", 1783180800, "Sat, 4 Jul 2026 12:00:00 -0400", "New York, summer") ;
  local_is("America/New_York", 1772953199, "Sun, 8 Mar 2026 01:59:59 -0500", "New York, last second of EST") ;
  local_is("America/New_York", 1772953200, "Sun, 8 Mar 2026 03:00:00 -0400", "New York, first second of EDT") ;
  local_is("America/St_Johns", T_NOV21, "Sat, 21 Nov 2026 03:10:00 -0330", "St. John's") ;
  local_is("Asia/Kathmandu", T_NOV21, "Sat, 21 Nov 2026 12:25:00 +0545", "Kathmandu") ;
  local_is("Africa/Monrovia", -302443200, "Wed, 1 Jun 1960 12:00:00 +0000", "a -0:44:30 offset falls back to UTC") ;
  if (settz("America/New_York"))
  {
    unsigned int good = 0, n = 0 ;
    for (long long t = -2208988800LL + 86400 ; t < 253402300799LL - 86400 ; t += 86400LL * 89 + 3593, n++)
    {
      char buf[DATE822_FMT] ;
      time_t back = 0 ;
      size_t len = date822_fmt_local(buf, (time_t)t) ;
      if (len && date822_scan(buf, len, &back) && back == t) good++ ;
    }
    ok(n > 30000 && good == n, "New York local dates round trip from 1900 to 9999") ;
  }
  settz("UTC") ;
}

static void roundtrip (void)
{
  unsigned int good = 0, n = 0 ;
  for (long long t = -2208988800LL ; t <= 253402300799LL ; t += 86400LL * 31 + 3601 * 7 + 13, n++)
  {
    char buf[DATE822_FMT] ;
    time_t back = 0 ;
    size_t len = date822_fmt(buf, (time_t)t) ;
    if (len && date822_scan(buf, len, &back) && back == t) good++ ;
  }
  ok(n > 90000 && good == n, "UTC dates round trip from 1900 to 9999") ;
  {
    char buf[DATE822_FMT] ;
    time_t back = 0 ;
    size_t len = date822_fmt(buf, 253402300799LL) ;
    ok(date822_scan(buf, len, &back) && back == 253402300799LL, "last second of 9999 round trips") ;
    len = date822_fmt(buf, -2208988800LL) ;
    ok(date822_scan(buf, len, &back) && back == -2208988800LL, "first second of 1900 round trips") ;
  }
}

static void obsolete (void)
{
  scan_is("Sat, 21 Nov 2026 06:40:00 +0000", T_NOV21, "the modern form") ;
  scan_is("21 Nov 2026 06:40:00 +0000", T_NOV21, "no day of week") ;
  scan_is("Sat, 21 Nov 2026 06:40 +0000", T_NOV21 - 0, "no seconds") ;
  scan_is("Sat, 21 Nov 26 06:40:00 GMT", T_NOV21, "two-digit year 26 is 2026, GMT") ;
  scan_is("Sat, 21 Nov 126 06:40:00 UT", T_NOV21, "three-digit year 126 is 2026, UT") ;
  scan_is("1 Jan 50 00:00:00 +0000", -631152000, "50 is 1950") ;
  scan_is("1 Jan 49 00:00:00 +0000", 2493072000LL, "49 is 2049") ;
  scan_is("1 Jan 00 00:00:00 +0000", 946684800, "00 is 2000") ;
  scan_is("1 Jan 99 00:00:00 +0000", 915148800, "99 is 1999") ;
  scan_is("Sat, 21 Nov 2026 01:40:00 EST", T_NOV21, "EST") ;
  scan_is("Sat, 21 Nov 2026 02:40:00 EDT", T_NOV21, "EDT") ;
  scan_is("Sat, 21 Nov 2026 00:40:00 CST", T_NOV21, "CST") ;
  scan_is("Sat, 21 Nov 2026 01:40:00 CDT", T_NOV21, "CDT") ;
  scan_is("Fri, 20 Nov 2026 23:40:00 MST", T_NOV21, "MST, the day before") ;
  scan_is("Sat, 21 Nov 2026 00:40:00 MDT", T_NOV21, "MDT") ;
  scan_is("Fri, 20 Nov 2026 22:40:00 PST", T_NOV21, "PST") ;
  scan_is("Fri, 20 Nov 2026 23:40:00 PDT", T_NOV21, "PDT") ;
  scan_is("Sat, 21 Nov 2026 06:40:00 UTC", T_NOV21, "UTC (not in the grammar, common)") ;
  scan_is("Sat, 21 Nov 2026 06:40:00 Z", T_NOV21, "military Z") ;
  scan_is("Sat, 21 Nov 2026 06:40:00 A", T_NOV21, "military A is -0000") ;
  scan_is("Sat, 21 Nov 2026 06:40:00 m", T_NOV21, "lowercase military") ;
  scan_is("Sat, 21 Nov 2026 06:40:00 -0000", T_NOV21, "-0000") ;
  scan_is("Sat, 21 Nov 2026 12:10:00 +0530", T_NOV21, "+0530") ;
  scan_is("Sat, 21 Nov 2026 03:10:00 -0330", T_NOV21, "-0330") ;
  scan_is("Sat, 21 Nov 2026 20:40:00 +1400", T_NOV21, "+1400") ;
  scan_is("sat, 21 NOV 2026 06:40:00 gmt", T_NOV21, "names are case-insensitive") ;
  scan_is("Sun, 1 Nov 2026 06:40:00 +0000", 1793515200, "single-digit day") ;
  scan_is("Sun, 01 Nov 2026 06:40:00 +0000", 1793515200, "zero-padded day") ;
  scan_is("Sat, 21 Nov 2026 6:40:00 +0000", T_NOV21, "single-digit hour") ;
  scan_is("  Sat, 21 Nov 2026 06:40:00 +0000 (UTC)\r\n", T_NOV21, "blanks, a trailing comment and CRLF") ;
  scan_is("Sat, 21 Nov 2026\r\n\t06:40:00 +0000", T_NOV21, "folded") ;
  scan_is("(x) Sat (y) , (z) 21 (a) Nov (b) 2026 (c) 06 (d) : (e) 40 (f) : (g) 00 (h) +0000 (i)", T_NOV21, "comments between every token") ;
  scan_is("Sat, 21 Nov 2026 06:40:00 +0000 (a (nested (deeper)) comment)", T_NOV21, "nested comments") ;
  scan_is("Sat, 21 Nov 2026 06:40:00 +0000 (quoted \\) paren \\( )", T_NOV21, "quoted pairs in a comment") ;
  scan_is("Sat,21 Nov 2026 06:40:00 +0000", T_NOV21, "no blank after the comma") ;
  scan_is("21Nov2026 06:40:00+0000", T_NOV21, "no blanks where tokens differ in kind") ;
  scan_is("Mon, 21 Nov 2026 06:40:00 +0000", T_NOV21, "a wrong day of week is not checked") ;
  scan_is("Thu, 1 Jan 1970 00:00:00 +0000", 0, "the epoch") ;
  scan_is("Thu, 1 Jan 1970 00:00:00 +0100", -3600, "before the epoch through the zone") ;
}

static void leap (void)
{
  scan_is("Thu, 29 Feb 2024 12:00:00 +0000", 1709208000, "29 Feb 2024") ;
  scan_is("Tue, 29 Feb 2000 00:00:00 +0000", 951782400, "29 Feb 2000 (divisible by 400)") ;
  scan_is("29 Feb 96 00:00:00 +0000", 825552000, "29 Feb 96") ;
  scan_is("31 Dec 2016 23:59:60 +0000", 1483228800, "leap second 60 is the next minute's 00") ;
  scan_is("Fri, 31 Dec 9999 23:59:59 +0000", 253402300799LL, "the last second of 9999") ;
  scan_is("Mon, 1 Jan 1900 00:00:00 +0000", -2208988800LL, "the first second of 1900") ;
  refused("29 Feb 2023 00:00:00 +0000", "29 Feb 2023") ;
  refused("29 Feb 1900 00:00:00 +0000", "29 Feb 1900 (divisible by 100)") ;
  refused("29 Feb 2100 00:00:00 +0000", "29 Feb 2100") ;
  refused("30 Feb 2024 00:00:00 +0000", "30 Feb") ;
  refused("31 Apr 2024 00:00:00 +0000", "31 Apr") ;
  refused("31 Jun 2024 00:00:00 +0000", "31 Jun") ;
  refused("31 Sep 2024 00:00:00 +0000", "31 Sep") ;
  refused("31 Nov 2024 00:00:00 +0000", "31 Nov") ;
  scan_is("31 Dec 2024 00:00:00 +0000", 1735603200, "31 Dec") ;
}

static void garbage (void)
{
  refused("", "empty") ;
  refused("   ", "blanks only") ;
  refused("garbage", "a word") ;
  refused("Sat, 21 Nov 2026", "no time") ;
  refused("Sat, 21 Nov 2026 06:40:00", "no zone") ;
  refused("Sat 21 Nov 2026 06:40:00 +0000", "day of week without comma") ;
  refused("Sat,, 21 Nov 2026 06:40:00 +0000", "two commas") ;
  refused("Saturday, 21 Nov 2026 06:40:00 +0000", "full day name") ;
  refused("Sat, 21 November 2026 06:40:00 +0000", "full month name") ;
  refused("Sat, 21 Foo 2026 06:40:00 +0000", "unknown month") ;
  refused("Xyz, 21 Nov 2026 06:40:00 +0000", "unknown day") ;
  refused("Nov 21 2026 06:40:00 +0000", "month first") ;
  refused("Sat, 0 Nov 2026 06:40:00 +0000", "day 0") ;
  refused("Sat, 32 Nov 2026 06:40:00 +0000", "day 32") ;
  refused("Sat, 021 Nov 2026 06:40:00 +0000", "three-digit day") ;
  refused("Sat, 21 Nov 6 06:40:00 +0000", "one-digit year") ;
  refused("Sat, 21 Nov 1899 06:40:00 +0000", "year before 1900") ;
  refused("Sat, 21 Nov 10000 06:40:00 +0000", "five-digit year") ;
  refused("Sat, 21 Nov 202606:40:00 +0000", "year run into the hour") ;
  refused("Sat, 21 Nov 2026 24:00:00 +0000", "hour 24") ;
  refused("Sat, 21 Nov 2026 06:60:00 +0000", "minute 60") ;
  refused("Sat, 21 Nov 2026 06:40:61 +0000", "second 61") ;
  refused("Sat, 21 Nov 2026 06:4:00 +0000", "one-digit minute") ;
  refused("Sat, 21 Nov 2026 06:40:0 +0000", "one-digit second") ;
  refused("Sat, 21 Nov 2026 006:40:00 +0000", "three-digit hour") ;
  refused("Sat, 21 Nov 2026 06:40: +0000", "colon without seconds") ;
  refused("Sat, 21 Nov 2026 06 +0000", "hour only") ;
  refused("Sat, 21 Nov 2026 06:40:00 +000", "three-digit zone") ;
  refused("Sat, 21 Nov 2026 06:40:00 +00000", "five-digit zone") ;
  refused("Sat, 21 Nov 2026 06:40:00 0000", "zone without sign") ;
  refused("Sat, 21 Nov 2026 06:40:00 +0060", "zone minutes 60") ;
  refused("Sat, 21 Nov 2026 06:40:00 + 0000", "sign apart from the digits") ;
  refused("Sat, 21 Nov 2026 06:40:00 CEST", "unknown zone name") ;
  refused("Sat, 21 Nov 2026 06:40:00 J", "military J does not exist") ;
  refused("Sat, 21 Nov 2026 06:40:00 +0000 junk", "junk after the zone") ;
  refused("Sat, 21 Nov 2026 06:40:00 +0000 (open", "unterminated comment") ;
  refused("Sat, 21 Nov 2026 06:40:00 +0000 (a (b)", "unterminated nested comment") ;
  refused("Sat, 21 Nov 2026 06:40:00 +0000 )", "stray close paren") ;
  refused("Sat, 21 Nov 2026 06:40:00 +0000 GMT", "two zones") ;
  refused("Sat Nov 21 06:40:00 2026", "the ctime form is not RFC 5322") ;
  refused("2026-11-21T06:40:00Z", "ISO 8601") ;
  {
    time_t t ;
    ok(!date822_scan("21 Nov 2026 06:40:00 +0000\0", 27, &t), "a NUL inside the length") ;
    ok(date822_scan("21 Nov 2026 06:40:00 +0000 trailing", 26, &t) && t == T_NOV21, "only len bytes are read") ;
    ok(!date822_scan("21 Nov 2026 06:40:00 +0000", 25, &t), "a truncated zone") ;
  }
}

int main (void)
{
  settz("UTC") ;
  utc() ;
  local() ;
  roundtrip() ;
  obsolete() ;
  leap() ;
  garbage() ;
  return tap_done() ;
}
