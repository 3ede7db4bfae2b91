/** What a file is to the ownership rules: the API's implementation and bus code, or a driver that must obey them. */
import type { CFacts } from '../types';
import { OWNERSHIP_API } from './vocabulary';

/**
 * Functions whose definition makes a file the implementation of the ownership API (drivers/iommu/iommu.c,
 * iommu-sva.c, and the series postings' equivalents). Defining one of these is what "core" means; the rest of
 * drivers/iommu/ (iommufd, IOMMU drivers) calls the API like any driver and is reviewed like one.
 */
const OWNERSHIP_API_IMPLEMENTATION = new Set(Object.entries(OWNERSHIP_API).filter(([, e]) => e.role !== 'owner-status').map(([name]) => name));

/**
 * The implementation of the ownership API and of the bus hooks is not a driver: it implements the rules rather than
 * obeys them. That is: include/linux/iommu.h (the stubs), the driver core's probe path (drivers/base/dd.c), a file
 * defining an ownership API function, and bus code defining dma_configure/dma_cleanup hooks. Nothing else of
 * drivers/iommu/ is exempt (iommufd's claimers are reviewed).
 */
export function isCoreOrBusCode(facts: CFacts): boolean {
  const p = facts.path.replace(/\\/g, '/');
  if (/(^|\/)include\/linux\/iommu\.h$/.test(p) || /(^|\/)drivers\/base\/dd\.c$/.test(p)) return true;
  // The API's own files, also when a patch hunk shows none of the definitions.
  if (/(^|\/)drivers\/iommu\/(iommu|iommu-sva)\.c$/.test(p)) return true;
  if (facts.functions.some((f) => OWNERSHIP_API_IMPLEMENTATION.has(f.name))) return true;
  if (facts.busTypes.some((b) => b.dmaConfigure !== undefined || b.dmaCleanup !== undefined || b.dmaUnconfigure !== undefined)) return true;
  // A bus hook takes just the device; dmaengine drivers have *_dma_configure helpers with other signatures.
  return facts.functions.some(
    (f) =>
      /_dma_(configure|cleanup|unconfigure)$/.test(f.name) &&
      (f.params.length === 0 || (f.params.length === 1 && /\bstruct\s+device\s*\*/.test(f.params[0].type))),
  );
}
