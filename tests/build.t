#!/bin/sh
# build.t: configure's checks, make install with DESTDIR and PREFIX, and the rule that a setuid
# program ignores QMAILHOME.
. "$(dirname "$0")/lib.sh"
cd "$top"

./configure --home=relative/path > "$T/out" 2>&1
is "$?" 100 "configure refuses a relative home"
grep -q 'must be absolute' "$T/out"; ok $? "and says why"
./configure --bogus > "$T/out" 2>&1
is "$?" 100 "configure refuses an unknown option"

make -s install DESTDIR="$T/stage" PREFIX=/opt/qm > "$T/out" 2>&1
ok $? "make install into DESTDIR"
missing=
for c in $(ls maildir/*.c qmail-*/*.c control/*.c tls/*.c 2>/dev/null | grep -v -- '-core\.c$'); do
  p=$(basename "$c" .c)
  [ -x "$T/stage/opt/qm/bin/$p" ] || missing="$missing $p"
done
is "$missing" "" "every program installed under DESTDIR/PREFIX/bin"
for m in doc/*.[1-8]; do
  [ -e "$m" ] || continue
  s=${m##*.}
  [ -f "$T/stage/opt/qm/man/man$s/${m##*/}" ] || missing="$missing $m"
done
is "$missing" "" "every man page installed"
[ ! -e /opt/qm ]; ok $? "nothing installed outside DESTDIR"

# configure chose musl (config.mk MUSL_CC): the programs started per message or connection are
# static and carry no glibc; the others (qmail-remote, qmail-getpw...) are glibc programs
if grep -q '^MUSL_CC = .' config.mk; then
  bad= nomalloc=
  for p in qmail-send/qmail-queue qmail-smtpd/qmail-smtpd qmail-smtpd/qmail-qmqpd qmail-local/qmail-local \
           qmail-pop3d/qmail-popup qmail-pop3d/qmail-pop3d; do
    if readelf -l "$p" | grep -q INTERP || grep -q 'GLIBC_' "$p"; then bad="$bad $p"; fi
    nm "$p" | grep -q ' T qm_malloc$' && nm "$p" | grep -q ' T malloc$' || nomalloc="$nomalloc $p"
  done
  is "$bad" "" "musl build: the six hot programs are static, without glibc"
  is "$nomalloc" "" "musl build: their malloc is lib/qmalloc's"
  grep -q 'GLIBC_2' qmail-local/qmail-getpw; ok $? "musl build: qmail-getpw (the NSS fallback) is a glibc program"
else
  echo "ok $((tap_n += 1)) # skip musl checks: configured without musl"
  echo "ok $((tap_n += 1)) # skip"
  echo "ok $((tap_n += 1)) # skip"
fi

QMAILHOME=/somewhere tests/unit/home.t print > "$T/out"
is "$(cat "$T/out")" /somewhere "QMAILHOME honoured by a normal program"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
  cp tests/unit/home.t "$T/home-suid"
  chmod 755 "$T"
  chown nobody "$T/home-suid" && chmod 4755 "$T/home-suid"
  got=$(QMAILHOME=/somewhere "$T/home-suid" print)
  [ -n "$got" ] && [ "$got" != /somewhere ]; ok $? "a setuid program ignores QMAILHOME (got $got)"
else
  echo "ok $((tap_n += 1)) # skip setuid check needs root"
fi
done_testing
