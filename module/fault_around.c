// SPDX-License-Identifier: GPL-2.0
/*
 * The `faultaround` debugfs file: will a read fault at ADDR of a process
 * fault around (map the neighbouring page-cache pages too), how far, and why.
 * It follows do_read_fault(), should_fault_around() and do_fault_around() of
 * mm/memory.c, which agree on 6.1 and 6.12: a VMA whose vm_ops have
 * ->map_pages, not registered with userfaultfd WP or MINOR
 * (uffd_disable_fault_around(); MISSING does not count), and
 * fault_around_bytes above one page; the window is the fault_around_bytes
 * block holding ADDR, clipped to the VMA and to ADDR's page table.
 * Documentation/collapse-verdicts.rst describes the format.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>
#include <linux/xarray.h>

#include "answer_file.h"
#include "fault_around.h"
#include "walk.h"

/* mm/memory.c's default, assumed when the asker does not pass the value */
#define FAULT_AROUND_DEFAULT 65536UL

struct around {
	unsigned long start, end;	/* the window */
	unsigned long addr;
	bool fault;			/* the PTE at addr is none: a read faults */
	const char *pte_state;		/* what is at addr */
	unsigned int pte_none;		/* none PTEs in the window */
	u8 none[PTRS_PER_PTE];		/* per window page: PTE none */
};

/*
 * fault_around_bytes is a static of mm/memory.c, exported nowhere, and the
 * kernel cannot read its own debugfs attribute (kernel_read() refuses files
 * without ->read_iter). So the asker passes it, read from debugfs; without it
 * the kernel's default is assumed, and the answer says so. Normalised as
 * fault_around_bytes_set() does: a power of two, one page at least.
 */
static int fault_around_pages(const struct uffdscope_ask *ask, unsigned long *pages)
{
	unsigned long bytes = ask->has_extra ? ask->extra : FAULT_AROUND_DEFAULT;

	if (bytes / PAGE_SIZE > PTRS_PER_PTE)
		return -EINVAL;
	*pages = bytes >= PAGE_SIZE ? rounddown_pow_of_two(bytes) >> PAGE_SHIFT : 1;
	return 0;
}

static int around_entry(struct uffdscope_walk *w, const struct uffdscope_entry *e)
{
	struct around *a = w->private;
	unsigned long p, end = e->addr + e->size;

	for (p = e->addr; p < end; p += PAGE_SIZE) {
		bool none = e->kind == UFFDSCOPE_NONE;

		if (p == a->addr) {
			/* none at any level faults; anything else is handled otherwise */
			a->fault = none;
			a->pte_state = uffdscope_kind_name(e->kind);
		}
		if (p >= a->start && p < a->end && none) {
			a->none[(p - a->start) >> PAGE_SHIFT] = 1;
			a->pte_none++;
		}
	}
	return 0;
}

static int around_walk(struct mm_struct *mm, struct around *a)
{
	struct uffdscope_walk w = {
		.mm = mm, .addr = a->start, .end = a->end,
		.entry = around_entry, .private = a,
	};
	unsigned int rounds = 0;
	int ret;

	do {
		ret = uffdscope_walk(&w);
	} while (ret == UFFDSCOPE_WALK_MORE && ++rounds < 64);
	return ret > 0 ? -EAGAIN : ret;
}

/*
 * Of the window's none PTEs, how many have an uptodate folio in the page
 * cache: what ->map_pages() (filemap_map_pages()) may map. An estimate, read
 * under RCU without references: locked or racing folios are skipped there.
 */
static unsigned int count_mappable(struct vm_area_struct *vma, const struct around *a)
{
	struct address_space *mapping = vma->vm_file->f_mapping;
	pgoff_t first = linear_page_index(vma, a->start);
	pgoff_t last = first + ((a->end - a->start) >> PAGE_SHIFT) - 1;
	XA_STATE(xas, &mapping->i_pages, first);
	unsigned int n = 0;
	struct folio *folio;

	rcu_read_lock();
	xas_for_each(&xas, folio, last) {
		pgoff_t i, from, to;

		if (xas_retry(&xas, folio) || xa_is_value(folio))
			continue;
		if (!folio_test_uptodate(folio))
			continue;
		from = max(folio->index, first);
		to = min(folio->index + folio_nr_pages(folio) - 1, last);
		for (i = from; i <= to; i++)
			n += a->none[i - first];
	}
	rcu_read_unlock();
	return n;
}

