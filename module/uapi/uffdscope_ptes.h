/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The binary answer of the `ptes` file (query key format=bin), shared by the
 * module and the programs that read it. Every field is little-endian; the
 * meaning of each is in Documentation/debugfs-abi.rst, "Binary answer".
 *
 * The stream is one header, then one record per line the text answer would
 * have (no summary). The header fills one record slot, so the stream is
 * made of record_size-byte slots and a read() returns whole slots only.
 *
 * Flags are hex constants, not BIT(): user space has no BIT().
 *
 * Version rule: fields are only ever appended (record_size grows) and new
 * flag bits and kind values only added; a reader steps by the header's
 * record_size, ignores the bytes past the fields it knows, ignores flag bits
 * it does not know and skips records of kinds it does not know. A change a
 * reader could not ignore gets a new version; refuse a version you do not
 * know.
 */
#ifndef _UAPI_UFFDSCOPE_PTES_H
#define _UAPI_UFFDSCOPE_PTES_H

#include <linux/types.h>

#define UFFDSCOPE_PTES_MAGIC	0x53444655	/* the bytes "UFDS" */
#define UFFDSCOPE_PTES_VERSION	1

/* uffdscope_ptes_header.flags: the query's options */
#define UFFDSCOPE_PTES_HDR_RAW		0x0001	/* raw=1: pfn and raw filled */
#define UFFDSCOPE_PTES_HDR_ENTRIES	0x0002	/* mode=entries */
#define UFFDSCOPE_PTES_HDR_NONE		0x0004	/* none=1: none entries reported */

struct uffdscope_ptes_header {
	__le32 magic;		/* UFFDSCOPE_PTES_MAGIC */
	__le16 version;		/* UFFDSCOPE_PTES_VERSION */
	__le16 record_size;	/* bytes per record, and of this header's slot */
	__le32 page_size;	/* the target kernel's PAGE_SIZE */
	__le32 flags;		/* UFFDSCOPE_PTES_HDR_* */
	__le64 start;		/* the query's range, page-aligned */
	__le64 end;
	__le64 reserved[2];	/* 0 */
};

/* uffdscope_ptes_record.level: where the walk found the entry */
enum uffdscope_ptes_level {
	UFFDSCOPE_PTES_LEVEL_PTE,
	UFFDSCOPE_PTES_LEVEL_PMD,
	UFFDSCOPE_PTES_LEVEL_PUD,
	UFFDSCOPE_PTES_LEVEL_P4D,
	UFFDSCOPE_PTES_LEVEL_PGD,
};

/* uffdscope_ptes_record.kind, the text answer's kind= */
enum uffdscope_ptes_kind {
	UFFDSCOPE_PTES_KIND_NONE,
	UFFDSCOPE_PTES_KIND_PRESENT,
	UFFDSCOPE_PTES_KIND_SWAP,
	UFFDSCOPE_PTES_KIND_MIGRATION,
	UFFDSCOPE_PTES_KIND_HWPOISON,
	UFFDSCOPE_PTES_KIND_MARKER,
	UFFDSCOPE_PTES_KIND_DEVICE_PRIVATE,
	UFFDSCOPE_PTES_KIND_DEVICE_EXCLUSIVE,
	UFFDSCOPE_PTES_KIND_BAD,
	UFFDSCOPE_PTES_KIND_UNKNOWN,
};

/* uffdscope_ptes_record.backing (present only; NONE for other kinds) */
enum uffdscope_ptes_backing {
	UFFDSCOPE_PTES_BACKING_NONE,
	UFFDSCOPE_PTES_BACKING_ANON,
	UFFDSCOPE_PTES_BACKING_SHMEM,
	UFFDSCOPE_PTES_BACKING_FILE,
	UFFDSCOPE_PTES_BACKING_HUGETLB,
	UFFDSCOPE_PTES_BACKING_ZERO,
	UFFDSCOPE_PTES_BACKING_SPECIAL,
};

/* uffdscope_ptes_record.protnone (present only) */
enum uffdscope_ptes_protnone {
	UFFDSCOPE_PTES_PROTNONE_NO,
	UFFDSCOPE_PTES_PROTNONE_VMA,
	UFFDSCOPE_PTES_PROTNONE_NUMA_HINT,
	UFFDSCOPE_PTES_PROTNONE_UFFD_RWP,
};

/*
 * uffdscope_ptes_record.flags: the text answer's 0/1 fields. A bit the
 * record's kind has no text field for is 0.
 */
#define UFFDSCOPE_PTES_WRITE		0x0001	/* present, migration, device */
#define UFFDSCOPE_PTES_DIRTY		0x0002	/* present */
#define UFFDSCOPE_PTES_YOUNG		0x0004	/* present */
#define UFFDSCOPE_PTES_UFFD_WP		0x0008	/* all but none, bad, unknown */
#define UFFDSCOPE_PTES_UFFD_RWP		0x0010	/* present, swap */
#define UFFDSCOPE_PTES_EXCLUSIVE	0x0020	/* swap, migration, device */
#define UFFDSCOPE_PTES_CONT		0x0040	/* present: arm64 contiguous */
#define UFFDSCOPE_PTES_MARKER_UFFD_WP	0x0080	/* marker */
#define UFFDSCOPE_PTES_MARKER_POISONED	0x0100	/* marker */
#define UFFDSCOPE_PTES_MARKER_GUARD	0x0200	/* marker */
#define UFFDSCOPE_PTES_HUGETLB		0x0400	/* any kind: a hugetlb VMA */
#define UFFDSCOPE_PTES_HAS_PFN		0x0800	/* value is a pfn (raw=1) */

struct uffdscope_ptes_record {
	__le64 start;		/* first address of the run */
	__le64 end;		/* end of the run, exclusive */
	__le64 count;		/* page-table entries in the run */
	/*
	 * By kind: the pfn of the page at start (present, migration, device,
	 * hwpoison; only with raw=1, else 0), swp_offset (swap), the marker
	 * bits (marker), 0 for the others.
	 */
	__le64 value;
	__le64 raw;		/* the first entry as the MMU sees it; raw=1 only */
	__u8 level;		/* enum uffdscope_ptes_level */
	__u8 kind;		/* enum uffdscope_ptes_kind */
	__u8 backing;		/* enum uffdscope_ptes_backing */
	__u8 order;		/* present: folio_order(), 0 without a folio */
	__u8 protnone;		/* enum uffdscope_ptes_protnone */
	__u8 swp_type;		/* swap, unknown */
	__le16 flags;		/* UFFDSCOPE_PTES_* bits above */
};

#endif /* _UAPI_UFFDSCOPE_PTES_H */
