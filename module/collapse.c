// SPDX-License-Identifier: GPL-2.0
/*
 * The `collapse` debugfs file. Write "pid=PID start=ADDR"; read back what
 * MADV_COLLAPSE of the PMD range holding ADDR in that process would return on
 * this kernel, the SCAN_* result that decides it, and every input counted.
 * Documentation/collapse-verdicts.rst describes the format.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/utsname.h>

#include "answer_file.h"
#include "collapse.h"

static const char * const pmd_names[] = {
	[CPMD_NO_TABLE] = "no_table", [CPMD_NONE] = "none",
	[CPMD_TABLE] = "table", [CPMD_HUGE] = "huge", [CPMD_OTHER] = "other",
};

static const char * const backing_names[] = {
	[CB_ANON] = "anon", [CB_SHMEM] = "shmem", [CB_FILE] = "file", [CB_OTHER] = "other",
};

static const char *errno_name(int err)
{
	switch (err) {
	case 0:
		return "0";
	case -EBUSY:
		return "EBUSY";
	case -EAGAIN:
		return "EAGAIN";
	case -EINVAL:
		return "EINVAL";
	case -ENOMEM:
		return "ENOMEM";
	default:
		return "unknown";
	}
}

static size_t format_answer(char *buf, size_t size, pid_t pid, unsigned long addr,
			    const struct collapse_inputs *in,
			    const struct collapse_verdict *v)
{
	size_t n = 0;

	n += scnprintf(buf + n, size - n, "pid=%d addr=0x%lx start=0x%lx end=0x%lx\n",
		       pid, addr, in->haddr, in->haddr + PMD_SIZE);
	n += scnprintf(buf + n, size - n, "kernel=%s rules=%s\n", init_utsname()->release,
		       COLLAPSE_RULES_NAME);
	n += scnprintf(buf + n, size - n,
		       "vma=%s shared=%d anon_vma=%d uffd_missing=%d uffd_wp=%d uffd_minor=%d uffd_rwp=%d range_in_vma=%d thp_eligible=%d\n",
		       backing_names[in->backing], in->shared, in->anon_vma, in->uffd_missing,
		       in->uffd_wp, in->uffd_minor, in->uffd_rwp, in->range_in_vma,
		       !in->ineligible);
	n += scnprintf(buf + n, size - n,
		       "pmd=%s none=%u zero=%u anon=%u file=%u nopage=%u swap=%u marker=%u other=%u writable=%u uffd_wp=%u marker_wp=%u uffd_rwp=%u marker_guard=%u\n",
		       pmd_names[in->pmd], in->nr[CP_NONE], in->nr[CP_ZERO], in->nr[CP_ANON],
		       in->nr[CP_FILE], in->nr[CP_NOPAGE], in->nr[CP_SWAP], in->nr[CP_MARKER],
		       in->nr[CP_OTHER_NONPRESENT], in->nr_write, in->nr_uffd_wp,
		       in->nr_marker_wp, in->nr_uffd_rwp, in->nr_marker_guard);
	if (in->backing == CB_SHMEM)
		n += scnprintf(buf + n, size - n,
			       "pc_present=%u pc_swap=%u pc_holes=%u pc_huge=%d pc_compound=%u pc_not_uptodate=%u missing_mappings=%u\n",
			       in->pc_present, in->pc_swap, in->pc_holes, in->pc_huge,
			       in->pc_compound, in->pc_not_uptodate, in->missing_mappings);
	n += scnprintf(buf + n, size - n, "rss_anon=%ld rss_file=%ld rss_shmem=%ld rss_swap=%ld\n",
		       in->rss_anon, in->rss_file, in->rss_shmem, in->rss_swap);
	n += scnprintf(buf + n, size - n, "verdict=%s scan=%s why=%s\n",
		       v->err > 0 ? "unknown" : errno_name(v->err), v->scan, v->why);
	return n;
}

/* The `collapse` question: what MADV_COLLAPSE of the PMD range at @addr returns. */
static ssize_t collapse_answer(struct mm_struct *mm, const struct uffdscope_ask *ask,
			       char *buf, size_t size)
{
	unsigned long addr = ask->addr;
	pid_t pid = ask->pid;
	struct collapse_verdict verdict;
	struct collapse_inputs *in;
	struct vm_area_struct *vma;
	ssize_t ret;

	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	ret = mmap_read_lock_killable(mm);
	if (ret)
		goto out_free;
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr) {
		/* madvise() says ENOMEM for an unmapped range */
		mmap_read_unlock(mm);
		ret = scnprintf(buf, size,
				"pid=%d addr=0x%lx\nverdict=ENOMEM scan=none why=address not mapped\n",
				pid, addr);
		goto out_free;
	}
	ret = collapse_gather(mm, vma, addr, in);
	mmap_read_unlock(mm);
	if (ret)
		goto out_free;
	collapse_predict(in, &verdict);
	ret = format_answer(buf, size, pid, addr, in, &verdict);
out_free:
	kfree(in);
	return ret;
}

static const struct uffdscope_question collapse_question = {
	.name = "collapse",
	.answer = collapse_answer,
};

int uffdscope_collapse_init(struct dentry *dir)
{
	return uffdscope_answer_file_create(&collapse_question, dir);
}
