// SPDX-License-Identifier: GPL-2.0
/*
 * The `ptes` file: write a query (pid, range, options), read what the page
 * tables of that process hold there, one key=value line per run of entries
 * that decode the same, then one summary line. Format: debugfs-abi.rst.
 *
 * Each read() walks a bounded number of tables under mmap_read_lock (fewer,
 * down to one, when a writer waits for the lock), fills this file's buffer,
 * drops the lock, and only then copies out. A run may merge entries read in
 * two holds of the lock: each entry is exact when read, the answer as a
 * whole is not one instant's snapshot (neither is pagemap's).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "ptes_bin.h"
#include "query.h"
#include "uffdscope.h"
#include "walk.h"

/*
 * Each refill re-enters the walk (mmap lock, VMA lookup, the table it
 * stopped in): 64 KiB of text per refill keeps that to a few dozen times for
 * a 1 GiB dense dump, and is still one small allocation per open file.
 */
#define PTES_BUF_SIZE	(64 * 1024)

/* Pages (PAGE_SIZE) the walk saw mapped, by what maps them. */
struct ptes_counts {
	unsigned long anon, file, shmem, hugetlb, zero, special;
	unsigned long swap, migration, marker, hwpoison, other;
};

struct ptes_file {
	struct mutex lock;		/* one reader or writer at a time */
	struct uffdscope_query q;
	struct mm_struct *mm;		/* mmgrab()bed; NULL: no query yet */
	struct uffdscope_walk walk;	/* merges the runs (walk.merge) */
	bool walk_done;
	bool finished;			/* summary produced */
	unsigned long rss[NR_MM_COUNTERS];
	struct ptes_counts counts;
	struct uffdscope_text text;
};

static void count_entry(struct ptes_counts *c, const struct uffdscope_entry *e)
{
	unsigned long pages = e->size >> PAGE_SHIFT;

	switch (e->kind) {
	case UFFDSCOPE_NONE:
		return;
	case UFFDSCOPE_PRESENT:
		switch (e->backing) {
		case UFFDSCOPE_BACKING_ANON:
			c->anon += pages;
			return;
		case UFFDSCOPE_BACKING_SHMEM:
			c->shmem += pages;
			return;
		case UFFDSCOPE_BACKING_FILE:
			c->file += pages;
			return;
		case UFFDSCOPE_BACKING_HUGETLB:
			c->hugetlb += pages;
			return;
		case UFFDSCOPE_BACKING_ZERO:
			c->zero += pages;
			return;
		default:
			c->special += pages;
			return;
		}
	case UFFDSCOPE_SWAP:
		c->swap += pages;
		return;
	case UFFDSCOPE_MIGRATION:
		c->migration += pages;
		return;
	case UFFDSCOPE_MARKER:
		c->marker += pages;
		return;
	case UFFDSCOPE_HWPOISON:
		c->hwpoison += pages;
		return;
	default:
		c->other += pages;
		return;
	}
}

/*
 * The fields that only some kinds of entry have; pfns only when the query
 * asked for them (@raw).
 */
static void put_kind_fields(struct uffdscope_text *t, size_t m,
			    const struct uffdscope_entry *e, bool raw)
{
	switch (e->kind) {
	case UFFDSCOPE_PRESENT:
		if (raw)
			uffdscope_text_put_hex(t, m, "pfn", e->pfn);
		uffdscope_text_put_str(t, m, "backing",
				       uffdscope_backing_name(e->backing));
		uffdscope_text_put_dec(t, m, "order", e->order);
		uffdscope_text_put_dec(t, m, "write", e->write);
		uffdscope_text_put_dec(t, m, "dirty", e->dirty);
		uffdscope_text_put_dec(t, m, "young", e->young);
		uffdscope_text_put_dec(t, m, "uffd_wp", e->uffd_wp);
		uffdscope_text_put_dec(t, m, "uffd_rwp", e->uffd_rwp);
		uffdscope_text_put_str(t, m, "protnone",
				       uffdscope_protnone_name(e->protnone));
		uffdscope_text_put_dec(t, m, "cont", e->cont);
		break;
	case UFFDSCOPE_SWAP:
		uffdscope_text_put_dec(t, m, "swp_type", e->swp_type);
		uffdscope_text_put_hex(t, m, "swp_offset", e->swp_offset);
		uffdscope_text_put_dec(t, m, "uffd_wp", e->uffd_wp);
		uffdscope_text_put_dec(t, m, "uffd_rwp", e->uffd_rwp);
		uffdscope_text_put_dec(t, m, "exclusive", e->exclusive);
		break;
	case UFFDSCOPE_MARKER:
		uffdscope_text_put_hex(t, m, "marker", e->marker);
		uffdscope_text_put_dec(t, m, "marker_uffd_wp",
				       !!(e->marker & PTE_MARKER_UFFD_WP));
		uffdscope_text_put_dec(t, m, "marker_poisoned",
				       !!(e->marker & PTE_MARKER_POISONED));
		uffdscope_text_put_dec(t, m, "marker_guard",
				       !!(e->marker & PTE_MARKER_GUARD));
		uffdscope_text_put_dec(t, m, "uffd_wp", e->uffd_wp);
		break;
	case UFFDSCOPE_MIGRATION:
	case UFFDSCOPE_DEVICE_PRIVATE:
	case UFFDSCOPE_DEVICE_EXCLUSIVE:
		if (raw)
			uffdscope_text_put_hex(t, m, "pfn", e->pfn);
		uffdscope_text_put_dec(t, m, "write", e->write);
		uffdscope_text_put_dec(t, m, "exclusive", e->exclusive);
		uffdscope_text_put_dec(t, m, "uffd_wp", e->uffd_wp);
		break;
	case UFFDSCOPE_HWPOISON:
		if (raw)
			uffdscope_text_put_hex(t, m, "pfn", e->pfn);
		uffdscope_text_put_dec(t, m, "uffd_wp", e->uffd_wp);
		break;
	case UFFDSCOPE_UNKNOWN:
		uffdscope_text_put_dec(t, m, "swp_type", e->swp_type);
		break;
	default:
		break;
	}
}

