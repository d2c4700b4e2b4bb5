// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing of the key=value queries written to the uffdscope files, lookup of
 * the target mm, and the buffer each open file reads its answer from.
 */
#include <linux/bitops.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "query.h"

static int parse_bool(const char *val, bool *out)
{
	return kstrtobool(val, out);
}

static int parse_pair(char *key, char *val, unsigned int allowed,
		      struct uffdscope_query *q)
{
	static const char * const keys[] = {
		"pid", "start", "end", "len", "mode", "none", "raw", "format",
	};
	unsigned long len;
	unsigned int bit;
	int i, err;

	i = match_string(keys, ARRAY_SIZE(keys), key);
	if (i < 0)
		return -EINVAL;
	bit = BIT(i);
	if (!(allowed & bit) || (q->seen & bit))
		return -EINVAL;
	q->seen |= bit;

	switch (bit) {
	case UFFDSCOPE_KEY_PID:
		err = kstrtoint(val, 0, &q->pid);
		if (!err && q->pid <= 0)
			err = -EINVAL;
		return err;
	case UFFDSCOPE_KEY_START:
		return kstrtoul(val, 0, &q->start);
	case UFFDSCOPE_KEY_END:
		return kstrtoul(val, 0, &q->end);
	case UFFDSCOPE_KEY_LEN:
		err = kstrtoul(val, 0, &len);
		if (err)
			return err;
		/* resolved against start once every key is known */
		q->end = len;
		return 0;
	case UFFDSCOPE_KEY_MODE:
		if (!strcmp(val, "entries"))
			q->entries = true;
		else if (strcmp(val, "runs"))
			return -EINVAL;
		return 0;
	case UFFDSCOPE_KEY_NONE:
		return parse_bool(val, &q->show_none);
	case UFFDSCOPE_KEY_RAW:
		/* exactly 0 or 1: kstrtobool() would take "on", "yes", "enable" */
		if (strcmp(val, "0") && strcmp(val, "1"))
			return -EINVAL;
		q->raw = val[0] == '1';
		return 0;
	case UFFDSCOPE_KEY_FORMAT:
		if (!strcmp(val, "bin"))
			q->bin = true;
		else if (strcmp(val, "text"))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int uffdscope_query_parse(const char __user *ubuf, size_t count,
			  unsigned int allowed, const char *extra_key,
			  struct uffdscope_query *q)
{
	char text[UFFDSCOPE_QUERY_MAX + 1];
	char *cursor = text, *tok, *val;
	int err;

	if (count > UFFDSCOPE_QUERY_MAX)
		return -E2BIG;
	if (copy_from_user(text, ubuf, count))
		return -EFAULT;
	text[count] = '\0';

	memset(q, 0, sizeof(*q));
	q->show_none = true;
	while ((tok = strsep(&cursor, " \t\n")) != NULL) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val || val == tok || !val[1])
			return -EINVAL;
		*val++ = '\0';
		if (extra_key && !strcmp(tok, extra_key)) {
			if (q->seen & UFFDSCOPE_KEY_EXTRA)
				return -EINVAL;
			q->seen |= UFFDSCOPE_KEY_EXTRA;
			err = kstrtoul(val, 0, &q->extra);
		} else {
			err = parse_pair(tok, val, allowed, q);
		}
		if (err)
			return err;
	}
	if (!(q->seen & UFFDSCOPE_KEY_PID))
		return -EINVAL;
	if ((q->seen & UFFDSCOPE_KEY_END) && (q->seen & UFFDSCOPE_KEY_LEN))
		return -EINVAL;
	if (q->seen & UFFDSCOPE_KEY_LEN) {
		if (!q->end || q->end > ULONG_MAX - q->start)
			return -EINVAL;
		q->end += q->start;
	}
	return 0;
}

static int check_range(struct uffdscope_query *q, struct mm_struct *mm)
{
	unsigned long limit = mm->task_size;

	if (!q->end)
		q->end = limit;
	if (q->start >= limit || q->end > ULONG_MAX - PAGE_SIZE + 1)
		return -ERANGE;
	q->start &= PAGE_MASK;
	q->end = PAGE_ALIGN(q->end);
	if (q->start >= q->end)
		return -EINVAL;
	if (q->end > limit)
		return -ERANGE;
	return 0;
}

/*
 * The address space of @task, if the caller may read it: its own, or any
 * with CAP_SYS_PTRACE besides the CAP_SYS_ADMIN every file asks for (a
 * debugger's right over another process). ptrace_may_access(), which would
 * also ask the LSMs, is not exported to modules.
 */
static struct mm_struct *target_mm(struct task_struct *task)
{
	struct mm_struct *mm;

	if (!same_thread_group(task, current) && !capable(CAP_SYS_PTRACE))
		return ERR_PTR(-EACCES);
	mm = get_task_mm(task);
	return mm ? mm : ERR_PTR(-ESRCH);
}

struct mm_struct *uffdscope_query_mm(struct uffdscope_query *q)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;
	int err;

	pid = find_get_pid(q->pid);
	if (!pid)
		return ERR_PTR(-ESRCH);
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (!task)
		return ERR_PTR(-ESRCH);
	if (task->flags & PF_KTHREAD) {
		put_task_struct(task);
		return ERR_PTR(-ENXIO);
	}
	mm = target_mm(task);
	put_task_struct(task);
	if (IS_ERR(mm))
		return mm;

	err = check_range(q, mm);
	if (err) {
		mmput(mm);
		return ERR_PTR(err);
	}
	/* Keep the mm_struct, not the address space: a dead target reads ESRCH. */
	mmgrab(mm);
	mmput(mm);
	return mm;
}

