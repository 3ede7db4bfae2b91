/**
 * OWN022 pasid-stored-in-domain: a new PASID-like member of struct iommu_domain. A domain can be attached to many
 * devices and PASIDs; the PASID belongs to each attachment (the attach call, later the attach handle).
 * Syntactic: it judges a declaration, which has no behaviour to replay.
 */
import type { ImageSpan, Patch } from '../core/types';
import { createRule } from './types';
import { keyOf } from './reports';

const DOMAIN_STRUCT = 'iommu_domain';
const PASIDISH = /pasid/i;

interface FieldDecl {
  name: string;
  span: ImageSpan;
}

export const pasidStoredInDomain = createRule({
  meta: {
    code: 'OWN022',
    name: 'pasid-stored-in-domain',
    category: 'pasid',
    defaultSeverity: 'warning',
    tier: 3,
    kind: 'syntactic',
    description: 'Adds a PASID member to struct iommu_domain; the PASID belongs to the attachment, not to the domain.',
    messages: {
      field:
        'struct iommu_domain gains the member {{name}}: a domain can be attached at many PASIDs on many devices, so a PASID stored in it is ambiguous (the design reviewers rejected).',
    },
  },
  check(ctx) {
    const found = new Map<number, FieldDecl>();
    for (const id of ctx.facts.identifiers) {
      if (id.role !== 'field-declaration' || id.inStruct !== DOMAIN_STRUCT || !PASIDISH.test(id.name)) continue;
      if (!ctx.isAdded(id.span)) continue;
      found.set(id.span.line, { name: id.name, span: id.span });
    }
    // Only the post-image gains members (the pre-image run must not see the added lines, or the finding looks pre-existing).
    const hunkDecls = ctx.facts.image === 'post' ? patchFieldDeclarations(ctx.patch, ctx.facts.path) : [];
    for (const decl of hunkDecls) {
      if (!found.has(decl.span.line) && PASIDISH.test(decl.name)) found.set(decl.span.line, decl);
    }
    for (const decl of [...found.values()].sort((a, b) => a.span.line - b.span.line)) {
      ctx.report({
        messageId: 'field',
        data: { name: decl.name },
        span: decl.span,
        key: keyOf('OWN022', DOMAIN_STRUCT, decl.name),
        fixes: [
          {
            title: 'Keep the PASID with the attachment',
            edits: [],
            suggestion:
              'allocate the PASID in the driver (iommu_alloc_global_pasid() for ENQCMD-style use) and pass it to iommu_attach_device_pasid(domain, dev, pasid); keep per-attachment data in the attach handle',
          },
        ],
      });
    }
  },
});

/**
 * Member declarations a patch adds inside `struct iommu_domain` when the struct's opening line is outside the hunk:
 * the hunk header names the struct (git's function context), and the hunk stays inside it until its closing brace.
 * Needed because a fragment that starts mid-struct gives the C parser no struct to put the members in.
 */
/** Per patch, its files with a hunk headed by the struct: the rule runs once per file of the patch, so a scan of
 *  every file each time would be quadratic (a diff adding 93k files). */
const domainHunkFiles = new WeakMap<Patch, Patch['files']>();

function patchFieldDeclarations(patch: Patch | undefined, path: string): FieldDecl[] {
  if (!patch) return [];
  let candidates = domainHunkFiles.get(patch);
  if (!candidates) {
    candidates = patch.files.filter((f) => f.hunks.some((h) => h.heading.includes(DOMAIN_STRUCT)));
    domainHunkFiles.set(patch, candidates);
  }
  const out: FieldDecl[] = [];
  for (const file of candidates) {
    if (!file.newPath || !(path === file.newPath || path.endsWith(`/${file.newPath}`) || file.newPath.endsWith(path))) continue;
    for (const hunk of file.hunks) {
      if (!new RegExp(`\\bstruct\\s+${DOMAIN_STRUCT}\\s*\\{`).test(hunk.heading)) continue;
      let depth = 1;
      for (const line of hunk.lines) {
        if (line.kind === 'del') continue;
        const code = line.text.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '');
        if (line.kind === 'add' && depth >= 1 && line.newLine !== undefined) {
          const m = /^\s*(?:const\s+|struct\s+|unsigned\s+|signed\s+)*[A-Za-z_]\w*[\s*]+([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*(?::\s*\d+\s*)?;\s*$/.exec(code);
          if (m) {
            const column = line.text.indexOf(m[1]) + 1;
            out.push({ name: m[1], span: { line: line.newLine, column, endLine: line.newLine, endColumn: column + m[1].length } });
          }
        }
        for (const ch of code) {
          if (ch === '{') depth++;
          else if (ch === '}') depth--;
        }
        if (depth <= 0) break;
      }
    }
  }
  return out;
}