/*
 * The walk callbacks (ptes_line, ptes_record): they run under a page-table
 * lock, or none, and only touch pf. One line per run (the walk merged it,
 * walk.merge) or per entry (mode=entries).
 */
static int ptes_line(struct uffdscope_walk *w, const struct uffdscope_entry *e)
{
	struct ptes_file *pf = w->private;
	struct uffdscope_text *t = &pf->text;
	size_t m = t->len;

	if (e->kind == UFFDSCOPE_NONE && !pf->q.show_none)
		return 0;
	uffdscope_text_put_hex(t, m, "start", e->addr);
	uffdscope_text_put_hex(t, m, "end", e->addr + e->size);
	uffdscope_text_put_dec(t, m, "count", e->nr);
	uffdscope_text_put_str(t, m, "level", uffdscope_level_name(e->level));
	uffdscope_text_put_str(t, m, "kind", uffdscope_kind_name(e->kind));
	put_kind_fields(t, m, e, pf->q.raw);
	if (pf->q.raw)
		uffdscope_text_put_hex(t, m, "raw", e->raw);
	if (uffdscope_text_end_line(t, m))
		return 1;	/* buffer full: e comes again on the next read */
	count_entry(&pf->counts, e);
	return 0;
}

/*
 * One record per run. No counters: the binary answer has no summary. Called
 * once per run of a dense dump (one per 4 to 8 pages with 16 KiB pages), so
 * it does nothing else (debugfs-abi.rst, "The binary answer").
 */
static int ptes_record(struct uffdscope_walk *w, const struct uffdscope_entry *e)
{
	struct ptes_file *pf = w->private;

	if (e->kind == UFFDSCOPE_NONE && !pf->q.show_none)
		return 0;
	if (uffdscope_ptes_bin_record(&pf->text, e, pf->q.raw))
		return 1;	/* buffer full: e comes again on the next read */
	return 0;
}

/*
 * Whether rss_* are exact: with SPLIT_RSS_COUNTING (6.1) every thread caches
 * up to TASK_RSS_EVENTS_THRESH counter events that no other task can sum, so
 * readers must allow that slack; per-cpu counters (6.2+) are summed exactly.
 */
#ifdef SPLIT_RSS_COUNTING
#define PTES_RSS_EXACT 0
#else
#define PTES_RSS_EXACT 1
#endif

static int emit_summary(struct ptes_file *pf)
{
	const struct ptes_counts *c = &pf->counts;

	return uffdscope_text_printf(&pf->text,
		"start=0x%lx end=0x%lx kind=summary rss_anon=%lu rss_file=%lu rss_shmem=%lu rss_swapents=%lu anon=%lu file=%lu shmem=%lu hugetlb=%lu zero=%lu special=%lu swap=%lu migration=%lu marker=%lu hwpoison=%lu other=%lu rss_exact=%d\n",
		pf->q.start, pf->q.end,
		pf->rss[MM_ANONPAGES], pf->rss[MM_FILEPAGES],
		pf->rss[MM_SHMEMPAGES], pf->rss[MM_SWAPENTS],
		c->anon, c->file, c->shmem, c->hugetlb, c->zero, c->special,
		c->swap, c->migration, c->marker, c->hwpoison, c->other,
		PTES_RSS_EXACT);
}

/*
 * Walk one budget's worth, under the mmap lock, into the buffer; the walk
 * gives the lock up early for anyone who waits (walk.yield_if_contended), and
 * the next call resumes at walk.addr in whatever the address space has
 * become meanwhile.
 */
