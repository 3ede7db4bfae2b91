/**
 * The call classes the C facts record besides the program (facts.dmaApi, facts.mmio). The simulation's vocabulary
 * (src/core/sim/vocabulary.ts) re-exports them with the narrower classes the rules ask about; they are defined here
 * because the extractor needs them and the C layer does not import the simulation.
 */

/** Every kernel DMA-API call: mappings, allocations, pools, masks, and bus mastering. */
export const DMA_API_CALL = /^(?:dma_map_\w+|dma_unmap_\w+|dma_alloc_\w+|dmam_alloc_\w+|dma_pool_\w+|dmam_pool_\w+|dma_set_mask\w*|dma_set_coherent_mask|pci_set_master|dma_alloc_noncoherent)$/;

/** Register mappings, function resets and region requests (what a driver that is not a placeholder does). */
export const MMIO_CALL = /^(?:ioremap\w*|devm_ioremap\w*|devm_platform_ioremap_resource\w*|devm_platform_get_and_ioremap_resource|pci_iomap\w*|pcim_iomap\w*|pci_ioremap\w*|of_iomap|pci_reset_function\w*|__pci_reset_function_locked|pci_request_regions|pcim_request_regions|pci_request_region)$/;