int uffdscope_text_alloc(struct uffdscope_text *t, size_t size)
{
	t->buf = kvmalloc(size, GFP_KERNEL);
	if (!t->buf)
		return -ENOMEM;
	t->size = size;
	t->len = 0;
	t->pos = 0;
	t->unit = 0;
	t->overflow = false;
	return 0;
}

void uffdscope_text_free(struct uffdscope_text *t)
{
	kvfree(t->buf);
	t->buf = NULL;
}

int uffdscope_text_printf(struct uffdscope_text *t, const char *fmt, ...)
{
	size_t room = t->size - t->len;
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(t->buf + t->len, room, fmt, args);
	va_end(args);
	if (n < 0 || (size_t)n >= room)
		return -ENOSPC;
	t->len += n;
	return 0;
}

/*
 * Byte by byte on purpose: the pieces are a few bytes long, and a call to
 * memcpy()/strlen() per piece (rep movsb on x86) cost more than the bytes:
 * it was most of a `ptes` dump's formatting time in the 7.3 amd64 VM.
 * Every put keeps one byte free for the line's newline.
 */
static void put_char(struct uffdscope_text *t, char c)
{
	if (t->overflow || t->size - t->len < 2) {
		t->overflow = true;
		return;
	}
	t->buf[t->len++] = c;
}

/* A NUL-terminated piece, copied while its length is found. */
static void put_cstr(struct uffdscope_text *t, const char *s)
{
	size_t room = t->size - t->len;
	char *d = t->buf + t->len;
	size_t n = 0;

	if (t->overflow)
		return;
	for (; s[n]; n++) {
		if (n + 1 >= room) {
			t->overflow = true;
			return;
		}
		d[n] = s[n];
	}
	t->len += n;
}

static void put_key(struct uffdscope_text *t, size_t mark, const char *key)
{
	if (t->len != mark)
		put_char(t, ' ');
	put_cstr(t, key);
	put_char(t, '=');
}

/*
 * Room for @n more bytes (and the newline), or mark the line overflowed;
 * returns where they go.
 */
static char *reserve(struct uffdscope_text *t, size_t n)
{
	char *d;

	if (t->overflow || t->size - t->len < n + 1) {
		t->overflow = true;
		return NULL;
	}
	d = t->buf + t->len;
	t->len += n;
	return d;
}

/* Digits written in place from the last one back: no divisions for hex. */
static void put_hex_digits(struct uffdscope_text *t, unsigned long long val)
{
	size_t n = val ? DIV_ROUND_UP(fls64(val), 4) : 1;
	char *d = reserve(t, n);

	if (!d)
		return;
	d += n;
	do {
		*--d = "0123456789abcdef"[val & 0xf];
		val >>= 4;
	} while (val);
}

static void put_dec_digits(struct uffdscope_text *t, unsigned long long val)
{
	unsigned long long v = val;
	size_t n = 0;
	char *d;

	do {
		n++;
		v /= 10;
	} while (v);
	d = reserve(t, n);
	if (!d)
		return;
	d += n;
	do {
		*--d = '0' + val % 10;
		val /= 10;
	} while (val);
}

void uffdscope_text_put_str(struct uffdscope_text *t, size_t mark,
			    const char *key, const char *val)
{
	put_key(t, mark, key);
	put_cstr(t, val);
}

void uffdscope_text_put_hex(struct uffdscope_text *t, size_t mark,
			    const char *key, unsigned long long val)
{
	put_key(t, mark, key);
	put_char(t, '0');
	put_char(t, 'x');
	put_hex_digits(t, val);
}

void uffdscope_text_put_dec(struct uffdscope_text *t, size_t mark,
			    const char *key, unsigned long long val)
{
	put_key(t, mark, key);
	put_dec_digits(t, val);
}

int uffdscope_text_end_line(struct uffdscope_text *t, size_t mark)
{
	if (t->overflow || t->len >= t->size) {
		t->overflow = false;
		t->len = mark;
		return -ENOSPC;
	}
	t->buf[t->len++] = '\n';
	return 0;
}

ssize_t uffdscope_text_read(struct uffdscope_text *t, char __user *ubuf,
			    size_t count)
{
	size_t n = min(count, t->len - t->pos);

	/* never a part of a record: the reader's buffer holds whole ones */
	if (t->unit && n) {
		n -= n % t->unit;
		if (!n)
			return -EINVAL;
	}
	if (copy_to_user(ubuf, t->buf + t->pos, n))
		return -EFAULT;
	t->pos += n;
	return n;
}

ssize_t uffdscope_answer_read(struct uffdscope_text *t, const bool *finished,
			      int (*fill)(void *ctx), void *ctx,
			      char __user *ubuf, size_t count)
{
	int err;

	while (uffdscope_text_drained(t)) {
		if (*finished)
			return 0;
		err = fill(ctx);
		if (err)
			return err;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return uffdscope_text_read(t, ubuf, count);
}
