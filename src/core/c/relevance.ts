/**
 * What makes a view's or a function's text matter to DMA ownership. A view without a match of VIEW_OF_INTEREST is
 * not parsed (its facts are empty); in a view that is, the program builder (extract.ts) builds a function whose text
 * matches RELEVANT_FUNCTION, and the parse keeps its body (skipped-bodies.ts). One pattern for both, so the parser
 * never skips a body the builder would build.
 */
import { MANAGED_DMA_SPELLINGS } from './structs';

/**
 * A view naming none of these has nothing the facts record for the rules: no ownership, VFIO, iommufd or PASID
 * name, no spelling of the ownership flag, no bus or driver struct, no DMA-API call (call-names.ts DMA_API_CALL, the
 * mask setters), no bus DMA hook, no register mapping or function reset (a test checks the names the facts record).
 * `dma_` alone is not enough: `dma_addr_t` and register names such as `dma_addr_lo` are in most driver files and
 * name no call, and a patch's hunks that mention only them were parsed for nothing.
 */
export const VIEW_OF_INTEREST = new RegExp([
  String.raw`iommu|IOMMU|_driver|bus_type|\bdmam?_(?:map|unmap|alloc|pool|set_|coerce)|dma_(?:configure|cleanup|unconfigure)`,
  ...MANAGED_DMA_SPELLINGS,
  'vfio|VFIO|pasid|DMA_OWNER|ioremap|iomap|reset_function|set_master|request_region',
].join('|'));

/** A function mentioning one of these may matter (wider than VIEW_OF_INTEREST: any `dma_`, teardown actions). */
export const RELEVANT_FUNCTION = /iommu|IOMMU|_driver|bus_type|dma_|dmam_|DMA_|vfio|pasid|ioremap|iomap|reset_function|set_master|request_region|devm_add_action/;
