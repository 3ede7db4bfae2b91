/**
 * What makes a function's text matter to DMA ownership: the program builder (extract.ts) builds a function whose
 * text matches, and the parse keeps its body (skipped-bodies.ts). One pattern for both, so the parser never skips a
 * body the builder would build.
 */

/** A function mentioning one of these may matter (extract.ts INTEREST plus MMIO and registration names). */
export const RELEVANT_FUNCTION = /iommu|IOMMU|_driver|bus_type|dma_|dmam_|DMA_|vfio|pasid|ioremap|iomap|reset_function|set_master|request_region|devm_add_action/;
