/**
 * The one table from translation failures to exceptions (privileged spec
 * 1.12, 4.3.2): a failed implicit PTE access is an access fault, every other
 * failure a page fault, each of the original access's kind.
 */
import { Exception } from '../hart/causes.js';
import type { Access } from '../hart/pmp.js';
import type { TranslationError } from './walk.js';

const PAGE_FAULT = [Exception.InstructionPageFault, Exception.LoadPageFault, Exception.StorePageFault, Exception.StorePageFault] as const;
const ACCESS_FAULT = [Exception.InstructionAccessFault, Exception.LoadAccessFault, Exception.StoreAccessFault, Exception.StoreAccessFault] as const;
const MISALIGNED = [Exception.InstructionAddressMisaligned, Exception.LoadAddressMisaligned, Exception.StoreAddressMisaligned, Exception.StoreAddressMisaligned] as const;

const ERROR_KIND: Record<TranslationError, 'page' | 'access'> = {
  'non-canonical address': 'page',
  'PTE access fault': 'access',
  'invalid PTE': 'page',
  'reserved PTE bits': 'page',
  'write without read': 'page',
  'no leaf PTE': 'page',
  'misaligned superpage': 'page',
  'no permission': 'page',
  'A/D update needed (Svade)': 'page',
  'physical address out of range': 'access',
  'guest physical address out of range': 'page',
};

const GUEST_PAGE_FAULT = [Exception.InstructionGuestPageFault, Exception.LoadGuestPageFault, Exception.StoreGuestPageFault, Exception.StoreGuestPageFault] as const;

/** A G-stage failure (privileged spec 1.12, 8.5.1): a guest-page fault, except a refused PTE access, an access fault. */
export function gStageException(error: TranslationError, access: Access): number {
  return ERROR_KIND[error] === 'page' ? GUEST_PAGE_FAULT[access] : ACCESS_FAULT[access];
}

export function translationException(error: TranslationError, access: Access): number {
  return ERROR_KIND[error] === 'page' ? PAGE_FAULT[access] : ACCESS_FAULT[access];
}

/** The access fault for a physical access PMP or the bus refused. */
export function accessFault(access: Access): number {
  return ACCESS_FAULT[access];
}

export function misalignedException(access: Access): number {
  return MISALIGNED[access];
}
