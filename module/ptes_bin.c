// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding of `ptes` runs as binary records. The text answer spent half of a
 * dense dump's time formatting lines (debugfs-abi.rst, "Where a dense dump's
 * time went"); a record is a handful of stores.
 */
#include <linux/build_bug.h>
#include <linux/mm.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "compat.h"
#include "ptes_bin.h"

/* The uapi numbers are the decoder's own: a record copies them unchanged. */
static_assert(sizeof(struct uffdscope_ptes_header) == UFFDSCOPE_PTES_RECORD_SIZE);
static_assert(UFFDSCOPE_PTES_RECORD_SIZE == 48);
/*
 * No padding: a record stores every field of its slot and no memset() comes
 * first, and the buffer (kvmalloc()) is not zeroed, so a hole would copy
 * stale kernel memory to user space. The fields must fill the record.
 */
#define REC_FIELD(f)	sizeof_field(struct uffdscope_ptes_record, f)
static_assert(sizeof(struct uffdscope_ptes_record) == UFFDSCOPE_PTES_RECORD_SIZE);
static_assert(REC_FIELD(start) + REC_FIELD(end) + REC_FIELD(count) +
	      REC_FIELD(value) + REC_FIELD(raw) + REC_FIELD(level) +
	      REC_FIELD(kind) + REC_FIELD(backing) + REC_FIELD(order) +
	      REC_FIELD(protnone) + REC_FIELD(swp_type) + REC_FIELD(flags) ==
	      UFFDSCOPE_PTES_RECORD_SIZE);
#undef REC_FIELD
static_assert((int)UFFDSCOPE_PTES_LEVEL_PGD == (int)UFFDSCOPE_PGD);
static_assert((int)UFFDSCOPE_PTES_KIND_UNKNOWN == (int)UFFDSCOPE_UNKNOWN);
static_assert((int)UFFDSCOPE_PTES_KIND_MARKER == (int)UFFDSCOPE_MARKER);
static_assert((int)UFFDSCOPE_PTES_BACKING_SPECIAL ==
	      (int)UFFDSCOPE_BACKING_SPECIAL);
static_assert((int)UFFDSCOPE_PTES_PROTNONE_UFFD_RWP ==
	      (int)UFFDSCOPE_PROTNONE_UFFD_RWP);

/* A slot of the buffer, or NULL when it is full. */
static void *reserve_slot(struct uffdscope_text *t)
{
	void *slot;

	if (t->size - t->len < UFFDSCOPE_PTES_RECORD_SIZE)
		return NULL;
	slot = t->buf + t->len;
	t->len += UFFDSCOPE_PTES_RECORD_SIZE;
	return slot;
}

void uffdscope_ptes_bin_header(struct uffdscope_text *t,
			       const struct uffdscope_query *q)
{
	struct uffdscope_ptes_header *h = reserve_slot(t);
	u32 flags = 0;

	if (WARN_ON_ONCE(!h))
		return;
	if (q->raw)
		flags |= UFFDSCOPE_PTES_HDR_RAW;
	if (q->entries)
		flags |= UFFDSCOPE_PTES_HDR_ENTRIES;
	if (q->show_none)
		flags |= UFFDSCOPE_PTES_HDR_NONE;
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(UFFDSCOPE_PTES_MAGIC);
	h->version = cpu_to_le16(UFFDSCOPE_PTES_VERSION);
	h->record_size = cpu_to_le16(UFFDSCOPE_PTES_RECORD_SIZE);
	h->page_size = cpu_to_le32(PAGE_SIZE);
	h->flags = cpu_to_le32(flags);
	h->start = cpu_to_le64(q->start);
	h->end = cpu_to_le64(q->end);
}

static u16 bit_if(bool cond, u16 bit)
{
	return cond ? bit : 0;
}

/* The pfn, only when the query asked for pfns (@raw): the text's rule. */
static u16 put_pfn(u64 *value, const struct uffdscope_entry *e, bool raw)
{
	if (!raw)
		return 0;
	*value = e->pfn;
	return UFFDSCOPE_PTES_HAS_PFN;
}