static const char *vma_kind(struct vm_area_struct *vma)
{
	return uffdscope_backing_name(uffdscope_vma_backing(vma));
}

static ssize_t around_answer(struct mm_struct *mm, const struct uffdscope_ask *ask,
			     char *buf, size_t size)
{
	unsigned long addr = ask->addr, nr, block;
	pid_t pid = ask->pid;
	struct vm_area_struct *vma;
	const char *why = NULL;
	struct around *a;
	bool map_pages, missing;
	unsigned int mappable = 0;
	ssize_t n = 0;
	int err;

	err = fault_around_pages(ask, &nr);
	if (err)
		return err;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	err = mmap_read_lock_killable(mm);
	if (err)
		goto out_free;
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr) {
		mmap_read_unlock(mm);
		n = scnprintf(buf, size,
			      "pid=%d addr=0x%lx\nfault=0 fault_around=0 why=address not mapped\n",
			      pid, addr);
		goto out_free;
	}
	map_pages = vma->vm_ops && vma->vm_ops->map_pages;

	/* The window do_fault_around() would use, and the PTEs in it. */
	block = nr > 1 ? nr << PAGE_SHIFT : PAGE_SIZE;
	a->addr = addr;
	a->start = max(ALIGN_DOWN(addr, block), vma->vm_start);
	a->end = min3(a->start + block, ALIGN_DOWN(a->start, PMD_SIZE) + PMD_SIZE, vma->vm_end);
	a->pte_state = "none";
	err = around_walk(mm, a);
	if (err) {
		mmap_read_unlock(mm);
		goto out_free;
	}

	if (!a->fault)
		why = "no read fault here: the entry is not none";
	else if (vma_is_anonymous(vma))
		why = "anonymous memory: a read fault maps the zero page, nothing around";
	else if (!map_pages)
		why = "the VMA's vm_ops have no ->map_pages";
	else if (uffd_disable_fault_around(vma))
		why = "registered userfaultfd WP or MINOR (uffd_disable_fault_around)";
	else if (nr <= 1)
		why = "fault_around_bytes is one page";
	else
		mappable = count_mappable(vma, a);

	missing = userfaultfd_missing(vma);
	n += scnprintf(buf + n, size - n,
		       "pid=%d addr=0x%lx vma=%s uffd_missing=%d uffd_wp=%d uffd_minor=%d map_pages=%d fault_around_bytes=%lu%s\n",
		       pid, addr, vma_kind(vma), missing, userfaultfd_wp(vma),
		       userfaultfd_minor(vma), map_pages, nr << PAGE_SHIFT,
		       ask->has_extra ? "" : " assumed=1");
	mmap_read_unlock(mm);
	if (why)
		n += scnprintf(buf + n, size - n,
			       "fault=%d entry=%s fault_around=0 pages=%d why=%s\n",
			       a->fault, a->pte_state, a->fault ? 1 : 0, why);
	else
		n += scnprintf(buf + n, size - n,
			       "fault=1 entry=%s fault_around=1 start=0x%lx end=0x%lx window=%lu none=%u would_map=%u why=%s\n",
			       a->pte_state, a->start, a->end, (a->end - a->start) >> PAGE_SHIFT,
			       a->pte_none, mappable,
			       missing ? "MISSING does not disable fault-around" :
			       "file VMA with ->map_pages");
out_free:
	kfree(a);
	return err ? err : n;
}

static const struct uffdscope_question around_question = {
	.name = "faultaround",
	.extra_key = "fault_around_bytes",
	.answer = around_answer,
};

int uffdscope_fault_around_init(struct dentry *dir)
{
	return uffdscope_answer_file_create(&around_question, dir);
}
