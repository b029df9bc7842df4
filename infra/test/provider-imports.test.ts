/**
 * Provider classes live behind infra/constructs/ (ADR 0225): stacks, config and
 * main.ts compose the repo's own constructs, so moving to other provider
 * bindings (ADR 0162) touches infra/constructs/ only. Imports are read with
 * the TypeScript parser, so every import form counts, type-only ones too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const PROVIDER_MODULE = /^@cdktf\/provider-/;
const ROOT = join(__dirname, '..', '..');
const INFRA = join(ROOT, 'infra');
/** Where provider classes may be imported: the constructs, and tests that check them. */
const ALLOWED = ['infra/constructs/', 'infra/test/'];

export interface ProviderImport {
  readonly module: string;
  /** Imported names (`*` for a namespace or a whole-module require). */
  readonly names: readonly string[];
}

function literal(node: ts.Node | undefined): string | undefined {
  return node && ts.isStringLiteralLike(node) ? node.text : undefined;
}

function importedNames(clause: ts.ImportClause | undefined): string[] {
  if (!clause) return ['(side effect)'];
  const names = clause.name ? [clause.name.text] : [];
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) names.push('*');
  if (bindings && ts.isNamedImports(bindings))
    names.push(...bindings.elements.map((e) => (e.propertyName ?? e.name).text));
  return names;
}

/** Every `@cdktf/provider-*` module `source` imports, re-exports, requires or names in a type. */
export function providerImports(fileName: string, source: string): ProviderImport[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ProviderImport[] = [];
  const add = (module: string | undefined, names: string[]) => {
    if (module !== undefined && PROVIDER_MODULE.test(module)) found.push({ module, names });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(literal(node.moduleSpecifier), importedNames(node.importClause));
    else if (ts.isExportDeclaration(node))
      add(
        literal(node.moduleSpecifier),
        node.exportClause && ts.isNamedExports(node.exportClause)
          ? node.exportClause.elements.map((e) => (e.propertyName ?? e.name).text)
          : ['*'],
      );
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(literal(node.moduleReference.expression), [node.name.text]);
    else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    )
      add(literal(node.arguments[0]), ['*']);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(literal(node.argument.literal), [node.qualifier ? node.qualifier.getText(file) : '*']);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** infra/ source files outside the allowed folders, relative to the repository root. */
function guardedFiles(): string[] {
  return readdirSync(INFRA, { recursive: true, encoding: 'utf8' })
    .map((f) => relative(ROOT, join(INFRA, f)).split('\\').join('/'))
    .filter((f) => f.endsWith('.ts') && !ALLOWED.some((dir) => f.startsWith(dir)))
    .sort();
}

describe('provider classes stay behind infra/constructs', () => {
  it('finds every import form, type-only ones included', () => {
    const source = [
      "import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';",
      "import type { SqlUser as User } from '@cdktf/provider-google/lib/sql-user';",
      "import * as helm from '@cdktf/provider-helm/lib/release';",
      "export { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';",
      "import k = require('@cdktf/provider-kubernetes/lib/namespace-v1');",
      "const p = require('@cdktf/provider-google/lib/provider');",
      "const l = import('@cdktf/provider-google/lib/sql-database');",
      "let t: import('@cdktf/provider-google/lib/service-account').ServiceAccount;",
      "import { App } from 'cdktf';",
      "import { Network } from '../constructs/network';",
    ].join('\n');
    expect(providerImports('fixture.ts', source)).toEqual([
      { module: '@cdktf/provider-google/lib/project-iam-member', names: ['ProjectIamMember'] },
      { module: '@cdktf/provider-google/lib/sql-user', names: ['SqlUser'] },
      { module: '@cdktf/provider-helm/lib/release', names: ['*'] },
      { module: '@cdktf/provider-kubernetes/lib/provider', names: ['KubernetesProvider'] },
      { module: '@cdktf/provider-kubernetes/lib/namespace-v1', names: ['k'] },
      { module: '@cdktf/provider-google/lib/provider', names: ['*'] },
      { module: '@cdktf/provider-google/lib/sql-database', names: ['*'] },
      { module: '@cdktf/provider-google/lib/service-account', names: ['ServiceAccount'] },
    ]);
  });

  it('guards every stack, config module and main.ts', () => {
    const files = guardedFiles();
    for (const f of [
      'infra/main.ts',
      'infra/config/environments.ts',
      'infra/stacks/app-stack.ts',
      'infra/stacks/bootstrap-stack.ts',
      'infra/stacks/cluster-stack.ts',
      'infra/stacks/platform-stack.ts',
      'infra/stacks/preview-stack.ts',
    ])
      expect(files).toContain(f);
  });

  it('no stack, config module or main.ts imports a provider class', () => {
    const offenders = guardedFiles().flatMap((f) =>
      providerImports(f, readFileSync(join(ROOT, f), 'utf8')).map(
        (i) => `${f}: ${i.names.join(', ')} from ${i.module} (wrap it in infra/constructs/)`,
      ),
    );
    expect(offenders).toEqual([]);
  });
});