/*
 * The same fields, kind by kind, as the text answer's put_kind_fields().
 * Every field of the slot is stored once (no memset first): this runs once
 * per run of a dense dump.
 */
int uffdscope_ptes_bin_record(struct uffdscope_text *t,
			      const struct uffdscope_entry *e, bool raw)
{
	struct uffdscope_ptes_record *r = reserve_slot(t);
	u16 flags = bit_if(e->hugetlb, UFFDSCOPE_PTES_HUGETLB);
	u8 backing = 0, order = 0, protnone = 0, swp_type = 0;
	u64 value = 0;

	if (!r)
		return -ENOSPC;
	switch (e->kind) {
	case UFFDSCOPE_PRESENT:
		backing = e->backing;
		order = e->order;
		protnone = e->protnone;
		flags |= bit_if(e->write, UFFDSCOPE_PTES_WRITE) |
			 bit_if(e->dirty, UFFDSCOPE_PTES_DIRTY) |
			 bit_if(e->young, UFFDSCOPE_PTES_YOUNG) |
			 bit_if(e->uffd_wp, UFFDSCOPE_PTES_UFFD_WP) |
			 bit_if(e->uffd_rwp, UFFDSCOPE_PTES_UFFD_RWP) |
			 bit_if(e->cont, UFFDSCOPE_PTES_CONT);
		flags |= put_pfn(&value, e, raw);
		break;
	case UFFDSCOPE_SWAP:
		swp_type = e->swp_type;
		value = e->swp_offset;
		flags |= bit_if(e->uffd_wp, UFFDSCOPE_PTES_UFFD_WP) |
			 bit_if(e->uffd_rwp, UFFDSCOPE_PTES_UFFD_RWP) |
			 bit_if(e->exclusive, UFFDSCOPE_PTES_EXCLUSIVE);
		break;
	case UFFDSCOPE_MARKER:
		value = e->marker;
		flags |= bit_if(e->marker & PTE_MARKER_UFFD_WP,
				UFFDSCOPE_PTES_MARKER_UFFD_WP) |
			 bit_if(e->marker & PTE_MARKER_POISONED,
				UFFDSCOPE_PTES_MARKER_POISONED) |
			 bit_if(e->marker & PTE_MARKER_GUARD,
				UFFDSCOPE_PTES_MARKER_GUARD) |
			 bit_if(e->uffd_wp, UFFDSCOPE_PTES_UFFD_WP);
		break;
	case UFFDSCOPE_MIGRATION:
	case UFFDSCOPE_DEVICE_PRIVATE:
	case UFFDSCOPE_DEVICE_EXCLUSIVE:
		flags |= bit_if(e->write, UFFDSCOPE_PTES_WRITE) |
			 bit_if(e->exclusive, UFFDSCOPE_PTES_EXCLUSIVE) |
			 bit_if(e->uffd_wp, UFFDSCOPE_PTES_UFFD_WP);
		flags |= put_pfn(&value, e, raw);
		break;
	case UFFDSCOPE_HWPOISON:
		flags |= bit_if(e->uffd_wp, UFFDSCOPE_PTES_UFFD_WP);
		flags |= put_pfn(&value, e, raw);
		break;
	case UFFDSCOPE_UNKNOWN:
		swp_type = e->swp_type;
		break;
	default:
		break;
	}
	r->start = cpu_to_le64(e->addr);
	r->end = cpu_to_le64(e->addr + e->size);
	r->count = cpu_to_le64(e->nr);
	r->value = cpu_to_le64(value);
	r->raw = cpu_to_le64(raw ? e->raw : 0);
	r->level = e->level;
	r->kind = e->kind;
	r->backing = backing;
	r->order = order;
	r->protnone = protnone;
	r->swp_type = swp_type;
	r->flags = cpu_to_le16(flags);
	return 0;
}
