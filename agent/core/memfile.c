/* SPDX-License-Identifier: MIT */
#include "core/memfile.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <windows.h>

FILE *
op_memfile_open(struct op_memfile *m)
{
	wchar_t dir[MAX_PATH + 1], path[MAX_PATH + 1];
	HANDLE h;
	int fd;

	memset(m, 0, sizeof(*m));
	if (GetTempPathW(MAX_PATH + 1, dir) == 0 ||
		GetTempFileNameW(dir, L"op", 0, path) == 0)
		return NULL;
	/* No sharing, and gone when closed, whatever ends the process. */
	h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL,
		CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY |
			FILE_FLAG_DELETE_ON_CLOSE, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		DeleteFileW(path);
		return NULL;
	}
	if ((fd = _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY)) < 0) {
		CloseHandle(h);
		return NULL;
	}
	if ((m->f = _fdopen(fd, "w+b")) == NULL)
		_close(fd);
	return m->f;
}

char *
op_memfile_take(struct op_memfile *m, size_t *len)
{
	char *buf = NULL;
	long n;

	if (len != NULL)
		*len = 0;
	if (m->f == NULL)
		return NULL;
	if (fflush(m->f) == 0 && !ferror(m->f) && (n = ftell(m->f)) >= 0 &&
		fseek(m->f, 0, SEEK_SET) == 0 &&
		(buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, m->f) == (size_t)n) {
			buf[n] = '\0';
			if (len != NULL)
				*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(m->f);
	m->f = NULL;
	return buf;
}
#else
FILE *
op_memfile_open(struct op_memfile *m)
{
	memset(m, 0, sizeof(*m));
	return m->f = open_memstream(&m->buf, &m->len);
}

char *
op_memfile_take(struct op_memfile *m, size_t *len)
{
	bool bad;
	char *buf;

	if (len != NULL)
		*len = 0;
	if (m->f == NULL)
		return NULL;
	bad = ferror(m->f) != 0;
	/* fclose fills buf and len, and fails when they could not grow. */
	bad |= fclose(m->f) != 0;
	m->f = NULL;
	buf = m->buf;
	m->buf = NULL;
	if (bad || buf == NULL) {
		free(buf);
		return NULL;
	}
	if (len != NULL)
		*len = m->len;
	return buf;
}
#endif

int
op_memfile_copy(struct op_memfile *m, char *out, size_t size)
{
	size_t len;
	char *s = op_memfile_take(m, &len);

	out[0] = '\0';
	if (s == NULL)
		return -1;
	if (len >= size)
		len = size - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	free(s);
	return 0;
}
