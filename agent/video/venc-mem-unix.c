/*
 * Giving back the zeroed memory libvpx touches but does not use yet.
 *
 * libvpx's encoders size their token buffer for the worst case (VP9: 772
 * tokens per 16x16 macroblock, VP8: 384, 16 bytes each: 96 MiB and 48 MiB
 * at 1080p) and allocate it, like every frame buffer (VP9 makes eight or
 * so at init, several of them only for features realtime coding never
 * uses: ARF filtering, scaling), with malloc + memset: every page becomes
 * resident at once. That was most of a 1080p VP9 session's 190-250 MiB
 * RSS (tests/bench/video; bench-encode prints the encoder's share).
 *
 * With glibc's mmap threshold fixed at 1 MiB (venc_mem_init), each such
 * buffer is a mapped chunk of its own: page-aligned, with the chunk
 * header (prev_size 0, size | IS_MMAPPED) in its first page.
 * venc_mem_before/after compare /proc/self/maps around
 * vpx_codec_enc_init and look for such chunks of >= 4 MiB in the address
 * ranges that appeared in between; a chunk that is all zero after its
 * first page gets MADV_DONTNEED on the rest. For private anonymous
 * memory the next access to such a page reads zeros again, so libvpx
 * sees exactly the contents it wrote; pages come back as it writes.
 * This is done around vpx_codec_enc_init and around the first encode
 * (VP9 allocates its frame buffers then; those only ARF filtering or
 * scaling would use stay zero). Both run with every other encoder
 * stopped (venc.c's lock), and the loop thread makes no allocation of
 * that size for a 1080p stream, so a chunk found in the window is the
 * new encoder's. Memory is read with process_vm_readv, so a range
 * another thread unmaps meanwhile is an error, not a crash. What is left
 * is a chunk of >= 4 MiB that another thread (the loop thread packing a
 * message of that size: a 4K key frame) allocates in the window and
 * writes between the zero check and the madvise: it would lose that
 * write. For 1080p streams nothing on the loop thread is that large.
 *
 * The largest chunk (the token buffer) is remembered: its contents are
 * dead between frames (tokens are written and packed within one encode
 * call), so venc.c gives its pages back again after a large frame (a
 * key or refinement frame of dense text wrote tens of MiB of tokens).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "video/venc-mem.h"

/* Under AddressSanitizer malloc is ASan's: no glibc chunk headers, and
 * reading other allocations is an error. Nothing is released then. */
#if defined(__SANITIZE_ADDRESS__)
#define VENC_MEM_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VENC_MEM_OFF 1
#endif
#endif
#ifndef VENC_MEM_OFF
#define VENC_MEM_OFF 0
#endif

#define MMAP_THRESHOLD (1u << 20)
#define CHUNK_MIN (4u << 20)
#define IS_MMAPPED 0x2u
#define SIZE_BITS 0x7u

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init_once(void)
{
	/* Fixed, not glibc's dynamic threshold (which rises to the size
	 * of any mapped chunk freed, so a second encoder's buffers would
	 * land in the heap and stay there after it ends). */
	(void)mallopt(M_MMAP_THRESHOLD, (int)MMAP_THRESHOLD);
}

void
venc_mem_init(void)
{
	pthread_once(&once, init_once);
}

/* Fills up to VENC_MEM_MAX anonymous rw mappings; returns how many. */
static int
scan(struct venc_mem *m)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi, off;
		char perm[8];
		char dev[16];
		unsigned long ino;
		int path = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &lo, &hi, perm,
			    &off, dev, &ino, &path) < 6)
			continue;
		/* Anonymous: no inode and no name ("[heap]" has one). */
		if (ino != 0 || (path > 0 && line[path] != '\n' &&
					line[path] != '\0'))
			continue;
		if (strncmp(perm, "rw-p", 4) != 0 || hi - lo < CHUNK_MIN)
			continue;
		if (n == VENC_MEM_MAX) {
			n = -1; /* too many to compare: do nothing */
			break;
		}
		m->lo[n] = (uintptr_t)lo;
		m->hi[n] = (uintptr_t)hi;
		n++;
	}
	fclose(f);
	return n;
}

void
venc_mem_before(struct venc_mem *m)
{
	memset(m, 0, sizeof(*m));
	m->n = VENC_MEM_OFF ? -1 : scan(m);
}

/* Reads len bytes at addr of this process without faulting: another
 * thread may unmap a range between the maps scan and the read. */
static bool
safe_read(uintptr_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)addr, .iov_len = len };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
		(ssize_t)len;
}

#define ZERO_BLOCK (64u * 1024)

static bool
all_zero(uintptr_t p, size_t len)
{
	static _Thread_local uint64_t buf[ZERO_BLOCK / sizeof(uint64_t)];

	while (len > 0) {
		size_t n = len < ZERO_BLOCK ? len : ZERO_BLOCK;

		if (!safe_read(p, buf, n))
			return false;
		for (size_t i = 0; i < n / sizeof(buf[0]); i++)
			if (buf[i] != 0)
				return false;
		p += n;
		len -= n;
	}
	return true;
}

/* Releases the zeroed mapped chunks in [lo, hi); the largest one is
 * kept in *big when it beats what is there. */
static size_t
release_part(uintptr_t lo, uintptr_t hi, size_t page, struct venc_mem_chunk *big)
{
	size_t released = 0;
	uintptr_t p = lo;

	while (p + page <= hi) {
		size_t h[2] = { 1, 0 };
		size_t sz;

		if (!safe_read(p, h, sizeof(h)))
			h[0] = 1; /* gone: not a chunk */
		sz = h[1] & ~(size_t)SIZE_BITS;
		if (h[0] == 0 && (h[1] & SIZE_BITS) == IS_MMAPPED &&
			sz >= CHUNK_MIN && sz % page == 0 && sz <= hi - p) {
			if (all_zero(p + page, sz - page) &&
				madvise((void *)(p + page), sz - page,
					MADV_DONTNEED) == 0) {
				released += sz - page;
				if (sz - page > big->len) {
					big->addr = (void *)(p + page);
					big->len = sz - page;
				}
			}
			p += sz;
		} else {
			p += page;
		}
	}
	return released;
}

size_t
venc_mem_after(const struct venc_mem *before, struct venc_mem_chunk *big)
{
	struct venc_mem now;
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096u;
	size_t released = 0;

	if (before->n < 0)
		return 0;
	memset(&now, 0, sizeof(now));
	if ((now.n = scan(&now)) < 0)
		return 0;
	/* The parts of each mapping no earlier mapping covered (mappings
	 * merge, so a new chunk may extend an old range). */
	for (int i = 0; i < now.n; i++) {
		uintptr_t lo = now.lo[i];

		while (lo < now.hi[i]) {
			uintptr_t hi = now.hi[i];
			bool covered = false;

			for (int k = 0; k < before->n; k++) {
				if (before->lo[k] <= lo && lo < before->hi[k]) {
					lo = before->hi[k];
					covered = true;
					break;
				}
				if (before->lo[k] > lo && before->lo[k] < hi)
					hi = before->lo[k];
			}
			if (covered)
				continue;
			released += release_part(lo, hi, page, big);
			lo = hi;
		}
	}
	return released;
}

void
venc_mem_trim(void)
{
	(void)malloc_trim(0);
}

void
venc_mem_discard(const struct venc_mem_chunk *c)
{
	if (c->len > 0)
		(void)madvise(c->addr, c->len, MADV_DONTNEED);
}
