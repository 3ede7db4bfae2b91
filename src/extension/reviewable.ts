/** Which documents the extension reviews (no 'vscode' import). */
import * as path from 'path';

export type ReviewKind = 'patch' | 'c';

const PATCH_EXTENSIONS = new Set(['.patch', '.diff', '.mbox', '.mbx', '.eml']);
const C_EXTENSIONS = new Set(['.c', '.h']);
export const PATCH_LANGUAGES = ['diff', 'patch-mail'] as const;

/** Patch mail (diff, patch-mail languages or patch extensions) or C source (language c, or a .h/.c file shown as cpp). */
export function reviewKind(languageId: string, fileName: string): ReviewKind | undefined {
  const ext = path.extname(fileName).toLowerCase();
  if ((PATCH_LANGUAGES as readonly string[]).includes(languageId)) return 'patch';
  if (languageId === 'c') return 'c';
  if (languageId === 'cpp' && C_EXTENSIONS.has(ext)) return 'c';
  if (languageId === 'plaintext' && PATCH_EXTENSIONS.has(ext)) return 'patch';
  return undefined;
}

/** For files not open in an editor (explorer, file picker). */
export function reviewKindOfPath(fileName: string): ReviewKind | undefined {
  const ext = path.extname(fileName).toLowerCase();
  if (PATCH_EXTENSIONS.has(ext)) return 'patch';
  if (C_EXTENSIONS.has(ext)) return 'c';
  return undefined;
}
