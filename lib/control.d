lib/control.o: lib/control.c lib/control.h lib/home.h
lib/control.h:
lib/home.h:
