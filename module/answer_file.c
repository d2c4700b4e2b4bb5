// SPDX-License-Identifier: GPL-2.0
/*
 * One-shot question files (see answer_file.h). The answer is computed at
 * write time and kept with the open file, so concurrent users never see each
 * other's answers and a read needs no lock of the target's mm.
 */
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "answer_file.h"
#include "query.h"

#define ANSWER_MAX	2048

struct answer_file {
	struct mutex lock;	/* serialises the answer's replacement and reads */
	const struct uffdscope_question *question;
	char *answer;		/* NULL until a question was asked */
	size_t len;
};

static int answer_open(struct inode *inode, struct file *file)
{
	struct answer_file *af;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	af = kzalloc(sizeof(*af), GFP_KERNEL);
	if (!af)
		return -ENOMEM;
	mutex_init(&af->lock);
	af->question = inode->i_private;
	file->private_data = af;
	return nonseekable_open(inode, file);
}

static int answer_release(struct inode *inode, struct file *file)
{
	struct answer_file *af = file->private_data;

	kfree(af->answer);
	kfree(af);
	return 0;
}

static ssize_t answer_ask(struct answer_file *af, const struct uffdscope_ask *ask,
			  struct mm_struct *mm, char *buf)
{
	ssize_t len;

	/* The query holds the mm_struct only; the address space may be gone. */
	if (!mmget_not_zero(mm))
		return -ESRCH;
	len = af->question->answer(mm, ask, buf, ANSWER_MAX);
	mmput(mm);
	return len;
}

/*
 * "pid=PID start=ADDR [EXTRA=N]": the common query's two keys (same syntax
 * and checks as the other files), plus the question's own key.
 */
static int parse_ask(const struct uffdscope_question *question,
		     const char __user *ubuf, size_t count,
		     struct uffdscope_query *q, struct uffdscope_ask *ask)
{
	int err = uffdscope_query_parse(ubuf, count,
					UFFDSCOPE_KEY_PID | UFFDSCOPE_KEY_START,
					question->extra_key, q);

	if (err)
		return err;
	if (!(q->seen & UFFDSCOPE_KEY_START))
		return -EINVAL;
	memset(ask, 0, sizeof(*ask));
	ask->has_extra = q->seen & UFFDSCOPE_KEY_EXTRA;
	ask->extra = q->extra;
	q->end = q->start + 1;	/* one address: check_range() wants a range */
	return 0;
}

static ssize_t answer_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct answer_file *af = file->private_data;
	struct uffdscope_query q;
	struct uffdscope_ask ask;
	struct mm_struct *mm;
	ssize_t len;
	char *buf;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = parse_ask(af->question, ubuf, count, &q, &ask);
	if (err)
		return err;
	if (q.start > ULONG_MAX - PAGE_SIZE)
		return -ERANGE;
	mm = uffdscope_query_mm(&q);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	ask.pid = q.pid;
	ask.addr = q.start;
	buf = kmalloc(ANSWER_MAX, GFP_KERNEL);
	len = buf ? answer_ask(af, &ask, mm, buf) : -ENOMEM;
	mmdrop(mm);
	if (len < 0) {
		kfree(buf);
		return len;
	}

	mutex_lock(&af->lock);
	kfree(af->answer);
	af->answer = buf;
	af->len = len;
	mutex_unlock(&af->lock);
	/* A read after this write starts the new answer at its beginning. */
	*ppos = 0;
	return count;
}

static ssize_t answer_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	struct answer_file *af = file->private_data;
	ssize_t ret;

	/* a descriptor handed to a process without the capability answers nothing */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&af->lock);
	if (af->answer)
		ret = simple_read_from_buffer(ubuf, count, ppos, af->answer, af->len);
	else
		ret = -EINVAL;	/* nothing asked yet */
	mutex_unlock(&af->lock);
	return ret;
}

static const struct file_operations answer_fops = {
	.owner = THIS_MODULE,
	.open = answer_open,
	.release = answer_release,
	.read = answer_read,
	.write = answer_write,
};

int uffdscope_answer_file_create(const struct uffdscope_question *question,
				 struct dentry *dir)
{
	/* debugfs keeps the data pointer non-const; the question is never written */
	struct dentry *d = debugfs_create_file(question->name, 0600, dir,
					       (void *)question, &answer_fops);

	return PTR_ERR_OR_ZERO(d);
}
