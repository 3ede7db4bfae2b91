/** The tier-2/3 rules of the ownership/bus group (OWN002, 003, 004, 006, 007, 008, 011, 025, 026). */
import type { Rule } from './types';
import { driverManagedDmaWithDmaApi } from './driver-managed-dma-with-dma-api';
import { driverManagedDmaOnMmioDriver } from './driver-managed-dma-on-mmio-driver';
import { placeholderDriverWithoutFlag } from './placeholder-driver-without-flag';
import { mixedClaimGranularity } from './mixed-claim-granularity';
import { groupClaimOutsideVfio } from './group-claim-outside-vfio';
import { nullDmaOwnerCookie } from './null-dma-owner-cookie';
import { busWithoutOwnershipHooks } from './bus-without-ownership-hooks';
import { ownershipOnFakeGroup } from './ownership-on-fake-group';
import { uncheckedOwnershipReturn } from './unchecked-ownership-return';

export const TIER2A_RULES: readonly Rule[] = [
  driverManagedDmaWithDmaApi,
  driverManagedDmaOnMmioDriver,
  placeholderDriverWithoutFlag,
  mixedClaimGranularity,
  groupClaimOutsideVfio,
  nullDmaOwnerCookie,
  busWithoutOwnershipHooks,
  ownershipOnFakeGroup,
  uncheckedOwnershipReturn,
];
