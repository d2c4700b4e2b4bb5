# SPDX-License-Identifier: GPL-2.0
#
#   make                 build uffdscope.ko for the running kernel (or KDIR=...)
#   make selftests       build the selftests for the host (or ARCH=arm64)
#   make run             the main job: boot Debian 6.12 in QEMU with the module and show it
#   make check           the tests: every kernel of the matrix in QEMU, plus the host
#   make check-debug     the whole suite under the debug kernels (KASAN, lockdep ...), x86_64 (6.12, 7.3, 7.3 RT) and arm64
#   make bench           the benchmarks (selftests/bench_*.c) in every kernel of the matrix
#   make lint            W=1, sparse C=2 and checkpatch --strict over the module
#   make tools           the uffdscope command (tools/), static, for the host or ARCH=arm64
#   make install         the command, its man page, the catalog and the probe programs
#                        under $(DESTDIR)$(PREFIX) (default /usr/local): see tools/Makefile
#   make kselftest-install INSTALL_PATH=DIR
#                        the suite as the kernel's kselftest install lays it out:
#                        DIR/run_kselftest.sh runs it (see selftests/Makefile)
#
# The kernel side is built by Kbuild (see Kbuild); this file only dispatches.

KDIR ?= /lib/modules/$(shell uname -r)/build
# Warnings are errors here: the module must build clean with W=1 on every kernel.
KBUILD_FLAGS = -C $(KDIR) M=$(CURDIR) W=1 KCFLAGS=-Werror

.PHONY: all module selftests run check check-debug bench lint clean tools install kselftest-install

all: module tools

module:
	$(MAKE) $(KBUILD_FLAGS) modules

selftests:
	$(MAKE) -C selftests

tools:
	$(MAKE) -C tools

install:
	$(MAKE) -C tools install

kselftest-install:
	$(MAKE) -C selftests install INSTALL_PATH=$(abspath $(INSTALL_PATH))

run:
	scripts/run-demo.sh

check:
	scripts/run-tests.sh

check-debug:
	scripts/run-debug.sh

bench:
	scripts/run-bench.sh

lint:
	scripts/lint.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C selftests clean
	$(MAKE) -C tools clean
