/** Tier-2/3 rules, second half: attach/detach pairing, private domains, group attach, removed notifier, PASID rules, probe defer. */
import type { Rule } from './types';
import { detachWrongDomain } from './detach-wrong-domain';
import { privateDomainWithDmaApi } from './private-domain-with-dma-api';
import { attachGroupWithoutOwnership } from './attach-group-without-ownership';
import { removedGroupNotifier } from './removed-group-notifier';
import { pasidDetachMismatch } from './pasid-detach-mismatch';
import { pasidOwnershipOrder } from './pasid-ownership-order';
import { pasidStoredInDomain } from './pasid-stored-in-domain';
import { invalidPasid } from './invalid-pasid';
import { defaultDomainProbeDefer } from './default-domain-probe-defer';

export const TIER2B_RULES: readonly Rule[] = [
  detachWrongDomain,
  privateDomainWithDmaApi,
  attachGroupWithoutOwnership,
  removedGroupNotifier,
  pasidDetachMismatch,
  pasidOwnershipOrder,
  pasidStoredInDomain,
  invalidPasid,
  defaultDomainProbeDefer,
];
