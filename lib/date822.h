/* date822.h: RFC 5322 section 3.3 dates ("Sat, 21 Nov 2026 06:40:00 +0000") and the ctime(3)
   form of mbox "From " lines ("Sat Nov 21 06:40:00 2026"), with English names whatever the
   locale. The formatters write no NUL and return the length, or 0 (errno EOVERFLOW) for a
   time outside the years 1900..9999 or one the C library cannot convert. */
#ifndef QM_DATE822_H
#define QM_DATE822_H

#include <stddef.h>
#include <time.h>

#define DATE822_FMT 32         /* room for the longest date, 31 bytes, and a NUL */
#define DATE822_CTIME_FMT 25   /* 24 bytes and a NUL */

/* UTC, "+0000". The day of the month has no leading zero, as in RFC 5322's examples. */
extern size_t date822_fmt (char *s, time_t t) ;

/* Local time (TZ) with its numeric offset, e.g. "Sat, 21 Nov 2026 01:40:00 -0500". An offset
   that is not a whole number of minutes (historic local mean time) gives the UTC form. */
extern size_t date822_fmt_local (char *s, time_t t) ;

/* UTC, day of the month padded with a blank: "Sun Nov  1 06:40:00 2026". */
extern size_t date822_fmt_ctime (char *s, time_t t) ;

/* Parse a whole RFC 5322 date-time (len bytes), obsolete forms included: CFWS anywhere
   between tokens (comments nest), optional day of week (not checked against the date), 1-2
   digit day and hour, optional seconds (60 counts as the next minute's 00), 2-digit years
   (00-49 are 20xx, 50-99 19xx) and 3-digit years (+1900), zones +hhmm/-hhmm, UT, GMT, the US
   zones EST EDT CST CDT MST MDT PST PDT, military letters (taken as -0000, i.e. UTC, as RFC
   5322 4.3 says) and UTC. Names are case-insensitive. A zone is required. Years 1900..9999.
   1 and *t set, or 0 with errno EINVAL. */
extern int date822_scan (char const *s, size_t len, time_t *t) ;

#endif
