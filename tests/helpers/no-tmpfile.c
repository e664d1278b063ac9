/*
 * Runs a program as on a file system without O_TMPFILE: a seccomp filter
 * answers every open(2)/openat(2) with O_TMPFILE in its flags with
 * EOPNOTSUPP, what the kernel says on such a file system; every other call
 * runs as usual.  The filter stays on across exec and in children.
 *
 *   no-tmpfile PROGRAM [ARG...]
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#if defined(__x86_64__)
#define ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH	AUDIT_ARCH_AARCH64
#else
#error "no-tmpfile: unknown architecture"
#endif

/* __O_TMPFILE: O_TMPFILE less O_DIRECTORY */
#define TMPFILE_BIT	(O_TMPFILE & ~O_DIRECTORY)

#define LOAD(f)		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
			    offsetof(struct seccomp_data, f))
#define ARG_LO(n)	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
			    offsetof(struct seccomp_data, args[n]))
#define RET(v)		BPF_STMT(BPF_RET | BPF_K, (v))

int
main(int argc, char **argv)
{
	struct sock_filter f[] = {
		LOAD(arch),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
		RET(SECCOMP_RET_ALLOW),
		LOAD(nr),
#ifdef __NR_open
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 2, 0),
#else
		BPF_STMT(BPF_JMP | BPF_JA, 0),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 3, 0),
		RET(SECCOMP_RET_ALLOW),
		/* open: flags in args[1] */
		ARG_LO(1),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TMPFILE_BIT, 3, 2),
		/* openat: flags in args[2] */
		ARG_LO(2),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TMPFILE_BIT, 1, 0),
		RET(SECCOMP_RET_ALLOW),
		RET(SECCOMP_RET_ERRNO | (EOPNOTSUPP & SECCOMP_RET_DATA)),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (argc < 2) {
		fprintf(stderr, "usage: no-tmpfile PROGRAM [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1) {
		fprintf(stderr, "no-tmpfile: seccomp: %s\n", strerror(errno));
		return 2;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "no-tmpfile: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
