// A small reader of the flattened device tree (Devicetree Specification,
// chapter "Flattened Devicetree (DTB) Format"): the /memory range, the hart
// ids under /cpus, the /reserved-memory children and the /memreserve/ block.
// The blob is read through the linear map, so it must lie inside RAM.
// Malformed or unsupported input ends in a panic that names the problem.
#include "defs.h"

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9
#define FDT_MAX_DEPTH  16

struct dtinfo dt;

static u32 be32(const u8 *p) { return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3]; }
static u64 be64(const u8 *p) { return (u64)be32(p) << 32 | be32(p + 4); }

// Reads a cells-wide big-endian number (1 or 2 cells).
static u64 read_cells(const u8 *p, u32 cells) {
  if (cells == 1) return be32(p);
  if (cells == 2) return be64(p);
  panic("dt: unsupported cell count %u (only 1 or 2)", cells);
}

// One open node while walking: its name, the cell sizes it sets for its
// children, and the properties we need from it.
struct dt_node {
  const char *name;
  u32 address_cells, size_cells;   // for children; spec defaults 2 and 1
  const u8 *reg;
  u32 reg_len;
  bool is_cpu, is_memory, disabled;
};

static bool name_is(const char *name, const char *base) {
  size_t n = strlen(base);
  return strncmp(name, base, n) == 0 && (name[n] == 0 || name[n] == '@');
}

static void add_reserved(u64 base, u64 size) {
  if (size == 0) return;
  if (dt.nreserved == DT_MAX_RESERVED) panic("dt: more than %d reserved ranges", DT_MAX_RESERVED);
  dt.reserved[dt.nreserved++] = (struct range){ base, size };
}

// Acts on a node when it closes (all its properties have been seen).
static void node_done(struct dt_node *stack, int depth) {
  struct dt_node *n = &stack[depth], *parent = &stack[depth - 1];
  u32 ac = parent->address_cells, sc = parent->size_cells;
  u32 entry = 4 * (ac + sc);
  if (depth == 1 && n->is_memory) {
    if (!n->reg || n->reg_len < entry) panic("dt: /%s has no usable reg", n->name);
    if (dt.ram_size != 0 || n->reg_len > entry) panic("dt: more than one RAM range (unsupported)");
    dt.ram_base = read_cells(n->reg, ac);
    dt.ram_size = read_cells(n->reg + 4 * ac, sc);
  } else if (depth == 2 && n->is_cpu && name_is(parent->name, "cpus") && !n->disabled) {
    if (!n->reg || n->reg_len < 4 * ac) panic("dt: /cpus/%s has no reg", n->name);
    if (dt.nharts == MAX_HARTS) panic("too many harts: more than %d in the device tree", MAX_HARTS);
    dt.hartids[dt.nharts++] = read_cells(n->reg, ac);
  } else if (depth == 2 && name_is(parent->name, "reserved-memory") && n->reg) {
    for (u32 off = 0; off + entry <= n->reg_len; off += entry)
      add_reserved(read_cells(n->reg + off, ac), read_cells(n->reg + off + 4 * ac, sc));
  }
}

static void prop(struct dt_node *n, const char *name, const u8 *val, u32 len) {
  if (strcmp(name, "#address-cells") == 0 && len == 4) n->address_cells = be32(val);
  else if (strcmp(name, "#size-cells") == 0 && len == 4) n->size_cells = be32(val);
  else if (strcmp(name, "reg") == 0) n->reg = val, n->reg_len = len;
  else if (strcmp(name, "device_type") == 0) {
    n->is_cpu = strcmp((const char *)val, "cpu") == 0;
    n->is_memory = strcmp((const char *)val, "memory") == 0;
  } else if (strcmp(name, "status") == 0) n->disabled = strcmp((const char *)val, "disabled") == 0;
}

// dt_parse: fills dt from the blob at physical address dtb_pa.
void dt_parse(u64 dtb_pa) {
  if (dtb_pa < ram_base || dtb_pa + 40 > ram_base + ram_size || dtb_pa % 8)
    panic("dt: blob at %p is not 8-byte aligned inside RAM", dtb_pa);
  const u8 *fdt = (const u8 *)pa2lin(dtb_pa);
  if (be32(fdt) != FDT_MAGIC) panic("dt: bad magic %x at %p", be32(fdt), dtb_pa);
  dt.dtb_size = be32(fdt + 4);
  if (dtb_pa + dt.dtb_size > ram_base + ram_size) panic("dt: blob of %lu bytes runs past RAM", dt.dtb_size);
  if (be32(fdt + 20) < 17) panic("dt: version %u < 17 (size_dt_struct needed)", be32(fdt + 20));
  const u8 *p = fdt + be32(fdt + 8), *end = p + be32(fdt + 36);
  const char *strings = (const char *)fdt + be32(fdt + 12);

  for (const u8 *r = fdt + be32(fdt + 16); be64(r) || be64(r + 8); r += 16) add_reserved(be64(r), be64(r + 8));

  struct dt_node stack[FDT_MAX_DEPTH];
  int depth = -1;
  while (p < end) {
    u32 token = be32(p);
    p += 4;
    if (token == FDT_BEGIN_NODE) {
      if (++depth == FDT_MAX_DEPTH) panic("dt: nesting deeper than %d", FDT_MAX_DEPTH);
      stack[depth] = (struct dt_node){ .name = (const char *)p, .address_cells = 2, .size_cells = 1 };
      p += (strlen((const char *)p) + 4) & ~3UL;
    } else if (token == FDT_END_NODE) {
      if (depth < 0) panic("dt: unbalanced end of node");
      if (depth > 0) node_done(stack, depth);
      depth--;
    } else if (token == FDT_PROP) {
      u32 len = be32(p), nameoff = be32(p + 4);
      if (depth < 0) panic("dt: property outside any node");
      prop(&stack[depth], strings + nameoff, p + 8, len);
      p += 8 + ((len + 3) & ~3U);
    } else if (token == FDT_END) {
      break;
    } else if (token != FDT_NOP) {
      panic("dt: bad token %u", token);
    }
  }
  if (dt.ram_size == 0) panic("dt: no /memory node");
  if (dt.nharts == 0) panic("dt: no harts under /cpus");
}