static int ptes_walk_some(struct ptes_file *pf)
{
	int i, ret;

	if (!mmget_not_zero(pf->mm))
		return -ESRCH;
	ret = mmap_read_lock_killable(pf->mm);
	if (ret) {
		mmput(pf->mm);
		return ret;
	}
	ret = uffdscope_walk(&pf->walk);
	mmap_read_unlock(pf->mm);
	cond_resched();
	if (ret == 0) {
		pf->walk_done = true;
		for (i = 0; i < NR_MM_COUNTERS; i++)
			pf->rss[i] = uffdscope_mm_counter(pf->mm, i);
	}
	mmput(pf->mm);
	return ret < 0 ? ret : 0;
}

static int ptes_fill(struct ptes_file *pf)
{
	int err;

	if (!pf->walk_done)
		return ptes_walk_some(pf);
	/* the binary answer has no summary: the text answer gives it */
	err = pf->q.bin ? 0 : emit_summary(pf);
	if (!err)
		pf->finished = true;
	return 0;
}

static int ptes_fill_ctx(void *ctx)
{
	return ptes_fill(ctx);
}

static ssize_t ptes_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	struct ptes_file *pf = file->private_data;
	ssize_t ret;

	/* a descriptor handed to a process without the capability answers nothing */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (mutex_lock_interruptible(&pf->lock))
		return -EINTR;
	if (!pf->mm) {
		ret = -EINVAL;	/* nothing asked yet */
		goto out;
	}
	ret = uffdscope_answer_read(&pf->text, &pf->finished, ptes_fill_ctx, pf,
				    ubuf, count);
out:
	mutex_unlock(&pf->lock);
	return ret;
}

static void ptes_forget(struct ptes_file *pf)
{
	if (pf->mm)
		mmdrop(pf->mm);
	pf->mm = NULL;
}

static ssize_t ptes_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	struct ptes_file *pf = file->private_data;
	struct uffdscope_query q;
	struct mm_struct *mm;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = uffdscope_query_parse(ubuf, count,
				    UFFDSCOPE_KEY_PID | UFFDSCOPE_KEY_START |
				    UFFDSCOPE_KEY_END | UFFDSCOPE_KEY_LEN |
				    UFFDSCOPE_KEY_MODE | UFFDSCOPE_KEY_NONE |
				    UFFDSCOPE_KEY_RAW | UFFDSCOPE_KEY_FORMAT,
				    NULL, &q);
	if (err)
		return err;
	mm = uffdscope_query_mm(&q);
	if (IS_ERR(mm))
		return PTR_ERR(mm);

	if (mutex_lock_interruptible(&pf->lock)) {
		mmdrop(mm);
		return -EINTR;
	}
	ptes_forget(pf);
	pf->q = q;
	pf->mm = mm;
	memset(&pf->walk, 0, sizeof(pf->walk));
	pf->walk.mm = mm;
	pf->walk.addr = q.start;
	pf->walk.end = q.end;
	pf->walk.entry = q.bin ? ptes_record : ptes_line;
	pf->walk.private = pf;
	pf->walk.merge = !q.entries;
	pf->walk.yield_if_contended = true;
	memset(&pf->counts, 0, sizeof(pf->counts));
	pf->walk_done = false;
	pf->finished = false;
	pf->text.len = 0;
	pf->text.pos = 0;
	pf->text.unit = q.bin ? UFFDSCOPE_PTES_RECORD_SIZE : 0;
	if (q.bin)
		uffdscope_ptes_bin_header(&pf->text, &q);
	mutex_unlock(&pf->lock);
	return count;
}

static int ptes_open(struct inode *inode, struct file *file)
{
	struct ptes_file *pf;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	pf = kzalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;
	err = uffdscope_text_alloc(&pf->text, PTES_BUF_SIZE);
	if (err) {
		kfree(pf);
		return err;
	}
	mutex_init(&pf->lock);
	file->private_data = pf;
	return stream_open(inode, file);
}

static int ptes_release(struct inode *inode, struct file *file)
{
	struct ptes_file *pf = file->private_data;

	ptes_forget(pf);
	uffdscope_text_free(&pf->text);
	mutex_destroy(&pf->lock);
	kfree(pf);
	return 0;
}

static const struct file_operations ptes_fops = {
	.owner = THIS_MODULE,
	.open = ptes_open,
	.read = ptes_read,
	.write = ptes_write,
	.release = ptes_release,
};

int uffdscope_ptes_init(struct dentry *dir)
{
	struct dentry *d = debugfs_create_file("ptes", 0600, dir, NULL,
					       &ptes_fops);

	return PTR_ERR_OR_ZERO(d);
}
