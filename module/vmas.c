// SPDX-License-Identifier: GPL-2.0
/*
 * The `vmas` file: write a query (pid, optional range), read one key=value
 * line per VMA overlapping it: range, protection, backing, userfaultfd
 * registration, anon_vma, and what decides THP eligibility. Format:
 * debugfs-abi.rst.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "decode.h"
#include "query.h"
#include "uffdscope.h"

#define VMAS_BUF_SIZE		(16 * 1024)
#define VMAS_PER_LOCK		64

struct vmas_file {
	struct mutex lock;		/* one reader or writer at a time */
	struct uffdscope_query q;
	struct mm_struct *mm;		/* mmgrab()bed; NULL: no query yet */
	unsigned long next;		/* where the next VMA is looked up */
	bool finished;
	struct uffdscope_text text;
};

static const char *thp_advice(struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_NOHUGEPAGE)
		return "nohugepage";
	if (vma->vm_flags & VM_HUGEPAGE)
		return "hugepage";
	return "none";
}

/*
 * Whether some PMD-aligned 2 MiB of the VMA could be mapped by one PMD: the
 * range holds an aligned PMD, and for files the page offset agrees with the
 * virtual address modulo the PMD (the kernel's thp_vma_suitable_order()).
 */
static bool thp_pmd_suitable(struct vm_area_struct *vma)
{
	unsigned long haddr = ALIGN(vma->vm_start, PMD_SIZE);

	if (haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end ||
	    haddr + PMD_SIZE < haddr)
		return false;
	if (!vma_is_anonymous(vma) &&
	    ((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff) &
	    ((PMD_SIZE >> PAGE_SHIFT) - 1))
		return false;
	return true;
}

static int emit_vma(struct vmas_file *vf, struct vm_area_struct *vma)
{
	unsigned long flags = vma->vm_flags;

	return uffdscope_text_printf(&vf->text,
		"start=0x%lx end=0x%lx prot=%c%c%c shared=%d backing=%s pgoff=0x%lx page_size=%lu vm_flags=0x%lx uffd_missing=%d uffd_wp=%d uffd_minor=%d uffd_rwp=%d anon_vma=%d thp_advice=%s thp_disabled_by_prctl=%d thp_disabled_unless_advised=%d thp_pmd_suitable=%d\n",
		vma->vm_start, vma->vm_end,
		flags & VM_READ ? 'r' : '-', flags & VM_WRITE ? 'w' : '-',
		flags & VM_EXEC ? 'x' : '-', !!(flags & VM_MAYSHARE),
		uffdscope_backing_name(uffdscope_vma_backing(vma)),
		vma->vm_pgoff, vma_kernel_pagesize(vma), flags,
		!!(flags & VM_UFFD_MISSING), !!(flags & VM_UFFD_WP),
		VM_UFFD_MINOR ? !!(flags & VM_UFFD_MINOR) : 0,
		uffdscope_vma_uffd_rwp(vma),
		!!vma->anon_vma, thp_advice(vma),
		uffdscope_thp_disabled_completely(vma->vm_mm),
		uffdscope_thp_disabled_unless_advised(vma->vm_mm),
		thp_pmd_suitable(vma));
}

/* Up to VMAS_PER_LOCK VMAs under one hold of the mmap lock. */
static int vmas_fill(struct vmas_file *vf)
{
	struct vm_area_struct *vma;
	int n, ret;

	if (!mmget_not_zero(vf->mm))
		return -ESRCH;
	ret = mmap_read_lock_killable(vf->mm);
	if (ret) {
		mmput(vf->mm);
		return ret;
	}
	for (n = 0; n < VMAS_PER_LOCK; n++) {
		vma = find_vma(vf->mm, vf->next);
		if (!vma || vma->vm_start >= vf->q.end) {
			vf->finished = true;
			break;
		}
		if (emit_vma(vf, vma))
			break;	/* full: this VMA again on the next read */
		vf->next = vma->vm_end;
	}
	mmap_read_unlock(vf->mm);
	mmput(vf->mm);
	return 0;
}

static int vmas_fill_ctx(void *ctx)
{
	return vmas_fill(ctx);
}

static ssize_t vmas_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	struct vmas_file *vf = file->private_data;
	ssize_t ret;

	/* a descriptor handed to a process without the capability answers nothing */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (mutex_lock_interruptible(&vf->lock))
		return -EINTR;
	if (!vf->mm) {
		ret = -EINVAL;	/* nothing asked yet */
		goto out;
	}
	ret = uffdscope_answer_read(&vf->text, &vf->finished, vmas_fill_ctx, vf,
				    ubuf, count);
out:
	mutex_unlock(&vf->lock);
	return ret;
}

static ssize_t vmas_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	struct vmas_file *vf = file->private_data;
	struct uffdscope_query q;
	struct mm_struct *mm;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = uffdscope_query_parse(ubuf, count,
				    UFFDSCOPE_KEY_PID | UFFDSCOPE_KEY_START |
				    UFFDSCOPE_KEY_END | UFFDSCOPE_KEY_LEN, NULL, &q);
	if (err)
		return err;
	mm = uffdscope_query_mm(&q);
	if (IS_ERR(mm))
		return PTR_ERR(mm);

	if (mutex_lock_interruptible(&vf->lock)) {
		mmdrop(mm);
		return -EINTR;
	}
	if (vf->mm)
		mmdrop(vf->mm);
	vf->q = q;
	vf->mm = mm;
	vf->next = q.start;
	vf->finished = false;
	vf->text.len = 0;
	vf->text.pos = 0;
	mutex_unlock(&vf->lock);
	return count;
}

static int vmas_open(struct inode *inode, struct file *file)
{
	struct vmas_file *vf;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;
	err = uffdscope_text_alloc(&vf->text, VMAS_BUF_SIZE);
	if (err) {
		kfree(vf);
		return err;
	}
	mutex_init(&vf->lock);
	file->private_data = vf;
	return stream_open(inode, file);
}

static int vmas_release(struct inode *inode, struct file *file)
{
	struct vmas_file *vf = file->private_data;

	if (vf->mm)
		mmdrop(vf->mm);
	uffdscope_text_free(&vf->text);
	mutex_destroy(&vf->lock);
	kfree(vf);
	return 0;
}

static const struct file_operations vmas_fops = {
	.owner = THIS_MODULE,
	.open = vmas_open,
	.read = vmas_read,
	.write = vmas_write,
	.release = vmas_release,
};

int uffdscope_vmas_init(struct dentry *dir)
{
	struct dentry *d = debugfs_create_file("vmas", 0600, dir, NULL,
					       &vmas_fops);

	return PTR_ERR_OR_ZERO(d);
}
